from collections import defaultdict
from typing import Any

from django.contrib.gis.geos import Point
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from chaoyang_friendly.geo import display_coords
from reports.models import Report

from ..charts import Chart, register
from ..filters import Filters
from .common import days, percentile, scoped, window

TARGET_MINUTES = 10


def _reports(user: Any, filters: Filters):  # type: ignore[no-untyped-def]
    start, end = window(filters)
    return scoped(Report.objects.all(), user, filters).filter(created_at__gte=start, created_at__lt=end), start, end


@register
class ReportsPerDay(Chart):
    name = "reports-per-day"
    title = "每日随手拍上报（按类别）"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        qs, start, end = _reports(user, filters)
        rows = (
            qs.annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
            .values("day", "category__name")
            .annotate(n=Count("id"))
        )
        labels = days(start, end)
        series: dict[str, dict[Any, int]] = defaultdict(dict)
        for row in rows:
            series[row["category__name"]][row["day"]] = row["n"]
        datasets = [
            {"label": name, "data": [by_day.get(d, 0) for d in labels], "stack": "s"}
            for name, by_day in sorted(series.items())
        ]
        return self.envelope(labels, datasets)


@register
class ResponseMinutes(Chart):
    """Minutes from submission to the team (delivered) and to the scene (on site), per street."""

    name = "response-minutes"
    title = "响应时效：送达与到场分钟数（中位数 / P90，红线 10 分钟）"
    target_line = TARGET_MINUTES

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        qs, _start, _end = _reports(user, filters)
        delivered: dict[str, list[float]] = defaultdict(list)
        on_site: dict[str, list[float]] = defaultdict(list)
        rows = qs.filter(street__isnull=False).values_list("street__name", "created_at", "delivered_at", "on_site_at")
        for street, created, delivered_at, on_site_at in rows.iterator(chunk_size=5000):
            if delivered_at:
                delivered[street].append((delivered_at - created).total_seconds() / 60)
            if on_site_at:
                on_site[street].append((on_site_at - created).total_seconds() / 60)
        streets = sorted(set(delivered) | set(on_site))
        for values in (*delivered.values(), *on_site.values()):
            values.sort()
        return self.envelope(
            streets,
            [
                {
                    "label": "送达中位数",
                    "label_en": "delivered p50",
                    "data": [percentile(delivered[s], 0.5) for s in streets],
                },
                {
                    "label": "送达P90",
                    "label_en": "delivered p90",
                    "data": [percentile(delivered[s], 0.9) for s in streets],
                },
                {
                    "label": "到场中位数",
                    "label_en": "on site p50",
                    "data": [percentile(on_site[s], 0.5) for s in streets],
                },
                {"label": "到场P90", "label_en": "on site p90", "data": [percentile(on_site[s], 0.9) for s in streets]},
            ],
        )


@register
class SlaBreaches(Chart):
    name = "sla-breaches"
    title = "超时未到场（按街道）"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        qs, _start, _end = _reports(user, filters)
        now = timezone.now()
        late = Q(on_site_at__gt=F("arrival_due_at")) | Q(
            on_site_at__isnull=True, arrival_due_at__lt=now, status__in=Report.OPEN_STATUSES
        )
        rows = list(
            qs.filter(street__isnull=False)
            .values("street__name")
            .annotate(total=Count("id"), breached=Count("id", filter=late))
            .order_by("-breached", "street__name")
        )
        return self.envelope(
            [r["street__name"] for r in rows],
            [
                {"label": "超时", "label_en": "breached", "data": [r["breached"] for r in rows]},
                {"label": "上报总数", "label_en": "reports", "data": [r["total"] for r in rows]},
            ],
        )


@register
class ReportHotspots(Chart):
    """Report counts on a ~500 m grid, for the dashboard map."""

    name = "report-hotspots"
    title = "随手拍热点"
    kind = "map"
    cell = 0.005

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        qs, _start, _end = _reports(user, filters)
        cells: dict[tuple[int, int], int] = defaultdict(int)
        for point in qs.values_list("point", flat=True).iterator(chunk_size=5000):
            cells[(round(point.x / self.cell), round(point.y / self.cell))] += 1
        points = []
        for (i, j), n in sorted(cells.items(), key=lambda kv: -kv[1]):
            x, y = display_coords(Point(i * self.cell, j * self.cell, srid=4326))
            points.append([round(x, 5), round(y, 5), n])
        data = self.envelope(
            [f"{p[0]},{p[1]}" for p in points],
            [{"label": "上报数", "label_en": "reports", "data": [p[2] for p in points]}],
        )
        data["points"] = points
        return data
