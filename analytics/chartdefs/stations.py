from typing import Any

from django.db.models import Count
from django.db.models.functions import TruncDate
from django.utils import timezone

from chaoyang_friendly.scoping import user_sees_all_streets, user_street_id
from stations.coverage import coverage_by_street, coverage_geojson
from stations.models import Visit

from ..charts import Chart, register
from ..filters import Filters
from .common import days, scoped, window

VISITS_TARGET = 58_000


@register
class VisitsPerDay(Chart):
    name = "visits-per-day"
    title = "驿站每日服务人次（全区目标约 5.8 万）"
    kind = "line"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        start, end = window(filters)
        rows = (
            scoped(Visit.objects.all(), user, filters, "station__street")
            .filter(created_at__gte=start, created_at__lt=end)
            .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day")
            .annotate(n=Count("id"))
        )
        by_day = {r["day"]: r["n"] for r in rows}
        labels = days(start, end)
        data = self.envelope(
            labels, [{"label": "签到人次", "label_en": "visits", "data": [by_day.get(d, 0) for d in labels]}]
        )
        if user_sees_all_streets(user) and not filters.street_id:
            data["target"] = VISITS_TARGET
        return data


def _coverage_rows(user: Any, filters: Filters) -> list[Any]:
    rows = coverage_by_street()
    own = None if user_sees_all_streets(user) else user_street_id(user)
    wanted = filters.street_id or own
    return [r for r in rows if wanted is None or r.street_id == wanted]


@register
class CoveragePerStreet(Chart):
    name = "coverage"
    title = "15分钟服务圈覆盖率（按街道，%）"
    target_line = 100

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        rows = sorted(_coverage_rows(user, filters), key=lambda r: r.share)
        return self.envelope(
            [r.street_name for r in rows],
            [{"label": "覆盖率(%)", "label_en": "covered (%)", "data": [round(r.share * 100, 1) for r in rows]}],
        )


@register
class CoverageGaps(Chart):
    name = "coverage-gaps"
    title = "15分钟服务圈覆盖缺口"
    kind = "map"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        rows = _coverage_rows(user, filters)
        data = self.envelope(
            [r.street_name for r in rows],
            [
                {
                    "label": "未覆盖面积(平方公里)",
                    "label_en": "gap (km²)",
                    "data": [round((r.area_m2 - r.covered_m2) / 1e6, 3) for r in rows],
                }
            ],
        )
        data["geojson"] = coverage_geojson(rows)
        return data
