from django.db.models import F, QuerySet

from accounts.models import RiderProfile
from chaoyang_friendly.csvexport import Column

from ..expressions import choice_label
from ..registry import ExportDefinition, register


@register
class RidersExport(ExportDefinition):
    name = "riders"
    title = "骑手登记"
    street_lookup = "work_street"
    date_lookup = "created_at"
    admin_model = "accounts.RiderProfile"
    columns = [
        Column("id", "编号", "id", "number"),
        Column("phone", "手机号", "phone", "phone"),
        Column("name", "称呼", "name"),
        # The label people read (外卖骑手), not the code (food_delivery): the label is what a pivot table groups
        # by, and the codes add nothing an analyst needs.
        Column("occupation_label", "职业", "occupation"),
        Column("platform", "平台/雇主", "platform"),
        Column("street", "工作街道", "work street"),
        Column("created_at", "登记时间", "registered at", "datetime"),
    ]

    def base_queryset(self) -> QuerySet:
        return RiderProfile.objects.all()

    def rows(self, queryset: QuerySet) -> QuerySet:
        return queryset.order_by("pk").values(
            "id",
            "platform",
            "created_at",
            phone=F("user__phone"),
            name=F("user__name"),
            street=F("work_street__name"),
            occupation_label=choice_label("occupation", RiderProfile.Occupation.choices),
        )
