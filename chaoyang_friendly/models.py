from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        abstract = True


class ExportLog(models.Model):
    """Who exported what, with which filters and how many rows (PIPL accountability)."""

    user = models.ForeignKey(
        "accounts.User", verbose_name=_("导出人"), on_delete=models.PROTECT, related_name="export_logs"
    )
    name = models.CharField(_("导出名称"), max_length=60, db_index=True)
    filters = models.JSONField(_("筛选条件"), default=dict, blank=True)
    channel = models.CharField(_("渠道"), max_length=20, default="page")  # page | api | admin | job
    personal_data = models.BooleanField(_("含个人信息(未脱敏)"), default=False)
    row_count = models.PositiveBigIntegerField(_("行数"), null=True, blank=True)
    started_at = models.DateTimeField(_("开始时间"), auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导出记录")
        verbose_name_plural = _("导出记录")
        ordering = ["-started_at"]
        permissions = [("export_personal_data", _("可导出未脱敏的个人信息"))]

    def __str__(self) -> str:
        return f"{self.name} · {self.user} · {self.started_at:%Y-%m-%d %H:%M}"
