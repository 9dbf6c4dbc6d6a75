from django.db.models import (
    Case,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Q,
    QuerySet,
    When,
)
from django.db.models.functions import Cast, Now, NullIf

from chaoyang_friendly.csvexport import Column
from housing.models import Application, Bed, RoomType

from ..expressions import choice_label
from ..registry import ExportDefinition, register

BEDS = "rooms__beds"


def occupancy_annotations() -> dict[str, object]:
    """Bed counts per row of RoomType (or Project with the prefix adjusted by the caller)."""
    return {
        "beds_total": Count(BEDS, distinct=True),
        "beds_occupied": Count(BEDS, filter=Q(**{f"{BEDS}__status": Bed.Status.OCCUPIED}), distinct=True),
        "beds_held": Count(BEDS, filter=Q(**{f"{BEDS}__status": Bed.Status.HELD}), distinct=True),
        "beds_available": Count(BEDS, filter=Q(**{f"{BEDS}__status": Bed.Status.AVAILABLE}), distinct=True),
        "beds_out": Count(BEDS, filter=Q(**{f"{BEDS}__status": Bed.Status.OUT_OF_SERVICE}), distinct=True),
    }


@register
class HousingOccupancyExport(ExportDefinition):
    """A snapshot: beds by state per project and room type (no date filter applies)."""

    name = "housing-occupancy"
    title = "保障住房 入住率（按项目和房型）"
    street_lookup = "project__street"
    date_lookup = None
    columns = [
        Column("project_name", "项目", "project"),
        Column("street_name", "街道", "street"),
        Column("name", "房型", "room type"),
        Column("rent", "月租金(元)", "monthly rent (CNY)", "number"),
        Column("beds_total", "床位总数", "beds", "number"),
        Column("beds_occupied", "已入住", "occupied", "number"),
        Column("beds_held", "已发邀约", "held for an offer", "number"),
        Column("beds_available", "空闲", "available", "number"),
        Column("beds_out", "停用", "out of service", "number"),
        Column("occupancy_pct", "入住率(%)", "occupancy (%)", "minutes"),
    ]

    def base_queryset(self) -> QuerySet:
        return RoomType.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        return (
            queryset.annotate(**occupancy_annotations())
            .annotate(
                occupancy_pct=ExpressionWrapper(
                    100.0 * Cast("beds_occupied", FloatField()) / NullIf(Cast("beds_total", FloatField()), 0.0),
                    output_field=FloatField(),
                ),
                project_name=F("project__name"),
                street_name=F("project__street__name"),
            )
            .order_by("project__name", "name")
            .values("project_name", "street_name", "name", "rent", *occupancy_annotations(), "occupancy_pct")
        )


@register
class HousingApplicationsExport(ExportDefinition):
    name = "housing-applications"
    title = "保障住房 申请（状态与等待天数）"
    street_lookup = "project__street"
    date_lookup = "created_at"
    admin_model = "housing.Application"
    columns = [
        Column("id", "编号", "id", "number"),
        Column("rider_phone", "申请人手机", "applicant phone", "phone"),
        Column("project_name", "意向项目", "project"),
        Column("street_name", "街道", "street"),
        Column("household_label", "申请类型", "household"),
        Column("status_label", "状态", "status"),
        Column("reason", "原因", "reason"),
        Column("created_at", "申请时间", "applied at", "datetime"),
        Column("move_in_date", "期望入住日期", "move-in date", "date"),
        Column("waiting", "等待天数", "days waiting", "days"),
    ]

    def base_queryset(self) -> QuerySet:
        return Application.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        # Open applications wait until now; closed ones waited until their last change.
        until = Case(
            When(status__in=Application.OPEN_STATUSES, then=Now()),
            default=F("updated_at"),
            output_field=DateTimeField(),
        )
        return (
            queryset.order_by("created_at", "pk")
            .annotate(
                waiting=ExpressionWrapper(until - F("created_at"), output_field=DurationField()),
                status_label=choice_label("status", Application.Status.choices),
                household_label=choice_label("household_kind", Application._meta.get_field("household_kind").choices),
            )
            .values(
                "id",
                "reason",
                "created_at",
                "move_in_date",
                "waiting",
                "status_label",
                "household_label",
                rider_phone=F("rider__phone"),
                project_name=F("project__name"),
                street_name=F("project__street__name"),
            )
        )
