"""Reads across models, with their joins done."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.contrib.gis.measure import D
from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.utils import timezone

from .models import Activity, Branch, Membership, Registration, Session, VolunteerHours


def activity_list_for_rider(
    *, kind: str | None = None, family_welcome: bool = False, near: Point | None = None, upcoming: bool = True
) -> QuerySet[Activity]:
    """Published activities, soonest first (nearest first when `near` is given, within the 'near' radius)."""
    qs = (
        Activity.objects.published()
        .with_first_start()
        .select_related("street", "organiser_branch")
        .defer("street__boundary")
        .prefetch_related(Prefetch("sessions", queryset=Session.objects.order_by("start")))
    )
    if upcoming:
        qs = qs.upcoming(timezone.now())
    if kind:
        qs = qs.filter(kind=kind)
    if family_welcome:
        qs = qs.family_welcome()
    if near is not None:
        qs = (
            qs.filter(point__distance_lte=(near, D(m=settings.PARTYBRANCH_NEAR_METRES)))
            .with_distance(near)
            .order_by("distance", "first_start", "id")
        )
    else:
        qs = qs.order_by("first_start", "id")
    return qs


def activity_get_published(*, pk: int) -> Activity:
    return activity_list_for_rider(upcoming=False).get(pk=pk)


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


def session_checkin_sheet(*, session: Session) -> list[dict[str, Any]]:
    """Every person of the confirmed families with their attendance at `session` (None if absent)."""
    registrations = (
        session.activity.registrations.filter(status=Registration.Status.CONFIRMED)
        .select_related("rider")
        .prefetch_related("persons")
        .order_by("created_at", "id")
    )
    present = {a.person_id: a for a in session.attendances.all()}
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
