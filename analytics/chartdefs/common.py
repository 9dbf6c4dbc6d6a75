import datetime as dt
import math
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from chaoyang_friendly.scoping import scope_queryset

from ..filters import Filters

DEFAULT_DAYS = 30


def window(filters: Filters) -> tuple[dt.datetime, dt.datetime]:
    """The chart's time window: the filters' dates, else the last 30 days (Asia/Shanghai days)."""
    end = filters.end or timezone.make_aware(
        dt.datetime.combine(timezone.localdate() + dt.timedelta(days=1), dt.time.min)
    )
    start = filters.start or end - dt.timedelta(days=DEFAULT_DAYS)
    return start, end


def scoped(queryset: QuerySet, user: Any, filters: Filters, street_lookup: str = "street") -> QuerySet:
    qs = scope_queryset(queryset, user, street_lookup)
    if filters.street_id:
        qs = qs.filter(**{street_lookup: filters.street_id})
    return qs


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..1) of an already sorted list."""
    if not sorted_values:
        return None
    pos = (len(sorted_values) - 1) * q
    low, high = math.floor(pos), math.ceil(pos)
    value = sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (pos - low)
    return round(value, 1)


def days(start: dt.datetime, end: dt.datetime) -> list[dt.date]:
    first = timezone.localtime(start).date()
    last = timezone.localtime(end - dt.timedelta(seconds=1)).date()
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
