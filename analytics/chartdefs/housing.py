from typing import Any

from django.db.models import Count, Q

from housing.models import Bed, Project

from ..charts import Chart, register
from ..filters import Filters
from .common import scoped

BEDS = "room_types__rooms__beds"


@register
class OccupancyPerProject(Chart):
    name = "occupancy"
    title = "保障住房 入住情况（按项目）"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        rows = list(
            scoped(Project.objects.all(), user, filters)
            .annotate(
                total=Count(BEDS, distinct=True),
                occupied=Count(BEDS, filter=Q(**{f"{BEDS}__status": Bed.Status.OCCUPIED}), distinct=True),
                held=Count(BEDS, filter=Q(**{f"{BEDS}__status": Bed.Status.HELD}), distinct=True),
            )
            .filter(total__gt=0)
            .order_by("-total", "name")
            .values("name", "total", "occupied", "held")[:40]
        )
        return self.envelope(
            [r["name"] for r in rows],
            [
                {"label": "已入住", "label_en": "occupied", "data": [r["occupied"] for r in rows], "stack": "b"},
                {"label": "已发邀约", "label_en": "held", "data": [r["held"] for r in rows], "stack": "b"},
                {
                    "label": "空余",
                    "label_en": "free",
                    "data": [r["total"] - r["occupied"] - r["held"] for r in rows],
                    "stack": "b",
                },
            ],
        )
