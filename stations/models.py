import secrets

from django.conf import settings
from django.contrib.gis.db import models
from django.core.validators import MinValueValidator
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.models import TimeStampedModel

from .hours import HoursState, describe, hours_state, validate_opening_hours
from .phones import validate_station_phone
from .querysets import FeedbackQuerySet, StationEventQuerySet, StationQuerySet, VisitQuerySet

# Unambiguous characters for codes printed under QR codes (no 0/O, 1/I/L).
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def station_code_new() -> str:
    """A short random public code for the station's QR URL (/s/<code>)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _i in range(7))


class Amenity(models.Model):
    """A vocabulary entry (charging, hot water, …); streets add new ones in the admin, no migration."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=40)
    icon = models.CharField(_("图标"), max_length=8, blank=True, help_text=_("一个表情符号，显示在按钮上。"))
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=100)

    class Meta:
        verbose_name = _("服务设施")
        verbose_name_plural = _("服务设施")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return str(self.name)


class Station(TimeStampedModel):
    """A place where riders rest, charge, swap a battery or park: stations, friendly merchants, points."""

    class Kind(models.TextChoices):
        STATION = "station", _("驿站")
        ALL_HOURS = "all_hours", _("全时驿站")
        REFUEL = "refuel", _("小哥加油站")
        BUSINESS_DISTRICT = "business_district", _("骑手商圈驿站")
        FIRE_ENERGY = "fire_energy", _("消防能量站")
        MERCHANT = "merchant", _("友好商户")
        PARKING = "parking", _("骑手停车点")
        BATTERY_SWAP = "battery_swap", _("换电点")

    class Status(models.TextChoices):
        ACTIVE = "active", _("正常开放")
        TEMPORARILY_CLOSED = "temporarily_closed", _("暂停开放")
        DEFUNCT = "defunct", _("已撤销")

    code = models.CharField(_("公开编码"), max_length=12, unique=True, default=station_code_new, editable=False)
    name = models.CharField(_("名称"), max_length=120)
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, default=Kind.STATION, db_index=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    street = models.ForeignKey(
        "jurisdictions.Street",
        verbose_name=_("所属街道"),
        on_delete=models.PROTECT,
        related_name="stations",
        help_text=_("由位置自动确定。"),
    )
    address = models.CharField(_("地址"), max_length=200, blank=True)
    point = models.PointField(_("位置"), srid=4326, spatial_index=True)
    host_org = models.CharField(_("运营单位"), max_length=120, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True, validators=[validate_station_phone])
    photo = models.ImageField(_("照片"), upload_to="stations/%Y/%m/", blank=True)
    notes = models.TextField(_("备注"), blank=True, help_text=_("例如：工作人员电梯直达餐饮层。"))
    opening_hours = models.CharField(
        _("营业时间"),
        max_length=255,
        blank=True,
        validators=[validate_opening_hours],
        help_text=_(
            "用上面的编辑器勾选星期、填写时段；熟悉 OpenStreetMap 语法的可直接输入，"
            "如 “24/7” 或 “Mo-Fr 08:00-20:00; Sa,Su 10:00-18:00; PH off”。留空表示未知。"
        ),
    )
    amenities = models.ManyToManyField(Amenity, verbose_name=_("服务设施"), related_name="stations", blank=True)
    charging_ports = models.PositiveIntegerField(_("充电接口数"), default=0, validators=[MinValueValidator(0)])
    swap_ports = models.PositiveIntegerField(_("换电柜接口数"), default=0, validators=[MinValueValidator(0)])
    parking_spots = models.PositiveIntegerField(_("停车位数"), default=0, validators=[MinValueValidator(0)])
    last_verified_at = models.DateTimeField(_("最近核实时间"), null=True, blank=True, db_index=True)
    last_verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("核实人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = StationQuerySet.as_manager()

    class Meta:
        verbose_name = _("驿站/服务点")
        verbose_name_plural = _("驿站/服务点")
        ordering = ["street_id", "name"]
        indexes = [models.Index(fields=["street", "status"], name="station_street_status")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("stations:detail", args=[self.pk])

    def hours_at(self, now=None) -> HoursState:
        """The opening state at `now` (default: the current time), in Asia/Shanghai."""
        return hours_state(self.opening_hours, now)

    @property
    def hours_text(self) -> str:
        """The opening hours in plain words of the current language ("周一至周五 9:00–21:00，节假日休息")."""
        return describe(self.opening_hours)


class Visit(models.Model):
    """One check-in by QR. Append-only: ~58,000 rows a day, so no updated_at and a narrow row."""

    station = models.ForeignKey(Station, verbose_name=_("驿站"), on_delete=models.CASCADE, related_name="visits")
    rider = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("骑手"), on_delete=models.CASCADE, related_name="station_visits"
    )
    # A default rather than auto_now_add, so that bulk loads (demo, imports from partners) keep their times.
    created_at = models.DateTimeField(_("签到时间"), default=timezone.now)

    objects = VisitQuerySet.as_manager()

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["station", "created_at"], name="visit_station_time"),
            models.Index(fields=["rider", "created_at"], name="visit_rider_time"),
        ]

    def __str__(self) -> str:
        return f"{self.station_id} · {_local(self.created_at)}"


def _local(when) -> str:
    """A time as Beijing wall-clock text (inline titles and lists: never UTC)."""
    return timezone.localtime(when).strftime("%Y-%m-%d %H:%M") if when else ""


class Feedback(TimeStampedModel):
    """A rider's word on a station; the street's staff take it up, handle it and reply (the rider sees it)."""

    class Kind(models.TextChoices):
        WORKS = "works", _("一切正常")
        BROKEN = "broken", _("设施损坏")
        WRONG_HOURS = "wrong_hours", _("营业时间不对")

    class Status(models.TextChoices):
        PENDING = "pending", _("待处理")
        IN_PROGRESS = "in_progress", _("处理中")
        HANDLED = "handled", _("已处理")

    station = models.ForeignKey(Station, verbose_name=_("驿站"), on_delete=models.CASCADE, related_name="feedback")
    rider = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("骑手"), on_delete=models.CASCADE, related_name="station_feedback"
    )
    kind = models.CharField(_("反馈类型"), max_length=20, choices=Kind.choices)
    comment = models.TextField(_("说明"), max_length=500, blank=True)
    status = models.CharField(_("处理状态"), max_length=20, choices=Status.choices, default=Status.PENDING)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("负责人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_station_feedback",
        help_text=_("本街道的工作人员。"),
    )
    reply = models.TextField(_("回复骑手"), max_length=500, blank=True, help_text=_("骑手在驿站页面能看到这条回复。"))
    replied_at = models.DateTimeField(_("回复时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处理完成时间"), null=True, blank=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("骑手反馈")
        verbose_name_plural = _("骑手反馈")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="feedback_status_time")]

    def __str__(self) -> str:
        return f"{_local(self.created_at)} · {self.get_kind_display()}"


class StationEvent(models.Model):
    """Audit trail: who created, changed, verified or imported a station, and when."""

    class Kind(models.TextChoices):
        CREATED = "created", _("创建")
        UPDATED = "updated", _("修改")
        VERIFIED = "verified", _("核实")
        IMPORTED = "imported", _("导入")
        FEEDBACK = "feedback", _("骑手反馈")
        FEEDBACK_HANDLED = "feedback_handled", _("处理反馈")

    station = models.ForeignKey(Station, verbose_name=_("驿站"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    data = models.JSONField(_("详情"), default=dict, blank=True)
    created_at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)

    objects = StationEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("驿站事件")
        verbose_name_plural = _("驿站事件")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{_local(self.created_at)} · {self.get_kind_display()}"


class CalendarDay(models.Model):
    """A day the district's calendar sets apart: a 调休 make-up workday (a weekend day with weekday hours)
    or an extra public holiday. The statutory holidays and make-up workdays come from the `holidays`
    package (stations/workdays.py); staff add the days it does not know yet, or correct it: these rows win."""

    class Kind(models.TextChoices):
        WORKDAY = "workday", _("调休上班")
        HOLIDAY = "holiday", _("放假")

    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices)
    note = models.CharField(_("说明"), max_length=60, blank=True, help_text=_("例如：国庆节调休。"))

    class Meta:
        verbose_name = _("调休与节假日")
        verbose_name_plural = _("调休与节假日")
        ordering = ["-date"]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.get_kind_display()}"

    def save(self, *args, **kwargs) -> None:
        super().save(*args, **kwargs)
        from .workdays import calendar_changed

        calendar_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        from .workdays import calendar_changed

        calendar_changed()
        return result
