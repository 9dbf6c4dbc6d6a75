from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _


class Street(models.Model):
    """One of Chaoyang's 43 street/area offices (24 街道, 19 地区)."""

    class Kind(models.TextChoices):
        SUBDISTRICT = "街道", _("街道")
        AREA = "地区", _("地区")

    code = models.CharField(_("代码"), max_length=8, unique=True)
    name = models.CharField(_("名称"), max_length=40, unique=True)
    kind = models.CharField(_("类型"), max_length=4, choices=Kind.choices)
    boundary = models.MultiPolygonField(_("边界"), srid=4326, spatial_index=True)
    centre = models.PointField(_("中心点"), srid=4326)

    class Meta:
        verbose_name = _("街道/地区")
        verbose_name_plural = _("街道/地区")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
