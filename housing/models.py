"""一张床、一间房: projects, room types, rooms, beds, eligibility rules, applications, offers and leases.

The unit a rider gets is a bed (dorm room types, rent per bed) or a whole room (couple/family room types,
rent per room). Double booking is prevented twice: the services lock the bed/room row, and partial
unique constraints allow one active lease (and one open offer) per bed and per room.
"""

from django.conf import settings
from django.contrib.gis.db import models
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.models import TimeStampedModel

from .querysets import (
    ApplicationQuerySet,
    BedQuerySet,
    EligibilityRuleQuerySet,
    LeaseQuerySet,
    OfferQuerySet,
    ProjectQuerySet,
    RoomQuerySet,
    RoomTypeQuerySet,
)


class Amenity(models.TextChoices):
    CANTEEN = "canteen", _("食堂")
    SUPERMARKET = "supermarket", _("超市")
    SHUTTLE = "shuttle", _("班车")
    PRIVATE_BATHROOM = "private_bathroom", _("独立卫浴")
    LAUNDRY = "laundry", _("洗衣房")
    CHARGING = "charging", _("电动车充电")
    KITCHEN = "kitchen", _("公共厨房")
    WIFI = "wifi", _("无线网络")
    AIR_CONDITIONING = "air_conditioning", _("空调")


class HouseholdKind(models.TextChoices):
    SINGLE = "single", _("单身")
    COUPLE = "couple", _("夫妻")
    FAMILY = "family", _("家庭")


class Gender(models.TextChoices):
    MALE = "male", _("男")
    FEMALE = "female", _("女")


class Project(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("开放申请")
        FULL = "full", _("暂停申请")
        CLOSED = "closed", _("已关闭")

    name = models.CharField(_("项目名称"), max_length=80, unique=True)
    street = models.ForeignKey(
        "jurisdictions.Street", verbose_name=_("街道/地区"), on_delete=models.PROTECT, related_name="housing_projects"
    )
    point = models.PointField(_("位置"), srid=4326, spatial_index=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    operator = models.CharField(_("运营方"), max_length=100, blank=True)
    phone = models.CharField(_("咨询电话"), max_length=30, blank=True)
    amenities = models.JSONField(
        _("配套设施"), default=list, blank=True, help_text=_("设施代码列表，如 canteen、shuttle。")
    )
    description = models.TextField(_("介绍"), blank=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)

    objects = ProjectQuerySet.as_manager()

    class Meta:
        verbose_name = _("住房项目")
        verbose_name_plural = _("住房项目")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("housing:project", args=[self.pk])

    def amenity_labels(self) -> list[str]:
        labels = dict(Amenity.choices)
        return [str(labels.get(code, code)) for code in self.amenities]


class ProjectPhoto(TimeStampedModel):
    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("照片"), upload_to="housing/photos/%Y/%m/")
    caption = models.CharField(_("说明"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("项目照片")
        verbose_name_plural = _("项目照片")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.caption or self.image.name


class RoomType(TimeStampedModel):
    class Kind(models.TextChoices):
        DORM_BED = "dorm_bed", _("宿舍床位")
        DOUBLE_ROOM = "double_room", _("双人间")
        COUPLE_ROOM = "couple_room", _("夫妻房")
        FAMILY_ROOM = "family_room", _("家庭房")

    class RentMode(models.TextChoices):
        PER_BED = "per_bed", _("按床位")
        PER_ROOM = "per_room", _("按整间")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.CASCADE, related_name="room_types")
    name = models.CharField(_("房型名称"), max_length=60)
    kind = models.CharField(_("房型类别"), max_length=20, choices=Kind.choices, default=Kind.DORM_BED)
    beds_per_room = models.PositiveSmallIntegerField(_("每间床位数"), default=1)
    rent_mode = models.CharField(_("计租方式"), max_length=10, choices=RentMode.choices, default=RentMode.PER_BED)
    rent = models.PositiveIntegerField(_("月租金(元)"))
    deposit = models.PositiveIntegerField(_("押金(元)"), default=0)
    household = models.CharField(
        _("可申请人群"), max_length=10, choices=HouseholdKind.choices, default=HouseholdKind.SINGLE
    )
    description = models.CharField(_("说明"), max_length=200, blank=True)

    objects = RoomTypeQuerySet.as_manager()

    class Meta:
        verbose_name = _("房型")
        verbose_name_plural = _("房型")
        ordering = ["project", "rent", "id"]
        constraints = [
            models.UniqueConstraint(fields=["project", "name"], name="housing_roomtype_unique_name"),
            models.CheckConstraint(condition=Q(rent__gt=0), name="housing_roomtype_rent_positive"),
            models.CheckConstraint(condition=Q(beds_per_room__gte=1), name="housing_roomtype_beds_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.project.name} · {self.name}"

    @property
    def whole_room(self) -> bool:
        """True when the unit let is the room (couples, families), not a bed."""
        return self.rent_mode == self.RentMode.PER_ROOM


class Room(TimeStampedModel):
    class GenderRule(models.TextChoices):
        ANY = "any", _("不限")
        MALE = "male", _("男生宿舍")
        FEMALE = "female", _("女生宿舍")

    room_type = models.ForeignKey(RoomType, verbose_name=_("房型"), on_delete=models.CASCADE, related_name="rooms")
    number = models.CharField(_("房间号"), max_length=20)
    floor = models.SmallIntegerField(_("楼层"), default=1)
    gender_rule = models.CharField(_("性别要求"), max_length=10, choices=GenderRule.choices, default=GenderRule.ANY)

    objects = RoomQuerySet.as_manager()

    class Meta:
        verbose_name = _("房间")
        verbose_name_plural = _("房间")
        ordering = ["room_type", "floor", "number"]
        constraints = [models.UniqueConstraint(fields=["room_type", "number"], name="housing_room_unique_number")]

    def __str__(self) -> str:
        return f"{self.room_type} · {self.number}"

    def admits(self, gender: str) -> bool:
        return self.gender_rule == self.GenderRule.ANY or self.gender_rule == gender


class Bed(TimeStampedModel):
    class Status(models.TextChoices):
        AVAILABLE = "available", _("空闲")
        HELD = "held", _("已发出邀约")
        OCCUPIED = "occupied", _("已入住")
        OUT_OF_SERVICE = "out_of_service", _("停用")

    room = models.ForeignKey(Room, verbose_name=_("房间"), on_delete=models.CASCADE, related_name="beds")
    label = models.CharField(_("床位号"), max_length=20)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.AVAILABLE, db_index=True)

    objects = BedQuerySet.as_manager()

    class Meta:
        verbose_name = _("床位")
        verbose_name_plural = _("床位")
        ordering = ["room", "label"]
        constraints = [models.UniqueConstraint(fields=["room", "label"], name="housing_bed_unique_label")]

    def __str__(self) -> str:
        return f"{self.room} · {self.label}"


class EligibilityRule(TimeStampedModel):
    """A condition an application must meet. District-wide when `street` is empty."""

    class Code(models.TextChoices):
        NEW_EMPLOYMENT = "new_employment", _("在朝阳区从事新就业形态职业")
        NO_ACTIVE_LEASE = "no_active_lease", _("名下没有在租的保障房")
        HOUSEHOLD_MAX = "household_max", _("同住人数上限")
        WORKS_IN_STREET = "works_in_street", _("在指定街道工作")

    street = models.ForeignKey(
        "jurisdictions.Street",
        verbose_name=_("街道/地区"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="housing_rules",
        help_text=_("留空表示全区适用。"),
    )
    code = models.CharField(_("规则"), max_length=30, choices=Code.choices)
    parameters = models.JSONField(
        _("参数"),
        default=dict,
        blank=True,
        help_text=_('如 {"occupations": ["courier", "food_delivery"]}、{"max": 4}、{"streets": ["SJ"]}。'),
    )
    active = models.BooleanField(_("启用"), default=True)
    failure_message = models.CharField(_("不符合时的提示"), max_length=200)

    objects = EligibilityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("申请条件")
        verbose_name_plural = _("申请条件")
        ordering = ["street", "code", "id"]

    def __str__(self) -> str:
        return f"{self.get_code_display()} ({self.street or _('全区')})"

    def clean(self) -> None:
        """Refuse parameters the rule's check cannot read (they made every application's submit a 500)."""
        super().clean()
        error = self.parameters_error()
        if error:
            raise ValidationError({"parameters": error})

    def parameters_error(self) -> str:
        """What is wrong with `parameters` for this rule's code, or "" (see services/eligibility.py)."""
        from accounts.models import RiderProfile
        from jurisdictions.models import Street

        params = self.parameters
        if not isinstance(params, dict):
            return _('参数必须是 JSON 对象，如 {"max": 4}。')
        allowed = {
            self.Code.NEW_EMPLOYMENT: {"occupations"},
            self.Code.HOUSEHOLD_MAX: {"max"},
            self.Code.WORKS_IN_STREET: {"streets"},
        }.get(self.code, set())
        unknown = sorted(set(params) - allowed)
        if unknown:
            return _("这条规则不使用参数：%(names)s。") % {"names": "、".join(unknown)}
        if "max" in params:
            value = params["max"]
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 20:
                return _("max 必须是 1 到 20 之间的整数。")
        for key, choices in (
            ("occupations", set(RiderProfile.Occupation.values)),
            ("streets", set(Street.objects.values_list("code", flat=True)) if "streets" in params else set()),
        ):
            if key not in params:
                continue
            values = params[key]
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                return _("%(key)s 必须是字符串列表。") % {"key": key}
            wrong = sorted(set(values) - choices)
            if wrong:
                return _("%(key)s 中有无效的值：%(values)s。") % {"key": key, "values": "、".join(wrong)}
        return ""


class Application(TimeStampedModel):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("已提交")
        ELIGIBLE = "eligible", _("符合条件")
        WAITLISTED = "waitlisted", _("排队中")
        OFFERED = "offered", _("已发出邀约")
        ACCEPTED = "accepted", _("已入住")
        DECLINED = "declined", _("已放弃")
        EXPIRED = "expired", _("邀约已过期")
        WITHDRAWN = "withdrawn", _("已撤回")
        REJECTED = "rejected", _("不符合条件")

    OPEN_STATUSES = (Status.SUBMITTED, Status.ELIGIBLE, Status.WAITLISTED, Status.OFFERED)

    rider = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("申请人"),
        on_delete=models.PROTECT,
        related_name="housing_applications",
    )
    project = models.ForeignKey(
        Project, verbose_name=_("意向项目"), on_delete=models.PROTECT, related_name="applications"
    )
    room_types = models.ManyToManyField(RoomType, verbose_name=_("意向房型"), related_name="applications")
    household_kind = models.CharField(
        _("申请类型"), max_length=10, choices=HouseholdKind.choices, default=HouseholdKind.SINGLE
    )
    gender = models.CharField(_("性别"), max_length=10, choices=Gender.choices)
    household_members = models.JSONField(
        _("同住人"), default=list, blank=True, help_text=_('如 [{"name": "张三", "relation": "配偶"}]。')
    )
    move_in_date = models.DateField(_("期望入住日期"))
    work_point = models.PointField(_("工作地点"), srid=4326, null=True, blank=True)
    priority = models.SmallIntegerField(_("优先级"), default=0, help_text=_("数字越大越优先。"))
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.SUBMITTED, db_index=True)
    reason = models.TextField(_("原因"), blank=True)
    eligibility = models.JSONField(_("资格审核结果"), default=list, blank=True)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        verbose_name = _("住房申请")
        verbose_name_plural = _("住房申请")
        ordering = ["-priority", "created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rider"],
                condition=Q(status__in=["submitted", "eligible", "waitlisted", "offered"]),
                name="housing_one_open_application_per_rider",
                violation_error_message=_("每位骑手只能有一份进行中的申请。"),
            ),
        ]
        indexes = [models.Index(fields=["status", "-priority", "created_at"], name="housing_app_queue")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.rider} → {self.project}"

    def get_absolute_url(self) -> str:
        return reverse("housing:my")

    @property
    def household_size(self) -> int:
        return 1 + len(self.household_members or [])

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


class ApplicationStatusChange(models.Model):
    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="status_changes"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("操作人"), on_delete=models.SET_NULL, null=True, blank=True
    )
    from_status = models.CharField(_("原状态"), max_length=20, choices=Application.Status.choices, blank=True)
    to_status = models.CharField(_("新状态"), max_length=20, choices=Application.Status.choices)
    at = models.DateTimeField(_("时间"), db_index=True)
    note = models.TextField(_("备注"), blank=True)

    class Meta:
        verbose_name = _("申请状态记录")
        verbose_name_plural = _("申请状态记录")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        """Readable in the admin's inline rows: "排队中 → 已发出邀约 · 2026-05-01 09:30" (Beijing time)."""
        from django.utils import timezone

        labels = dict(Application.Status.choices)
        start = labels.get(self.from_status, self.from_status) if self.from_status else _("新申请")
        moved = f"{start} → {labels.get(self.to_status, self.to_status)}"
        return f"{moved} · {timezone.localtime(self.at):%Y-%m-%d %H:%M}" if self.at else moved


class Offer(TimeStampedModel):
    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ACCEPTED = "accepted", _("已接受")
        DECLINED = "declined", _("已放弃")
        EXPIRED = "expired", _("已过期")
        CANCELLED = "cancelled", _("已取消")

    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.CASCADE, related_name="offers"
    )
    room_type = models.ForeignKey(RoomType, verbose_name=_("房型"), on_delete=models.PROTECT, related_name="offers")
    bed = models.ForeignKey(
        Bed, verbose_name=_("床位"), on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    room = models.ForeignKey(
        Room, verbose_name=_("整间房"), on_delete=models.PROTECT, null=True, blank=True, related_name="offers"
    )
    deadline = models.DateTimeField(_("答复截止"), db_index=True)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    responded_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    objects = OfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("入住邀约")
        verbose_name_plural = _("入住邀约")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bed__isnull=False, room__isnull=True) | Q(bed__isnull=True, room__isnull=False),
                name="housing_offer_bed_xor_room",
            ),
            models.UniqueConstraint(fields=["bed"], condition=Q(status="open"), name="housing_one_open_offer_per_bed"),
            models.UniqueConstraint(
                fields=["room"], condition=Q(status="open"), name="housing_one_open_offer_per_room"
            ),
            models.UniqueConstraint(
                fields=["application"], condition=Q(status="open"), name="housing_one_open_offer_per_application"
            ),
        ]

    def __str__(self) -> str:
        return f"{_('邀约')} #{self.pk} {self.unit_label}"

    @property
    def unit_label(self) -> str:
        return str(self.bed or self.room)


class Lease(TimeStampedModel):
    class Status(models.TextChoices):
        ACTIVE = "active", _("在租")
        ENDED = "ended", _("已退租")

    project = models.ForeignKey(Project, verbose_name=_("项目"), on_delete=models.PROTECT, related_name="leases")
    bed = models.ForeignKey(
        Bed, verbose_name=_("床位"), on_delete=models.PROTECT, null=True, blank=True, related_name="leases"
    )
    room = models.ForeignKey(
        Room, verbose_name=_("整间房"), on_delete=models.PROTECT, null=True, blank=True, related_name="leases"
    )
    tenant = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("承租人"), on_delete=models.PROTECT, related_name="housing_leases"
    )
    application = models.ForeignKey(
        Application, verbose_name=_("申请"), on_delete=models.PROTECT, null=True, blank=True, related_name="leases"
    )
    start = models.DateField(_("起租日"))
    end = models.DateField(_("到期/退租日"), null=True, blank=True)
    monthly_rent = models.PositiveIntegerField(_("月租金(元)"))
    deposit = models.PositiveIntegerField(_("押金(元)"), default=0)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    ended_at = models.DateTimeField(_("退租时间"), null=True, blank=True)
    allocated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("分配人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("分配床位的工作人员，或确认邀约的骑手本人。"),
    )
    ended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("办理退租人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = LeaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("租约")
        verbose_name_plural = _("租约")
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(bed__isnull=False, room__isnull=True) | Q(bed__isnull=True, room__isnull=False),
                name="housing_lease_bed_xor_room",
            ),
            models.UniqueConstraint(
                fields=["bed"],
                condition=Q(status="active"),
                name="housing_one_active_lease_per_bed",
                violation_error_message=_("该床位已有在租租约。"),
            ),
            models.UniqueConstraint(
                fields=["room"],
                condition=Q(status="active"),
                name="housing_one_active_lease_per_room",
                violation_error_message=_("该房间已整间出租。"),
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=Q(status="active"),
                name="housing_one_active_lease_per_tenant",
                violation_error_message=_("该承租人已有在租租约。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{_('租约')} #{self.pk} {self.bed or self.room}"

    @property
    def unit_label(self) -> str:
        return str(self.bed or self.room)
