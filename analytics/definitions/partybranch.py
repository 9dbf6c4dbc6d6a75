from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Coalesce, NullIf

from chaoyang_friendly.csvexport import Column
from partybranch.models import Activity, Attendance, Registration, Session, VolunteerHours

from ..expressions import choice_label
from ..filters import Filters
from ..registry import ExportDefinition, register


def _int_subquery(queryset: QuerySet, expression: Any) -> Coalesce:
    """A per-activity aggregate as a correlated subquery (no join multiplication between the counts)."""
    value = queryset.values("grouper").annotate(v=expression).values("v")[:1]
    return Coalesce(Subquery(value, output_field=IntegerField()), Value(0))


@register
class ActivitiesExport(ExportDefinition):
    """Activities with a session in the date range: sign-ups, waitlist and attendance rate."""

    name = "activities"
    title = "党建与家庭活动 报名与出勤"
    date_lookup = None  # filtered on the sessions, below
    admin_model = "partybranch.Activity"
    columns = [
        Column("id", "编号", "id", "number"),
        Column("title", "活动", "activity"),
        Column("kind_label", "类型", "kind"),
        Column("street_name", "主办街道", "street"),
        Column("branch_name", "主办支部", "branch"),
        Column("first_start", "首场开始", "first session", "datetime"),
        Column("session_count", "场次", "sessions", "number"),
        Column("capacity", "名额(人)", "capacity (people)", "number"),
        Column("confirmed_people", "已确认(人)", "confirmed (people)", "number"),
        Column("waitlisted_people", "候补(人)", "waitlisted (people)", "number"),
        Column("attended_people", "实到(人)", "attended (people)", "number"),
        Column("attendance_pct", "出勤率(%)", "attendance rate (%)", "minutes"),
    ]

    def base_queryset(self) -> QuerySet:
        return Activity.objects.exclude(status=Activity.Status.DRAFT)

    def filtered(self, *, user: Any, filters: Filters, queryset: QuerySet | None = None) -> QuerySet:
        qs = super().filtered(user=user, filters=filters, queryset=queryset)
        sessions = Session.objects.all()
        if filters.start is not None:
            sessions = sessions.filter(start__gte=filters.start)
        if filters.end is not None:
            sessions = sessions.filter(start__lt=filters.end)
        if filters.start is not None or filters.end is not None:
            qs = qs.filter(pk__in=sessions.values("activity"))
        return qs

    def rows(self, queryset: QuerySet) -> QuerySet:
        waitlisted = _int_subquery(
            Registration.objects.filter(activity=OuterRef("pk"), status=Registration.Status.WAITLISTED).annotate(
                grouper=F("activity")
            ),
            Sum("people"),
        )
        attended = _int_subquery(
            Attendance.objects.filter(session__activity=OuterRef("pk")).annotate(grouper=F("session__activity")),
            Count("person", distinct=True),
        )
        return (
            queryset.annotate(
                first_start=Min("sessions__start"),
                session_count=Count("sessions", distinct=True),
                waitlisted_people=waitlisted,
                attended_people=attended,
            )
            .annotate(
                attendance_pct=ExpressionWrapper(
                    100.0 * Cast("attended_people", FloatField()) / NullIf(Cast("confirmed_people", FloatField()), 0.0),
                    output_field=FloatField(),
                ),
                kind_label=choice_label("kind", Activity.Kind.choices),
                street_name=F("street__name"),
                branch_name=F("organiser_branch__name"),
            )
            .order_by("first_start", "pk")
            .values(*[c.key for c in self.columns])
        )


@register
class VolunteerHoursExport(ExportDefinition):
    """Volunteer hours per person: approved hours count; pending self-declared hours are shown apart."""

    name = "volunteer-hours"
    title = "志愿服务时长（按人）"
    date_lookup = "start"
    admin_model = "partybranch.VolunteerHours"
    columns = [
        Column("person_phone", "手机号", "phone", "phone"),
        Column("person_name", "姓名", "name"),
        Column("street_name", "街道", "street"),
        Column("records", "记录数", "records", "number"),
        Column("approved_hours", "已认定时长(小时)", "approved hours", "number"),
        Column("pending_hours", "待审核时长(小时)", "pending hours", "number"),
    ]

    def base_queryset(self) -> QuerySet:
        return VolunteerHours.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        zero = Value(0, output_field=DecimalField(max_digits=8, decimal_places=2))
        return (
            queryset.values("person", "street")
            .annotate(
                person_phone=F("person__phone"),
                person_name=F("person__name"),
                street_name=F("street__name"),
                records=Count("id"),
                approved_hours=Coalesce(Sum("hours", filter=Q(status=VolunteerHours.Status.APPROVED)), zero),
                pending_hours=Coalesce(Sum("hours", filter=Q(status=VolunteerHours.Status.PENDING)), zero),
            )
            .order_by("-approved_hours", "person")
        )


@register
class VolunteerTeamHoursExport(ExportDefinition):
    name = "volunteer-team-hours"
    title = "志愿服务时长（按服务队）"
    date_lookup = "start"
    columns = [
        Column("team_name", "服务队", "team"),
        Column("street_name", "街道", "street"),
        Column("volunteers", "志愿者人数", "volunteers", "number"),
        Column("approved_hours", "已认定时长(小时)", "approved hours", "number"),
    ]

    def base_queryset(self) -> QuerySet:
        return VolunteerHours.objects.filter(team__isnull=False, status=VolunteerHours.Status.APPROVED)

    def rows(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.values("team", "street")
            .annotate(
                team_name=F("team__name"),
                street_name=F("street__name"),
                volunteers=Count("person", distinct=True),
                approved_hours=Sum("hours"),
            )
            .order_by("-approved_hours", "team")
        )
