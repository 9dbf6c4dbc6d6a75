"""Reads across models, with their joins done."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from .models import Activity, AuditEvent, Branch, Membership, Registration, Session, VolunteerHours


def _rider_activities() -> QuerySet[Activity]:
    return (
        Activity.objects.published()
        .with_first_start()
        .select_related("street", "organiser_branch")
        .defer("street__boundary")
        .prefetch_related(Prefetch("sessions", queryset=Session.objects.order_by("start")))
    )


def activity_list_for_rider(
    *, kind: str | None = None, family_welcome: bool = False, near: Point | None = None, upcoming: bool = True
) -> QuerySet[Activity]:
    """Published activities. Upcoming ones (a session still to end) come soonest first by their next
    session, so a weekly series that began weeks ago sorts by its next meeting; nearest first when `near`
    is given, within the 'near' radius. With `upcoming=False` every published activity, by first start."""
    now = timezone.now()
    qs = _rider_activities().with_next_start(now)
    if upcoming:
        qs = qs.upcoming(now)
    if kind:
        qs = qs.filter(kind=kind)
    if family_welcome:
        qs = qs.family_welcome()
    order = ("next_start", "id") if upcoming else ("first_start", "id")
    if near is not None:
        qs = (
            qs.filter(point__distance_lte=(near, D(m=settings.PARTYBRANCH_NEAR_METRES)))
            .with_distance(near)
            .order_by("distance", *order)
        )
    else:
        qs = qs.order_by(*order)
    return qs


def activity_list_past_for_rider(*, kind: str | None = None, family_welcome: bool = False) -> QuerySet[Activity]:
    """Published activities that are over, the most recently ended first (shown below the upcoming ones)."""
    qs = _rider_activities().with_last_end().past(timezone.now())
    if kind:
        qs = qs.filter(kind=kind)
    if family_welcome:
        qs = qs.family_welcome()
    return qs.order_by("-last_end", "-id")


def activity_get_published(*, pk: int) -> Activity:
    """One published activity, annotated with `first_start` and `next_start` (None once it is over)."""
    return activity_list_for_rider(upcoming=False).get(pk=pk)


@dataclass
class SignupState:
    """Whether a rider can sign up for an activity now, and why not."""

    open: bool
    ended: bool = False
    deadline_passed: bool = False


def activity_signup_state(*, activity: Activity) -> SignupState:
    """The same rules as services.registration_create, for the page: over, past its deadline, or open."""
    now = timezone.now()
    if hasattr(activity, "next_start"):
        next_start = activity.next_start
    else:
        next_start = activity.sessions.filter(end__gte=now).order_by("start").values_list("start", flat=True).first()
    if next_start is None:
        return SignupState(open=False, ended=True)
    if activity.signup_deadline and now > activity.signup_deadline:
        return SignupState(open=False, deadline_passed=True)
    return SignupState(open=True)


def activity_list_for_staff(*, user: Any) -> QuerySet[Activity]:
    """Activities of the staff member's street with live confirmed/waitlisted/present counts (one query)."""
    return (
        Activity.objects.for_user(user)
        .with_first_start()
        .with_counts()
        .select_related("street", "organiser_branch")
        .defer("street__boundary")
        .order_by("-first_start", "-id")
    )


def registration_list_for_rider(*, user: Any) -> QuerySet[Registration]:
    return (
        Registration.objects.filter(rider=user)
        .select_related("activity", "activity__street")
        .prefetch_related("persons", Prefetch("activity__sessions", queryset=Session.objects.order_by("start")))
        .order_by("-created_at", "-id")
    )


def registration_get_for_rider(*, user: Any, pk: int) -> Registration:
    """The rider's own registration; Registration.DoesNotExist for anyone else's."""
    return registration_list_for_rider(user=user).get(pk=pk)


@dataclass
class WaitlistInfo:
    position: int  # 1 = next in line
    people: int
    remaining_at_signup: int | None  # free places when the family signed up (None for older records)


def registration_waitlist_info(*, registration: Registration) -> WaitlistInfo | None:
    """Where a waitlisted family stands (第 N 位, counted in families in sign-up order, the order in which
    cancellations promote them) and how many places were free when they signed up; None if not waitlisted."""
    if registration.status != Registration.Status.WAITLISTED:
        return None
    ahead = (
        Registration.objects.filter(activity_id=registration.activity_id, status=Registration.Status.WAITLISTED)
        .filter(
            Q(created_at__lt=registration.created_at) | Q(created_at=registration.created_at, id__lt=registration.pk)
        )
        .count()
    )
    event = (
        AuditEvent.objects.filter(registration=registration, verb=AuditEvent.Verb.WAITLISTED)
        .order_by("-at", "-id")
        .values_list("detail", flat=True)
        .first()
    )
    remaining = (event or {}).get("remaining")
    return WaitlistInfo(
        position=ahead + 1,
        people=registration.people,
        remaining_at_signup=int(remaining) if remaining is not None else None,
    )


def session_checkin_sheet(*, session: Session) -> list[dict[str, Any]]:
    """Every person of the confirmed families with their attendance at `session` (None if absent)."""
    registrations = (
        session.activity.registrations.filter(status=Registration.Status.CONFIRMED)
        .select_related("rider")
        .prefetch_related("persons")
        .order_by("created_at", "id")
    )
    present = {a.person_id: a for a in session.attendances.select_related("by")}
    return [{"registration": r, "persons": [(p, present.get(p.pk)) for p in r.persons.all()]} for r in registrations]


@dataclass
class HoursSummary:
    approved: Decimal
    pending: Decimal
    milestones: list[dict[str, Any]]
    next_milestone: int | None
    to_next: Decimal | None


def hours_summary(*, user: Any) -> HoursSummary:
    """Totals (approved hours count; pending do not) and the milestones 100/300/600/1000/1500 h."""
    totals = VolunteerHours.objects.filter(person=user).aggregate(
        approved=Sum("hours", filter=Q(status=VolunteerHours.Status.APPROVED)),
        pending=Sum("hours", filter=Q(status=VolunteerHours.Status.PENDING)),
    )
    approved = totals["approved"] or Decimal("0")
    pending = totals["pending"] or Decimal("0")
    milestones = [{"hours": m, "reached": approved >= m} for m in settings.PARTYBRANCH_HOUR_MILESTONES]
    upcoming = [m for m in settings.PARTYBRANCH_HOUR_MILESTONES if approved < m]
    next_milestone = upcoming[0] if upcoming else None
    return HoursSummary(
        approved=approved,
        pending=pending,
        milestones=milestones,
        next_milestone=next_milestone,
        to_next=(Decimal(next_milestone) - approved) if next_milestone else None,
    )


def hours_list_for_person(*, user: Any) -> QuerySet[VolunteerHours]:
    return VolunteerHours.objects.filter(person=user).select_related("team", "activity").order_by("-start", "-id")


def hours_queue_for_staff(*, user: Any) -> QuerySet[VolunteerHours]:
    return VolunteerHours.objects.for_user(user).approval_queue().select_related("person", "team", "activity", "street")


def branch_list_for_staff(*, user: Any) -> QuerySet[Branch]:
    return (
        Branch.objects.for_user(user)
        .select_related("committee", "street", "secretary")
        .annotate(member_count=Count("memberships", filter=Q(memberships__status=Membership.Status.ACTIVE)))
        .order_by("committee__name", "name")
    )


def membership_list_for_staff(*, user: Any, branch: Branch) -> QuerySet[Membership]:
    return (
        Membership.objects.for_user(user)
        .filter(branch=branch)
        .select_related("user", "branch", "transferred_from", "transferred_to")
        .order_by("status", "role", "id")
    )
