"""Read use-cases of the housing app, with their joins and aggregates done (no N+1)."""

from typing import Any

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point
from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils.translation import gettext as _

from .models import Application, Bed, HouseholdKind, Lease, Offer, Project, Room, RoomType


def _count(queryset: QuerySet, group: str) -> Coalesce:
    """Coalesce(Subquery(count of `queryset` grouped by `group`), 0) — a correlated count, no join fan-out."""
    counted = queryset.order_by().values(group).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def room_types_with_vacancies(queryset: QuerySet | None = None) -> QuerySet:
    """Room types annotated with total_beds, vacant_beds, total_rooms, vacant_rooms and `vacancies`
    (beds for per-bed types, whole rooms for per-room types).

    One grouped join over rooms and beds: correlated counts per room type scanned the bed table once per
    room type and subquery (1.4 s for the demo's 114 room types and 10,248 beds; bench/capacity.py)."""
    queryset = RoomType.objects.all() if queryset is None else queryset
    available = Bed.Status.AVAILABLE
    return queryset.annotate(
        total_beds=Count("rooms__beds", distinct=True),
        vacant_beds=Count("rooms__beds", filter=Q(rooms__beds__status=available), distinct=True),
        occupied_beds=Count("rooms__beds", filter=Q(rooms__beds__status=Bed.Status.OCCUPIED), distinct=True),
        total_rooms=Count("rooms", distinct=True),
        # A room is vacant when none of its beds is taken, held or out of service (a room without beds too).
        vacant_rooms=Count("rooms", distinct=True)
        - Count("rooms", filter=Q(rooms__beds__isnull=False) & ~Q(rooms__beds__status=available), distinct=True),
    ).annotate(
        vacancies=Case(
            When(rent_mode=RoomType.RentMode.PER_ROOM, then="vacant_rooms"),
            default="vacant_beds",
            output_field=IntegerField(),
        )
    )


def projects_with_figures(queryset: QuerySet | None = None) -> QuerySet:
    """Projects annotated with rent_min/rent_max, total_beds, vacant_beds, occupied_beds, held_beds."""
    queryset = Project.objects.all() if queryset is None else queryset
    beds = Bed.objects.filter(room__room_type__project=OuterRef("pk"))
    rents = RoomType.objects.filter(project=OuterRef("pk")).order_by().values("project")
    return queryset.annotate(
        rent_min=Subquery(rents.annotate(v=Min("rent")).values("v"), output_field=IntegerField()),
        rent_max=Subquery(rents.annotate(v=Max("rent")).values("v"), output_field=IntegerField()),
        total_beds=_count(beds, "room__room_type__project"),
        vacant_beds=_count(beds.filter(status="available"), "room__room_type__project"),
        occupied_beds=_count(beds.filter(status="occupied"), "room__room_type__project"),
        held_beds=_count(beds.filter(status="held"), "room__room_type__project"),
    )


def project_list(
    *,
    rent_max: int | None = None,
    kind: str | None = None,
    has_vacancy: bool | None = None,
    near: Point | None = None,
    radius_m: float | None = None,
) -> QuerySet:
    """Open projects for riders, with figures and their room types (vacancies) prefetched.

    Two queries: projects, then room types. `near` orders by distance (metres, annotated as `distance`).
    """
    qs = projects_with_figures(Project.objects.listed().select_related("street").defer("street__boundary"))
    if rent_max is not None or kind:
        # One room type must satisfy both conditions; Exists keeps one row per project.
        matching = RoomType.objects.filter(project=OuterRef("pk"))
        if rent_max is not None:
            matching = matching.filter(rent__lte=rent_max)
        if kind:
            matching = matching.filter(kind=kind)
        qs = qs.filter(Exists(matching))
    if has_vacancy:
        qs = qs.filter(vacant_beds__gt=0)
    types = room_types_with_vacancies(RoomType.objects.order_by("rent", "id"))
    qs = qs.prefetch_related(Prefetch("room_types", queryset=types))
    if near is not None:
        qs = qs.annotate(distance=Distance("point", near))
        if radius_m is not None:
            qs = qs.filter(distance__lte=radius_m)
        return qs.order_by("distance", "id")
    return qs.order_by("name")


def project_detail(*, pk: Any, near: Point | None = None) -> Project:
    """One open project with figures, room types with vacancies and photos; Http404 when not listed."""
    qs = project_list(near=near).prefetch_related("photos")
    try:
        return qs.get(pk=pk)
    except (Project.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到该项目。")) from None


def application_list_for_rider(*, user: Any) -> QuerySet:
    return (
        Application.objects.of_rider(user)
        .select_related("project")
        .prefetch_related("room_types")
        .order_by("-created_at", "-id")
    )


def application_get_for_rider(*, user: Any, pk: Any) -> Application:
    """The rider's own application, or Http404 (another rider's id is simply not found)."""
    try:
        return application_list_for_rider(user=user).get(pk=pk)
    except (Application.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到该申请。")) from None


def application_current_for_rider(*, user: Any) -> Application | None:
    """The open application, else the latest one."""
    apps = application_list_for_rider(user=user)
    return apps.open().first() or apps.first()


def offer_list_for_rider(*, user: Any) -> QuerySet:
    return (
        Offer.objects.filter(application__rider=user if getattr(user, "is_authenticated", False) else None)
        .select_related(
            "room_type__project", "bed__room__room_type__project", "room__room_type__project", "application"
        )
        .order_by("-created_at")
    )


def offer_get_for_rider(*, user: Any, pk: Any) -> Offer:
    try:
        return offer_list_for_rider(user=user).get(pk=pk)
    except (Offer.DoesNotExist, ValueError, TypeError):
        raise Http404(_("未找到该邀约。")) from None


def lease_list_for_rider(*, user: Any) -> QuerySet:
    return (
        Lease.objects.filter(tenant=user if getattr(user, "is_authenticated", False) else None)
        .select_related("project", "bed__room__room_type__project", "room__room_type__project")
        .order_by("-status", "-start", "-id")
    )


def applications_queue_for_staff(*, user: Any) -> QuerySet:
    """Open applications the staff member may see, annotated with `position` in their project's queue."""
    ahead = Application.objects.filter(project=OuterRef("project"), status=Application.Status.WAITLISTED).filter(
        Q(priority__gt=OuterRef("priority"))
        | Q(priority=OuterRef("priority"), created_at__lt=OuterRef("created_at"))
        | Q(priority=OuterRef("priority"), created_at=OuterRef("created_at"), id__lt=OuterRef("id"))
    )
    position = _count(ahead, "project")
    return (
        Application.objects.for_user(user)
        .select_related("rider", "project")
        .annotate(
            position=Case(
                When(status=Application.Status.WAITLISTED, then=position + 1),
                default=None,
                output_field=IntegerField(),
            )
        )
    )


ALLOCATION_ROOMS_MAX = 500


def applicant_needs(*, application: Application) -> dict[str, Any]:
    """What a clerk needs to know before allocating: household, wanted room types, work street and place,
    waiting since, and the distance from where the rider works to the project (km, or None)."""
    from accounts.models import RiderProfile

    profile = RiderProfile.objects.filter(user_id=application.rider_id).select_related("work_street").first()
    work_street = profile.work_street if profile else None
    work_point = application.work_point or (work_street.centre if work_street else None)
    distance_km = None
    if work_point is not None:
        project = Project.objects.filter(pk=application.project_id).annotate(d=Distance("point", work_point)).first()
        distance_km = project.d.km if project is not None else None
    return {
        "room_types": list(application.room_types.all()),
        "members": application.household_members or [],
        "work_street": work_street,
        "occupation": profile.get_occupation_display() if profile else "",
        "work_point_from": "application" if application.work_point else ("street" if work_street else ""),
        "distance_km": distance_km,
    }


def allocation_candidates(*, application: Application, user: Any) -> list[dict[str, Any]]:
    """The free units of the application's project that `user` may allocate, suitable ones first.

    Each is {"key": "bed:<id>"|"room:<id>", "room_type", "room", "bed", "occupied", "free", "total",
    "suitable", "why_not"}: a bed of a per-bed room type or a whole room of a per-room type, with how many
    beds of its room are let and free, and why it cannot go to this application when it cannot.
    Two queries (rooms with room type and project, then their beds)."""
    wanted = {rt.pk: i for i, rt in enumerate(application.room_types.all())}
    rooms = (
        Room.objects.for_user(user)
        .filter(room_type__project_id=application.project_id)
        .select_related("room_type__project__street")
        .defer("room_type__project__street__boundary")
        .prefetch_related(Prefetch("beds", queryset=Bed.objects.order_by("label")))
        .order_by("room_type__rent", "room_type_id", "floor", "number")[:ALLOCATION_ROOMS_MAX]
    )
    household_labels = dict(HouseholdKind.choices)
    candidates: list[dict[str, Any]] = []
    for room in rooms:
        beds = list(room.beds.all())
        if not beds:
            continue
        room_type = room.room_type
        occupied = sum(b.status == Bed.Status.OCCUPIED for b in beds)
        free_beds = [b for b in beds if b.status == Bed.Status.AVAILABLE]
        why_not = ""
        if room_type.pk not in wanted:
            why_not = _("不在申请的意向房型中（该房型面向%(household)s）。") % {
                "household": household_labels.get(room_type.household, room_type.household)
            }
        elif not room.admits(application.gender):
            why_not = _("%(rule)s，与申请人性别不符。") % {"rule": room.get_gender_rule_display()}
        base = {
            "room_type": room_type,
            "room": room,
            "occupied": occupied,
            "free": len(free_beds),
            "total": len(beds),
            "suitable": not why_not,
            "why_not": why_not,
            "order": (bool(why_not), wanted.get(room_type.pk, len(wanted)), room.floor, room.number),
        }
        if room_type.whole_room:
            if len(free_beds) == len(beds):
                candidates.append({**base, "key": f"room:{room.pk}", "bed": None})
        else:
            candidates += [{**base, "key": f"bed:{bed.pk}", "bed": bed} for bed in free_beds]
    candidates.sort(key=lambda c: c["order"])
    return candidates
