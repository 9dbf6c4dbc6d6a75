from datetime import datetime

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db import models
from django.db.models import Count, Exists, Max, Min, OuterRef, Q, Sum

from chaoyang_friendly.scoping import StreetScopedQuerySet


class BranchQuerySet(StreetScopedQuerySet):
    street_lookup = "street"


class MembershipQuerySet(StreetScopedQuerySet):
    street_lookup = "branch__street"

    def active(self) -> "MembershipQuerySet":
        return self.filter(status="active")


class ActivityQuerySet(StreetScopedQuerySet):
    street_lookup = "street"

    def published(self) -> "ActivityQuerySet":
        return self.filter(status="published")

    def with_first_start(self) -> "ActivityQuerySet":
        return self.annotate(first_start=Min("sessions__start"))

    def with_next_start(self, now: datetime) -> "ActivityQuerySet":
        """Annotate `next_start`: the start of the first session not yet ended (None when all are over).
        A weekly series that began weeks ago sorts by its next meeting, not by its first."""
        return self.annotate(next_start=Min("sessions__start", filter=Q(sessions__end__gte=now)))

    def with_last_end(self) -> "ActivityQuerySet":
        return self.annotate(last_end=Max("sessions__end"))

    def upcoming(self, now: datetime) -> "ActivityQuerySet":
        """Activities with a session still to end."""
        from .models import Session

        return self.filter(Exists(Session.objects.filter(activity=OuterRef("pk"), end__gte=now)))

    def past(self, now: datetime) -> "ActivityQuerySet":
        """Activities whose sessions have all ended (and that had at least one)."""
        from .models import Session

        sessions = Session.objects.filter(activity=OuterRef("pk"))
        return self.filter(Exists(sessions)).exclude(Exists(sessions.filter(end__gte=now)))

    def family_welcome(self) -> "ActivityQuerySet":
        return self.filter(family_allowed=True)

    def with_distance(self, point: Point) -> "ActivityQuerySet":
        """Annotate `distance` (metres on the spheroid, not degrees); activities without a place sort last."""
        return self.annotate(distance=Distance("point", point))

    def with_counts(self) -> "ActivityQuerySet":
        """Annotate confirmed/waitlisted people and people present at any session, in one query."""
        from .models import Attendance, Registration

        present = (
            Attendance.objects.filter(session__activity=OuterRef("pk"))
            .values("session__activity")
            .annotate(n=Count("person", distinct=True))
            .values("n")
        )
        return self.annotate(
            waitlisted_people=Sum(
                "registrations__people", filter=Q(registrations__status=Registration.Status.WAITLISTED)
            ),
            present_people=models.Subquery(present, output_field=models.IntegerField()),
        )


class SessionQuerySet(StreetScopedQuerySet):
    street_lookup = "activity__street"


class RegistrationQuerySet(StreetScopedQuerySet):
    street_lookup = "activity__street"

    def active(self) -> "RegistrationQuerySet":
        return self.exclude(status="cancelled")

    def waitlist(self) -> "RegistrationQuerySet":
        return self.filter(status="waitlisted").order_by("created_at", "id")


class AttendanceQuerySet(StreetScopedQuerySet):
    street_lookup = "session__activity__street"


class VolunteerTeamQuerySet(StreetScopedQuerySet):
    street_lookup = "street"


class VolunteerHoursQuerySet(StreetScopedQuerySet):
    street_lookup = "street"

    def approved(self) -> "VolunteerHoursQuerySet":
        return self.filter(status="approved")

    def approval_queue(self) -> "VolunteerHoursQuerySet":
        return self.filter(status="pending", end__isnull=False).order_by("start", "id")
