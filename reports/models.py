"""随手拍: categories, response teams, reports, photos, the timeline and delivery attempts."""

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.models import TimeStampedModel

from .netguard import validate_webhook_url
from .querysets import ReportQuerySet, ResponseTeamQuerySet


class Category(TimeStampedModel):
    code = models.SlugField(_("代码"), max_length=30, unique=True)
    name = models.CharField(_("名称"), max_length=30, unique=True)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    arrival_sla_minutes = models.PositiveIntegerField(_("到场时限(分钟)"), default=10)
    resolution_sla_minutes = models.PositiveIntegerField(_("处置时限(分钟)"), default=120)
    urgent = models.BooleanField(_("紧急"), default=False)
    is_active = models.BooleanField(_("启用"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = _("随手拍类别")
        verbose_name_plural = _("随手拍类别")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ResponseTeam(TimeStampedModel):
    """A street's emergency team (街道应急队), or the district fallback team (street empty)."""

    street = models.ForeignKey(
        "jurisdictions.Street",
        verbose_name=_("街道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="response_teams",
    )
    name = models.CharField(_("名称"), max_length=60, unique=True)
    categories = models.ManyToManyField(
        Category,
        verbose_name=_("负责类别"),
        blank=True,
        related_name="teams",
        help_text=_("留空表示负责所有类别。"),
    )
    on_duty = models.BooleanField(_("值班中"), default=True)
    webhook_url = models.URLField(
        _("Webhook 地址"),
        blank=True,
        validators=[validate_webhook_url],
        help_text=_("必须是 https:// 地址，且不能指向内网、本机或保留地址。"),
    )
    webhook_secret = models.CharField(_("Webhook 密钥"), max_length=100, blank=True)
    sms_phone = models.CharField(_("短信接收号码"), max_length=11, blank=True)
    is_district_fallback = models.BooleanField(_("区级兜底队"), default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("队员账号"),
        blank=True,
        related_name="response_teams",
        limit_choices_to={"role": "team_member"},
    )

    objects = ResponseTeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("应急队")
        verbose_name_plural = _("应急队")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_district_fallback"],
                condition=Q(is_district_fallback=True),
                name="reports_one_district_fallback_team",
                violation_error_message=_("只能有一个区级兜底队。"),
            ),
            models.CheckConstraint(
                condition=Q(is_district_fallback=True) | Q(street__isnull=False),
                name="reports_team_has_street_or_is_fallback",
                violation_error_message=_("应急队必须属于一个街道，或是区级兜底队。"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Report(TimeStampedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ROUTED = "routed", _("已派单")
        DELIVERED = "delivered", _("已送达")
        ACKNOWLEDGED = "acknowledged", _("已接单")
        ON_SITE = "on_site", _("已到场")
        RESOLVED = "resolved", _("已处置")
        REJECTED = "rejected", _("已驳回")
        DUPLICATE = "duplicate", _("重复上报")

    class Crs(models.TextChoices):
        WGS84 = "wgs84", _("WGS-84(GPS)")
        GCJ02 = "gcj02", _("GCJ-02(国测局)")

    OPEN_STATUSES = (
        Status.SUBMITTED,
        Status.ROUTED,
        Status.DELIVERED,
        Status.ACKNOWLEDGED,
        Status.ON_SITE,
    )
    CLOSED_STATUSES = (Status.RESOLVED, Status.REJECTED, Status.DUPLICATE)

    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上报人"), on_delete=models.PROTECT, related_name="reports"
    )
    category = models.ForeignKey(Category, verbose_name=_("类别"), on_delete=models.PROTECT, related_name="reports")
    description = models.TextField(_("描述"), max_length=500, blank=True)
    point = models.PointField(_("位置(WGS-84)"), srid=4326, spatial_index=True)
    source_crs = models.CharField(_("原始坐标系"), max_length=5, choices=Crs.choices, default=Crs.WGS84)
    street = models.ForeignKey(
        "jurisdictions.Street",
        verbose_name=_("街道"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
    )
    team = models.ForeignKey(
        ResponseTeam, verbose_name=_("应急队"), on_delete=models.PROTECT, null=True, blank=True, related_name="reports"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    routed_at = models.DateTimeField(_("派单时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("接单时间"), null=True, blank=True)
    on_site_at = models.DateTimeField(_("到场时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    arrival_due_at = models.DateTimeField(_("应到场时间"), null=True, blank=True, db_index=True)
    resolve_due_at = models.DateTimeField(_("应处置时间"), null=True, blank=True, db_index=True)
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)
    assignment = models.PositiveIntegerField(
        _("派单序号"), default=0, help_text=_("每次派单、改派或重新打开加一；与应急队一起构成稳定的投递编号。")
    )
    dispatch_chain_until = models.DateTimeField(
        _("投递重试有效至"),
        null=True,
        blank=True,
        help_text=_("一条投递重试链承诺在此之前再次尝试；过期后清扫任务才会重新发起投递。"),
    )
    undeliverable_at = models.DateTimeField(_("无法送达时间"), null=True, blank=True)
    submit_key = models.CharField(
        _("提交幂等键"), max_length=64, blank=True, default="", help_text=_("同一上报人重复提交同一键只保存一次。")
    )
    delivery_lease_until = models.DateTimeField(
        _("投递锁定至"),
        null=True,
        blank=True,
        help_text=_("一个调度进程正在向应急队投递；在此之前其他进程不重复发送。"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("重复于"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
    )
    status_note = models.CharField(_("状态说明"), max_length=200, blank=True)
    supporters = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("附议人"), blank=True, related_name="supported_reports"
    )

    objects = ReportQuerySet.as_manager()

    class Meta:
        verbose_name = _("随手拍")
        verbose_name_plural = _("随手拍")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"], name="reports_status_created")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="duplicate") | Q(duplicate_of__isnull=False),
                name="reports_duplicate_has_original",
                violation_error_message=_("重复上报必须指明原报告。"),
            ),
            models.UniqueConstraint(
                fields=["reporter", "submit_key"],
                condition=~Q(submit_key=""),
                name="reports_one_report_per_submit_key",
            ),
        ]

    @property
    def delivery_id(self) -> str:
        """The same for every attempt to deliver this assignment to this team (X-Chaoyang-Delivery)."""
        return f"r{self.pk}-t{self.team_id}-a{self.assignment}"

    def __str__(self) -> str:
        return f"#{self.pk} {self.category} · {self.get_status_display()}"

    def get_absolute_url(self) -> str:
        return reverse("reports:detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES

    def is_overdue(self, now=None) -> bool:  # type: ignore[no-untyped-def]
        now = now or timezone.now()
        if not self.is_open:
            return False
        late_arrival = self.arrival_due_at and self.on_site_at is None and self.arrival_due_at < now
        late_resolution = self.resolve_due_at and self.resolve_due_at < now
        return bool(late_arrival or late_resolution)


def _photo_path(instance: "ReportPhoto", filename: str) -> str:
    return f"reports/{timezone.now():%Y/%m}/{filename}"


class ReportPhoto(TimeStampedModel):
    class Kind(models.TextChoices):
        BEFORE = "before", _("上报照片")
        AFTER = "after", _("处置后照片")

    report = models.ForeignKey(Report, verbose_name=_("随手拍"), on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(_("类型"), max_length=10, choices=Kind.choices, default=Kind.BEFORE)
    image = models.ImageField(_("图片"), upload_to=_photo_path)
    thumbnail = models.ImageField(_("缩略图"), upload_to=_photo_path)
    width = models.PositiveIntegerField(_("宽"), default=0)
    height = models.PositiveIntegerField(_("高"), default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("上传人"), on_delete=models.SET_NULL, null=True, blank=True
    )

    class Meta:
        verbose_name = _("随手拍照片")
        verbose_name_plural = _("随手拍照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.get_kind_display()}"


class ReportEvent(models.Model):
    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("提交")
        ROUTED = "routed", _("派单")
        DELIVERED = "delivered", _("送达应急队")
        DELIVERY_FAILED = "delivery_failed", _("送达失败")
        ACKNOWLEDGED = "acknowledged", _("接单")
        ON_SITE = "on_site", _("到场")
        RESOLVED = "resolved", _("处置完成")
        REJECTED = "rejected", _("驳回")
        DUPLICATE = "duplicate", _("标记为重复")
        ESCALATED = "escalated", _("超时升级")
        REOPENED = "reopened", _("重新打开")
        SUPPORTED = "supported", _("附议")
        REASSIGNED = "reassigned", _("改派")
        SMS_FALLBACK = "sms_fallback", _("改用短信通知")
        UNDELIVERABLE = "undeliverable", _("无法送达应急队")

    report = models.ForeignKey(Report, verbose_name=_("随手拍"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("事件"), max_length=20, choices=Kind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("时间线事件")
        verbose_name_plural = _("时间线事件")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.get_kind_display()} @ {timezone.localtime(self.at):%m-%d %H:%M:%S}"

    @property
    def rider_label(self) -> str:
        """What the rider (and the public) read: a state, never how delivery works inside."""
        return str(RIDER_LABELS.get(self.kind, self.get_kind_display()))

    @property
    def rider_note(self) -> str:
        """Only notes written for the rider (a rejection reason, a resolution note); delivery errors,
        escalation reasons and staff remarks stay in staff views."""
        return self.note if self.kind in RIDER_NOTE_KINDS else ""


RIDER_LABELS = {
    ReportEvent.Kind.DELIVERED: _("应急队已收到"),
    ReportEvent.Kind.DELIVERY_FAILED: _("正在联系应急队"),
    ReportEvent.Kind.SMS_FALLBACK: _("已改用短信通知应急队"),
    ReportEvent.Kind.UNDELIVERABLE: _("已转街道工作人员电话联系应急队"),
    ReportEvent.Kind.ESCALATED: _("已提请上级督办"),
}
RIDER_NOTE_KINDS = {ReportEvent.Kind.REJECTED, ReportEvent.Kind.RESOLVED}


class DeliveryAttempt(models.Model):
    class Channel(models.TextChoices):
        WEBHOOK = "webhook", _("Webhook")
        SMS = "sms", _("短信")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("发送中")
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")
        UNKNOWN = "unknown", _("结果未知（调度进程中断）")

    report = models.ForeignKey(
        Report, verbose_name=_("随手拍"), on_delete=models.CASCADE, related_name="delivery_attempts"
    )
    team = models.ForeignKey(
        ResponseTeam, verbose_name=_("应急队"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    idempotency_key = models.CharField(_("幂等键"), max_length=100, unique=True)
    delivery_id = models.CharField(_("投递编号"), max_length=100, blank=True, default="", db_index=True)
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    outcome = models.CharField(_("结果"), max_length=10, choices=Outcome.choices)
    status_code = models.PositiveSmallIntegerField(_("HTTP 状态码"), null=True, blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)

    class Meta:
        verbose_name = _("送达记录")
        verbose_name_plural = _("送达记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.report_id} · {self.channel} · {self.outcome}"
