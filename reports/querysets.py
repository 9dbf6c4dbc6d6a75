from datetime import datetime

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Q

from chaoyang_friendly.scoping import StreetScopedQuerySet


class ResponseTeamQuerySet(StreetScopedQuerySet):
    def on_duty(self) -> "ResponseTeamQuerySet":
        return self.filter(on_duty=True)


class ReportQuerySet(StreetScopedQuerySet):
    def open(self) -> "ReportQuerySet":
        from .models import Report

        return self.filter(status__in=Report.OPEN_STATUSES)

    def closed(self) -> "ReportQuerySet":
        from .models import Report

        return self.filter(status__in=Report.CLOSED_STATUSES)

    def overdue(self, now: datetime) -> "ReportQuerySet":
        """Open reports past the arrival deadline with nobody on site, or past the resolution deadline."""
        return self.open().filter(Q(arrival_due_at__lt=now, on_site_at__isnull=True) | Q(resolve_due_at__lt=now))

    def near(self, point: Point, metres: float) -> "ReportQuerySet":
        """Within `metres` of `point` (geodesic distance, not degrees), nearest first."""
        return (
            self.filter(point__distance_lte=(point, D(m=metres)))
            .annotate(distance=Distance("point", point))
            .order_by("distance")
        )

    def of_reporter(self, user) -> "ReportQuerySet":  # type: ignore[no-untyped-def]
        return self.filter(reporter=user)

    def of_team_member(self, user) -> "ReportQuerySet":  # type: ignore[no-untyped-def]
        return self.filter(team__members=user)
