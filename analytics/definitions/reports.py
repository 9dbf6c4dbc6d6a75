from django.db.models import (
    BooleanField,
    Case,
    DurationField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    When,
)

from chaoyang_friendly.csvexport import Column
from reports.models import Report

from ..expressions import choice_label
from ..registry import ExportDefinition, register


def _minutes(later: str, earlier: str = "created_at") -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


@register
class ReportsExport(ExportDefinition):
    """One row per report: who handled it and how fast, against its SLA."""

    name = "reports"
    title = "随手拍 上报与处置时效"
    date_lookup = "created_at"
    admin_model = "reports.Report"
    columns = [
        Column("id", "编号", "id", "number"),
        Column("category_name", "类别", "category"),
        Column("street_name", "街道", "street"),
        Column("team_name", "应急队", "team"),
        Column("status_label", "状态", "status"),
        Column("reporter_phone", "上报人手机", "reporter phone", "phone"),
        Column("created_at", "上报时间", "submitted at", "datetime"),
        Column("routed_at", "派单时间", "routed at", "datetime"),
        Column("delivered_at", "送达时间", "delivered at", "datetime"),
        Column("acknowledged_at", "接单时间", "acknowledged at", "datetime"),
        Column("on_site_at", "到场时间", "on site at", "datetime"),
        Column("resolved_at", "处置完成时间", "resolved at", "datetime"),
        Column("to_routed", "上报→派单(分钟)", "submit→routed (min)", "minutes"),
        Column("to_delivered", "上报→送达应急队(分钟)", "submit→delivered (min)", "minutes"),
        Column("to_on_site", "上报→到场(分钟)", "submit→on site (min)", "minutes"),
        Column("to_resolved", "上报→处置(分钟)", "submit→resolved (min)", "minutes"),
        Column("arrival_sla_met", "到场达标", "arrival SLA met", "bool"),
        Column("resolve_sla_met", "处置达标", "resolution SLA met", "bool"),
    ]

    def base_queryset(self) -> QuerySet:
        return Report.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        resolved = Q(status=Report.Status.RESOLVED)
        return (
            queryset.order_by("created_at", "pk")
            .annotate(
                resolved_at=Case(When(resolved, then=F("closed_at"))),
                to_routed=_minutes("routed_at"),
                to_delivered=_minutes("delivered_at"),
                to_on_site=_minutes("on_site_at"),
                to_resolved=_minutes("resolved_at"),
                arrival_sla_met=ExpressionWrapper(Q(on_site_at__lte=F("arrival_due_at")), output_field=BooleanField()),
                resolve_sla_met=ExpressionWrapper(
                    resolved & Q(closed_at__lte=F("resolve_due_at")), output_field=BooleanField()
                ),
                status_label=choice_label("status", Report.Status.choices),
            )
            .values(
                "id",
                "created_at",
                "routed_at",
                "delivered_at",
                "acknowledged_at",
                "on_site_at",
                "resolved_at",
                "to_routed",
                "to_delivered",
                "to_on_site",
                "to_resolved",
                "arrival_sla_met",
                "resolve_sla_met",
                "status_label",
                category_name=F("category__name"),
                street_name=F("street__name"),
                team_name=F("team__name"),
                reporter_phone=F("reporter__phone"),
            )
        )
