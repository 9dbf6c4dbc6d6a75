"""Reads about reports, with their related rows fetched up front."""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.gis.geos import Point
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User

from .models import Category, Report, ReportEvent, ReportPhoto


def _with_details(qs: QuerySet) -> QuerySet:
    return qs.select_related("category", "street", "team").prefetch_related(
        Prefetch("photos", queryset=ReportPhoto.objects.order_by("id")),
        Prefetch("events", queryset=ReportEvent.objects.select_related("actor").order_by("at", "id")),
    )


def category_list() -> QuerySet:
    return Category.objects.filter(is_active=True)


def report_list_for_rider(*, user: User) -> QuerySet:
    """The rider's own reports, newest first (category, street and photos included)."""
    return (
        Report.objects.of_reporter(user)
        .select_related("category", "street")
        .defer("street__boundary")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("id")))
        .annotate(supporter_count=Count("supporters"))
        .order_by("-created_at", "-id")
    )


def report_list_for_team(*, user: User) -> QuerySet:
    return (
        Report.objects.of_team_member(user)
        .select_related("category", "street")
        .defer("street__boundary")
        .prefetch_related(Prefetch("photos", queryset=ReportPhoto.objects.order_by("id")))
        .annotate(supporter_count=Count("supporters"))
        .order_by("-created_at", "-id")
    )


def report_get_for_user(*, user: User, pk: object) -> Report:
    """The report as its reporter or its team's member may see it; anyone else gets 404."""
    if user.role == Role.RIDER:
        qs = Report.objects.of_reporter(user)
    elif user.role == Role.TEAM_MEMBER:
        qs = Report.objects.of_team_member(user)
    else:
        qs = Report.objects.none()
    try:
        return _with_details(qs.annotate(supporter_count=Count("supporters"))).get(pk=pk)
    except (Report.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到。")) from None


def report_get_for_team(*, user: User, pk: object) -> Report:
    try:
        return Report.objects.of_team_member(user).select_related("category").get(pk=pk)
    except (Report.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到。")) from None


def report_nearby_open(*, point: Point, category: Category, metres: float, rider: User | None = None) -> QuerySet:
    """Open reports of `category` within `metres` (geodesic), nearest first — the "me too" candidates.

    With `rider`, that rider's own reports are left out (nobody supports their own report); each comes with
    its category and its first "before" photo (for a thumbnail)."""
    qs = Report.objects.open().filter(category=category)
    if rider is not None:
        qs = qs.exclude(reporter=rider)
    return (
        qs.near(point, metres)
        .select_related("category")
        .prefetch_related(
            Prefetch(
                "photos",
                queryset=ReportPhoto.objects.filter(kind=ReportPhoto.Kind.BEFORE).order_by("id"),
                to_attr="before_photos",
            )
        )
        .annotate(supporter_count=Count("supporters"))[:5]
    )


def report_for_dispatch(*, pk: object) -> Report:
    try:
        return Report.objects.select_related("category", "street", "team").defer("street__boundary").get(pk=pk)
    except (Report.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到。")) from None


def report_ids_to_redispatch(*, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Reports that need a dispatch chain and have none alive, oldest first: still submitted after
    REPORTS_REDISPATCH_AFTER_SECONDS (the broker may have lost them), or routed but not received by the
    team. A chain is alive while `dispatch_chain_until` (its announced next attempt plus a grace) or a
    delivery lease lies ahead. A report already escalated as undeliverable is tried again only every
    REPORTS_REDELIVER_AFTER_SECONDS."""
    now = now or timezone.now()
    S = Report.Status
    no_chain = Q(dispatch_chain_until__isnull=True) | Q(dispatch_chain_until__lt=now)
    no_lease = Q(delivery_lease_until__isnull=True) | Q(delivery_lease_until__lt=now)
    redeliver_before = now - timedelta(seconds=settings.REPORTS_REDELIVER_AFTER_SECONDS)
    stuck = (
        Report.objects.filter(no_chain, no_lease)
        .filter(
            Q(status=S.SUBMITTED, created_at__lt=now - timedelta(seconds=settings.REPORTS_REDISPATCH_AFTER_SECONDS))
            | Q(status=S.ROUTED, undeliverable_at__isnull=True)
            | Q(status=S.ROUTED, undeliverable_at__lt=redeliver_before)
        )
        .exclude(
            status=S.ROUTED,
            undeliverable_at__isnull=False,
            delivery_attempts__at__gte=redeliver_before,
        )
        .order_by("created_at")
    )
    return list(stuck.values_list("pk", flat=True)[:limit])
