from typing import Any

from django.db.models import Count

from accounts.models import RiderProfile
from chaoyang_friendly.scoping import scope_queryset

from ..charts import Chart, register
from ..filters import Filters


@register
class RidersPerStreet(Chart):
    name = "riders-per-street"
    title = "登记骑手（按工作街道）"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        qs = scope_queryset(RiderProfile.objects.all(), user, "work_street")
        if filters.street_id:
            qs = qs.filter(work_street=filters.street_id)
        rows = list(
            qs.filter(work_street__isnull=False)
            .values("work_street__name")
            .annotate(n=Count("id"))
            .order_by("-n", "work_street__name")
        )
        return self.envelope(
            [r["work_street__name"] for r in rows],
            [{"label": "骑手人数", "label_en": "riders", "data": [r["n"] for r in rows]}],
        )
