"""Industry committees → branches → members; activities with sessions, family registrations, attendance
and volunteer hours.

Capacity is counted in people. `Activity.confirmed_people` is changed only by the services, under a row
lock on the activity, and a CheckConstraint keeps it within capacity (what holds on SpatiaLite too).
"""

import secrets
from decimal import Decimal

from django.conf import settings
from django.contrib.gis.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from chaoyang_friendly.models import TimeStampedModel

from .querysets import (
    ActivityQuerySet,
    AttendanceQuerySet,
    BranchQuerySet,
    MembershipQuerySet,
    RegistrationQuerySet,
    SessionQuerySet,
    VolunteerHoursQuerySet,
    VolunteerTeamQuerySet,
)


def new_qr_token() -> str:
    return secrets.token_urlsafe(16)


class Committee(TimeStampedModel):
    """One of the district's industry party committees (行业党委)."""

    class Industry(models.TextChoices):
        EXPRESS = "express", _("快递")
        FOOD_DELIVERY = "food_delivery", _("外卖")
        RIDE_HAILING = "ride_hailing", _("网约车")
        FREIGHT = "freight", _("货运")
        HOUSEKEEPING = "housekeeping", _("家政")
        E_COMMERCE = "e_commerce", _("电商与直播")
        OTHER = "other", _("其他新业态")

    name = models.CharField(_("名称"), max_length=60, unique=True)
    industry = models.CharField(_("行业"), max_length=20, choices=Industry.choices, db_index=True)

    class Meta:
        verbose_name = _("行业党委")
        verbose_name_plural = _("行业党委")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Branch(TimeStampedModel):
    """A party branch of the new employment groups, based in one street."""

    committee = models.ForeignKey(
        Committee, verbose_name=_("所属行业党委"), on_delete=models.PROTECT, related_name="branches"
    )
    street = models.ForeignKey(
        "jurisdictions.Street", verbose_name=_("所在街道"), on_delete=models.PROTECT, related_name="party_branches"
    )
    name = models.CharField(_("名称"), max_length=80, unique=True)
    secretary = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("书记"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="branches_led",
    )
    meeting_place = models.CharField(_("活动阵地"), max_length=120, blank=True)
    point = models.PointField(_("位置"), srid=4326, null=True, blank=True)

    objects = BranchQuerySet.as_manager()

    class Meta:
        verbose_name = _("党支部")
        verbose_name_plural = _("党支部")
        ordering = ["committee__name", "name"]

    def __str__(self) -> str:
        return self.name


class Membership(TimeStampedModel):
    """A person's membership of a branch. Moving branch ends one row (transferred out) and starts another."""

    class Role(models.TextChoices):
        SECRETARY = "secretary", _("书记")
        COMMITTEE_MEMBER = "committee_member", _("支委委员")
        MEMBER = "member", _("党员")

    class Status(models.TextChoices):
        ACTIVE = "active", _("在册")
        TRANSFERRED_OUT = "transferred_out", _("已转出")
        LEFT = "left", _("已离开")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("党员"), on_delete=models.PROTECT, related_name="party_memberships"
    )
    branch = models.ForeignKey(Branch, verbose_name=_("党支部"), on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(_("职务"), max_length=20, choices=Role.choices, default=Role.MEMBER)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.ACTIVE, db_index=True)
    joined_on = models.DateField(_("入党/加入日期"), null=True, blank=True)
    transferred_in_on = models.DateField(_("转入日期"), null=True, blank=True)
    transferred_from = models.ForeignKey(
        Branch, verbose_name=_("转自"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    transferred_out_on = models.DateField(_("转出日期"), null=True, blank=True)
    transferred_to = models.ForeignKey(
        Branch, verbose_name=_("转往"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("党员")
        verbose_name_plural = _("党员")
        ordering = ["branch", "role", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"],
                condition=Q(status="active"),
                name="partybranch_one_active_membership",
                violation_error_message=_("该党员已在另一个支部在册。"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.branch}"


class Activity(TimeStampedModel):
    class Kind(models.TextChoices):
        CLASS = "class", _("红驿课堂")
        FAMILY_TRIP = "family_trip", _("我带家人游北京")
        CARE_CLASS = "care_class", _("子女托管班")
        FAMILY_DAY = "family_day", _("家庭日")
        VOLUNTEER = "volunteer", _("志愿服务")
        OTHER = "other", _("其他")

    class Audience(models.TextChoices):
        EVERYONE = "everyone", _("所有人")
        RIDERS = "riders", _("新就业群体")
        PARTY_MEMBERS = "party_members", _("仅党员")

    class Status(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CANCELLED = "cancelled", _("已取消")

    street = models.ForeignKey(
        "jurisdictions.Street", verbose_name=_("主办街道"), on_delete=models.PROTECT, related_name="party_activities"
    )
    organiser_branch = models.ForeignKey(
        Branch,
        verbose_name=_("主办支部"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="activities",
        help_text=_("留空表示由街道主办。"),
    )
    kind = models.CharField(_("类型"), max_length=20, choices=Kind.choices, db_index=True)
    title = models.CharField(_("标题"), max_length=120)
    description = models.TextField(_("介绍"), blank=True)
    place = models.CharField(_("地点"), max_length=120)
    point = models.PointField(_("位置"), srid=4326, null=True, blank=True)
    capacity = models.PositiveIntegerField(_("名额（人）"), help_text=_("按人数计，家属也占名额。"))
    confirmed_people = models.PositiveIntegerField(_("已确认人数"), default=0, editable=False)
    family_allowed = models.BooleanField(_("可带家属"), default=False)
    child_min_age = models.PositiveSmallIntegerField(_("儿童最小年龄"), null=True, blank=True)
    child_max_age = models.PositiveSmallIntegerField(_("儿童最大年龄"), null=True, blank=True)
    audience = models.CharField(_("面向"), max_length=20, choices=Audience.choices, default=Audience.RIDERS)
    signup_deadline = models.DateTimeField(_("报名截止"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)

    objects = ActivityQuerySet.as_manager()

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(confirmed_people__lte=F("capacity")),
                name="partybranch_activity_within_capacity",
                violation_error_message=_("已确认人数不能超过名额。"),
            ),
            models.CheckConstraint(
                condition=Q(child_min_age__isnull=True)
                | Q(child_max_age__isnull=True)
                | Q(child_min_age__lte=F("child_max_age")),
                name="partybranch_activity_child_age_range",
                violation_error_message=_("儿童最小年龄不能大于最大年龄。"),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("partybranch:activity-detail", args=[self.pk])

    @property
    def remaining(self) -> int:
        return max(self.capacity - self.confirmed_people, 0)


class Session(models.Model):
    """One meeting of an activity (a multi-day care class has one per day)."""

    activity = models.ForeignKey(Activity, verbose_name=_("活动"), on_delete=models.CASCADE, related_name="sessions")
    start = models.DateTimeField(_("开始"), db_index=True)
    end = models.DateTimeField(_("结束"))

    objects = SessionQuerySet.as_manager()

    class Meta:
        verbose_name = _("场次")
        verbose_name_plural = _("场次")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gt=F("start")),
                name="partybranch_session_ends_after_start",
                violation_error_message=_("结束时间必须晚于开始时间。"),
            ),
        ]

    def __str__(self) -> str:
        from django.utils import timezone

        start = timezone.localtime(self.start)
        return f"{self.activity} · {start:%m-%d %H:%M}"


class Registration(TimeStampedModel):
    """A rider's sign-up, for the rider and the family members they bring; confirmed or waitlisted whole."""

    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("已确认")
        WAITLISTED = "waitlisted", _("候补中")
        CANCELLED = "cancelled", _("已取消")

    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.PROTECT, related_name="registrations"
    )
    rider = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("报名人"), on_delete=models.PROTECT, related_name="registrations"
    )
    status = models.CharField(_("状态"), max_length=20, choices=Status.choices, db_index=True)
    people = models.PositiveSmallIntegerField(_("人数"))
    qr_token = models.CharField(_("签到码"), max_length=40, unique=True, default=new_qr_token, editable=False)
    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)

    objects = RegistrationQuerySet.as_manager()

    class Meta:
        verbose_name = _("报名")
        verbose_name_plural = _("报名")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["activity", "rider"],
                condition=~Q(status="cancelled"),
                name="partybranch_one_registration_per_rider",
                violation_error_message=_("您已报名该活动。"),
            ),
            models.CheckConstraint(condition=Q(people__gte=1), name="partybranch_registration_has_people"),
        ]

    def __str__(self) -> str:
        return f"{self.rider} · {self.activity}（{self.get_status_display()}）"

    def get_absolute_url(self) -> str:
        return reverse("partybranch:registration-detail", args=[self.pk])


class RegistrationPerson(models.Model):
    class Relationship(models.TextChoices):
        SELF = "self", _("本人")
        SPOUSE = "spouse", _("配偶")
        CHILD = "child", _("子女")
        PARENT = "parent", _("父母")
        OTHER = "other", _("其他亲属")

    registration = models.ForeignKey(
        Registration, verbose_name=_("报名"), on_delete=models.CASCADE, related_name="persons"
    )
    name = models.CharField(_("姓名"), max_length=40)
    relationship = models.CharField(_("关系"), max_length=10, choices=Relationship.choices)
    age = models.PositiveSmallIntegerField(_("年龄"), null=True, blank=True)

    class Meta:
        verbose_name = _("报名人员")
        verbose_name_plural = _("报名人员")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_relationship_display()}）"


class Attendance(models.Model):
    """One person present at one session; written by the scan of the family's QR code."""

    session = models.ForeignKey(Session, verbose_name=_("场次"), on_delete=models.CASCADE, related_name="attendances")
    person = models.ForeignKey(
        RegistrationPerson, verbose_name=_("人员"), on_delete=models.CASCADE, related_name="attendances"
    )
    at = models.DateTimeField(_("签到时间"))
    checked_out_at = models.DateTimeField(_("签退时间"), null=True, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("签到操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    objects = AttendanceQuerySet.as_manager()

    class Meta:
        verbose_name = _("签到")
        verbose_name_plural = _("签到")
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="partybranch_attendance_once_per_session"),
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.session}"


class VolunteerTeam(TimeStampedModel):
    """A standing volunteer team, e.g. 团结湖's 骑手团 that delivers meals to the elderly canteen."""

    street = models.ForeignKey(
        "jurisdictions.Street", verbose_name=_("所在街道"), on_delete=models.PROTECT, related_name="volunteer_teams"
    )
    branch = models.ForeignKey(
        Branch, verbose_name=_("所属支部"), on_delete=models.SET_NULL, null=True, blank=True, related_name="teams"
    )
    name = models.CharField(_("名称"), max_length=80, unique=True)
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("团长"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="teams_led",
    )
    description = models.TextField(_("介绍"), blank=True)

    objects = VolunteerTeamQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class VolunteerHours(TimeStampedModel):
    """Service time. Scans are approved as they complete; self-declared hours count only once approved."""

    class Source(models.TextChoices):
        SCAN = "scan", _("扫码签到签退")
        SELF_DECLARED = "self_declared", _("本人申报")
        STAFF = "staff", _("工作人员录入")

    class Status(models.TextChoices):
        PENDING = "pending", _("待审核")
        APPROVED = "approved", _("已通过")
        REJECTED = "rejected", _("未通过")

    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("志愿者"), on_delete=models.PROTECT, related_name="volunteer_hours"
    )
    street = models.ForeignKey(
        "jurisdictions.Street", verbose_name=_("审核街道"), on_delete=models.PROTECT, related_name="volunteer_hours"
    )
    team = models.ForeignKey(
        VolunteerTeam, verbose_name=_("服务队"), on_delete=models.PROTECT, null=True, blank=True, related_name="hours"
    )
    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.PROTECT, null=True, blank=True, related_name="hours"
    )
    attendance = models.OneToOneField(
        Attendance,
        verbose_name=_("签到记录"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="volunteer_hours",
    )
    start = models.DateTimeField(_("开始"))
    end = models.DateTimeField(_("结束"), null=True, blank=True, help_text=_("签到后、签退前为空。"))
    hours = models.DecimalField(_("时长（小时）"), max_digits=6, decimal_places=2, default=Decimal("0"))
    source = models.CharField(_("来源"), max_length=20, choices=Source.choices)
    status = models.CharField(_("审核状态"), max_length=20, choices=Status.choices, db_index=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("审核人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)

    objects = VolunteerHoursQuerySet.as_manager()

    class Meta:
        verbose_name = _("志愿服务时长")
        verbose_name_plural = _("志愿服务时长")
        ordering = ["-start", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(team__isnull=False) | Q(activity__isnull=False),
                name="partybranch_hours_for_team_or_activity",
                violation_error_message=_("服务时长必须属于一个服务队或活动。"),
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gt=F("start")),
                name="partybranch_hours_end_after_start",
                violation_error_message=_("结束时间必须晚于开始时间。"),
            ),
            models.CheckConstraint(condition=Q(hours__gte=0), name="partybranch_hours_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} · {self.hours} h（{self.get_status_display()}）"


class AuditEvent(models.Model):
    """Who changed what and when (written by the services in the same transaction)."""

    class Verb(models.TextChoices):
        REGISTERED = "registered", _("报名并确认")
        WAITLISTED = "waitlisted", _("报名进入候补")
        PROMOTED = "promoted", _("候补转正")
        CANCELLED = "cancelled", _("取消报名")
        CHECKED_IN = "checked_in", _("签到")
        CHECKED_OUT = "checked_out", _("签退")
        HOURS_DECLARED = "hours_declared", _("申报时长")
        HOURS_APPROVED = "hours_approved", _("时长审核通过")
        HOURS_REJECTED = "hours_rejected", _("时长审核未通过")
        DELETED = "deleted", _("删除记录（区级）")

    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    verb = models.CharField(_("事件"), max_length=20, choices=Verb.choices)
    activity = models.ForeignKey(
        Activity, verbose_name=_("活动"), on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    registration = models.ForeignKey(
        Registration, verbose_name=_("报名"), on_delete=models.CASCADE, null=True, blank=True, related_name="events"
    )
    hours = models.ForeignKey(
        VolunteerHours,
        verbose_name=_("服务时长"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="events",
    )
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    class Meta:
        verbose_name = _("操作记录")
        verbose_name_plural = _("操作记录")
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        from django.utils import timezone

        return f"{timezone.localtime(self.at):%Y-%m-%d %H:%M} {self.get_verb_display()}"
