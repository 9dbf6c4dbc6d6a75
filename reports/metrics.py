"""Prometheus gauges of the 随手拍 flow, read at scrape time (chaoyang_friendly.metrics): how long reports
of the last hour took from submission to delivery to a team, and how many open reports are past an SLA."""

import math
from collections.abc import Iterable
from datetime import timedelta

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric

from .models import Report, ReportEvent

WINDOW = timedelta(hours=1)
QUANTILES = (0.5, 0.95)


def _quantile(values: list[float], q: float) -> float:
    """Nearest-rank quantile of sorted `values`."""
    return values[max(1, math.ceil(len(values) * q)) - 1]


def collect() -> Iterable[Metric]:
    now = timezone.now()
    delivered: dict[int, float] = {}
    rows = ReportEvent.objects.filter(kind=ReportEvent.Kind.DELIVERED, at__gte=now - WINDOW).values_list(
        "report_id", "at", "report__created_at"
    )
    for report_id, at, submitted in rows:
        seconds = max(0.0, (at - submitted).total_seconds())
        delivered[report_id] = min(seconds, delivered.get(report_id, seconds))
    latencies = sorted(delivered.values())
    latency = GaugeMetricFamily(
        "chaoyang_dispatch_latency_seconds",
        "Submission to first delivery to a team, for reports delivered in the last hour.",
        labels=["quantile"],
    )
    for q in QUANTILES:
        latency.add_metric([str(q)], _quantile(latencies, q) if latencies else 0.0)
    yield latency
    yield GaugeMetricFamily(
        "chaoyang_dispatch_delivered_last_hour", "Reports delivered to a team in the last hour.", value=len(latencies)
    )
    yield GaugeMetricFamily(
        "chaoyang_sla_breaches_open",
        "Open reports past their arrival or resolution deadline.",
        value=Report.objects.overdue(now).count(),
    )
