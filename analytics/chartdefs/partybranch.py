import datetime as dt
from typing import Any

from django.db.models import Count, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from partybranch.models import Attendance, Registration, VolunteerHours

from ..charts import Chart, register
from ..filters import Filters
from .common import scoped

MONTHS = 6


def _months_window(filters: Filters) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localdate()
    end = filters.end or timezone.make_aware(
        dt.datetime.combine(today.replace(day=1) + dt.timedelta(days=32), dt.time.min).replace(day=1)
    )
    start = filters.start or timezone.make_aware(
        dt.datetime.combine(
            (timezone.localtime(end) - dt.timedelta(days=31 * MONTHS)).date().replace(day=1), dt.time.min
        )
    )
    return start, end


@register
class ParticipationPerMonth(Chart):
    name = "participation"
    title = "活动参与（按月）：报名人数、实到人数、志愿服务时长"

    def data(self, *, user: Any, filters: Filters) -> dict[str, Any]:
        start, end = _months_window(filters)
        tz = timezone.get_current_timezone()
        signed = (
            scoped(Registration.objects.filter(status=Registration.Status.CONFIRMED), user, filters, "activity__street")
            .filter(created_at__gte=start, created_at__lt=end)
            .annotate(month=TruncMonth("created_at", tzinfo=tz))
            .values("month")
            .annotate(n=Sum("people"))
        )
        attended = (
            scoped(Attendance.objects.all(), user, filters, "session__activity__street")
            .filter(at__gte=start, at__lt=end)
            .annotate(month=TruncMonth("at", tzinfo=tz))
            .values("month")
            .annotate(n=Count("id"))
        )
        hours = (
            scoped(VolunteerHours.objects.filter(status=VolunteerHours.Status.APPROVED), user, filters)
            .filter(start__gte=start, start__lt=end)
            .annotate(month=TruncMonth("start", tzinfo=tz))
            .values("month")
            .annotate(n=Sum("hours"))
        )
        series = [
            (
                "报名人数(已确认)",
                "confirmed people",
                {timezone.localtime(r["month"]).strftime("%Y-%m"): r["n"] for r in signed},
            ),
            ("实到人次", "attendances", {timezone.localtime(r["month"]).strftime("%Y-%m"): r["n"] for r in attended}),
            (
                "志愿服务时长(小时)",
                "volunteer hours",
                {timezone.localtime(r["month"]).strftime("%Y-%m"): float(r["n"]) for r in hours},
            ),
        ]
        labels = sorted({m for _zh, _en, values in series for m in values})
        return self.envelope(
            labels,
            [{"label": zh, "label_en": en, "data": [values.get(m, 0) for m in labels]} for zh, en, values in series],
        )
