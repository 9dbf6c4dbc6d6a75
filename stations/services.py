"""Every write to stations, visits and feedback (CONVENTIONS.md: services are atomic and keyword-only)."""

import contextlib
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from chaoyang_friendly.errors import ApplicationError, NotFoundError
from chaoyang_friendly.scoping import user_sees_all_streets, user_street_id
from jurisdictions.models import Street
from jurisdictions.services import locate

from .hours import normalize_opening_hours
from .models import Amenity, Feedback, Station, StationEvent, Visit
from .phones import normalize_station_phone


def station_street_for(*, point: Point, actor: User | None) -> Street:
    """The street containing `point`; street staff may only place stations in their own street.

    Raises OutsideDistrictError when the point is in no street, ApplicationError when it is in another
    street than the actor's.
    """
    street = locate(point)
    if actor is not None and not user_sees_all_streets(actor):
        own = user_street_id(actor)
        if own is None or own != street.pk:
            raise ApplicationError(
                _("该位置属于%(street)s，不在您所在街道的范围内。") % {"street": street.name},
                extra={"field": "point"},
            )
    return street


def _event(*, station: Station, kind: str, actor: User | None, data: dict[str, Any] | None = None) -> None:
    StationEvent.objects.create(station=station, kind=kind, actor=actor, data=data or {})


def _clean(station: Station) -> None:
    with contextlib.suppress(ValidationError):  # full_clean below reports it against the field
        station.phone = normalize_station_phone(station.phone)
    station.opening_hours = normalize_opening_hours(station.opening_hours)  # full-width ：；－ from an IME
    try:
        station.full_clean(exclude=["street", "amenities"])
    except ValidationError as exc:
        raise ApplicationError(
            "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()),
            extra={"errors": exc.message_dict},
        ) from None


@transaction.atomic
def station_create(
    *,
    actor: User | None,
    name: str,
    point: Point,
    kind: str = Station.Kind.STATION,
    status: str = Station.Status.ACTIVE,
    address: str = "",
    host_org: str = "",
    phone: str = "",
    notes: str = "",
    opening_hours: str = "",
    amenity_codes: Iterable[str] = (),
    charging_ports: int = 0,
    swap_ports: int = 0,
    parking_spots: int = 0,
    event_kind: str = StationEvent.Kind.CREATED,
) -> Station:
    """Create a station in the street that contains `point`; return it."""
    station = Station(
        name=name,
        point=point,
        kind=kind,
        status=status,
        address=address,
        host_org=host_org,
        phone=phone,
        notes=notes,
        opening_hours=opening_hours,
        charging_ports=charging_ports,
        swap_ports=swap_ports,
        parking_spots=parking_spots,
    )
    station.street = station_street_for(point=point, actor=actor)
    _clean(station)
    station.save(force_insert=True)
    codes = list(amenity_codes)
    if codes:
        station.amenities.set(amenities_by_codes(codes=codes))
    _event(station=station, kind=event_kind, actor=actor, data={"name": name})
    return station


@transaction.atomic
def station_save(*, station: Station, actor: User, changed: Iterable[str] = (), is_new: bool) -> Station:
    """Save a station edited in a form (the admin): stamp its street from the point, log the change."""
    station.street = station_street_for(point=station.point, actor=actor)
    _clean(station)
    station.save()
    _event(
        station=station,
        kind=StationEvent.Kind.CREATED if is_new else StationEvent.Kind.UPDATED,
        actor=actor,
        data={"fields": sorted(changed)},
    )
    return station


def amenities_by_codes(*, codes: Iterable[str]) -> list[Amenity]:
    """Return the amenities for `codes`; raise ApplicationError naming unknown codes."""
    wanted = {c.strip() for c in codes if c and c.strip()}
    found = list(Amenity.objects.filter(code__in=wanted))
    unknown = wanted - {a.code for a in found}
    if unknown:
        raise ApplicationError(_("未知的服务设施：%(codes)s") % {"codes": ", ".join(sorted(unknown))})
    return found


@transaction.atomic
def station_verify(*, station_ids: Iterable[int], actor: User, now: datetime | None = None) -> int:
    """Mark the stations (limited to the actor's scope) verified now; return how many were updated."""
    now = now or timezone.now()
    ids = list(Station.objects.for_user(actor).filter(pk__in=list(station_ids)).values_list("pk", flat=True))
    updated = Station.objects.filter(pk__in=ids).update(last_verified_at=now, last_verified_by=actor, updated_at=now)
    StationEvent.objects.bulk_create(
        [StationEvent(station_id=pk, kind=StationEvent.Kind.VERIFIED, actor=actor) for pk in ids]
    )
    return updated


@transaction.atomic
def visit_checkin(*, station: Station, rider: User, now: datetime | None = None) -> tuple[Visit, bool]:
    """Check `rider` in at `station`; return (visit, created).

    A second check-in within STATIONS_CHECKIN_DEDUPE_MINUTES returns the existing visit. Concurrent
    taps are serialised by locking the station row, so exactly one visit is written.
    """
    if not rider.is_authenticated or not rider.is_active:
        raise ApplicationError(_("请先登录。"))
    if not rider.is_rider:
        raise ApplicationError(_("只有骑手账号可以签到。"))
    locked = Station.objects.select_for_update().filter(pk=station.pk).values_list("status", flat=True).first()
    if locked is None:
        raise NotFoundError(_("未找到该驿站。"))
    if locked != Station.Status.ACTIVE:
        raise ApplicationError(_("该驿站暂未开放，无法签到。"))
    now = now or timezone.now()
    existing = (
        Visit.objects.recent_for(
            station_id=station.pk, rider_id=rider.pk, now=now, minutes=settings.STATIONS_CHECKIN_DEDUPE_MINUTES
        )
        .order_by("-created_at")
        .first()
    )
    if existing is not None:
        return existing, False
    visit = Visit(station=station, rider=rider)
    visit.save(force_insert=True)
    return visit, True


@transaction.atomic
def feedback_submit(*, station: Station, rider: User, kind: str, comment: str = "") -> Feedback:
    """Record a rider's feedback on a station (shown to the station's street staff)."""
    if kind not in Feedback.Kind.values:
        raise ApplicationError(_("反馈类型无效。"), extra={"field": "kind"})
    comment = (comment or "").strip()
    if len(comment) > 500:
        raise ApplicationError(_("说明不能超过500字。"), extra={"field": "comment"})
    feedback = Feedback(station=station, rider=rider, kind=kind, comment=comment)
    feedback.save(force_insert=True)
    _event(station=station, kind=StationEvent.Kind.FEEDBACK, actor=rider, data={"kind": kind})
    return feedback


def feedback_assignee_check(*, feedback: Feedback, assignee: User | None) -> None:
    """Raise ApplicationError unless `assignee` is empty or an active staff member of the station's street."""
    if assignee is None:
        return
    if not (
        assignee.is_active
        and assignee.is_staff
        and assignee.role == Role.STREET_STAFF
        and assignee.street_id == feedback.station.street_id
    ):
        raise ApplicationError(_("负责人必须是本街道的工作人员。"), extra={"field": "assignee"})


def _feedback_for_actor(*, feedback_ids: Iterable[int], actor: User) -> list[Feedback]:
    """The feedback rows among `feedback_ids` that `actor` may handle (their street's), locked for update."""
    if not actor.is_active or not actor.is_staff:
        raise ApplicationError(_("只有街道工作人员可以处理反馈。"))
    ids = list(Feedback.objects.for_user(actor).filter(pk__in=list(feedback_ids)).values_list("pk", flat=True))
    return list(Feedback.objects.select_for_update().select_related("station").filter(pk__in=ids).order_by("pk"))


def _feedback_apply(
    *, feedback: Feedback, actor: User, status: str, assignee: User | None, reply: str, now: datetime
) -> list[str]:
    """Set the handling fields of `feedback` (not saved); return the names of the fields that changed."""
    if status not in Feedback.Status.values:
        raise ApplicationError(_("处理状态无效。"), extra={"field": "status"})
    reply = (reply or "").strip()
    if len(reply) > 500:
        raise ApplicationError(_("回复不能超过500字。"), extra={"field": "reply"})
    if assignee is None and status != Feedback.Status.PENDING and actor.street_id == feedback.station.street_id:
        assignee = actor  # whoever takes it up is in charge, unless someone else was named
    feedback_assignee_check(feedback=feedback, assignee=assignee)
    changed = []
    if feedback.status != status:
        changed.append("status")
        feedback.status = status
        feedback.handled_at = now if status == Feedback.Status.HANDLED else None
    if feedback.assignee_id != (assignee.pk if assignee else None):
        changed.append("assignee")
        feedback.assignee = assignee
    if feedback.reply != reply:
        changed.append("reply")
        feedback.reply = reply
        feedback.replied_at = now if reply else None
    return changed


@transaction.atomic
def feedback_update(
    *,
    feedback: Feedback,
    actor: User,
    status: str,
    assignee: User | None,
    reply: str,
    now: datetime | None = None,
) -> Feedback:
    """A clerk takes up a rider's feedback: status (待处理/处理中/已处理), who is in charge, and a reply the rider
    sees on the station's page. Only staff of the station's street; a station event records it."""
    rows = _feedback_for_actor(feedback_ids=[feedback.pk], actor=actor)
    if not rows:
        raise NotFoundError(_("未找到该反馈。"))
    row = rows[0]
    changed = _feedback_apply(
        feedback=row, actor=actor, status=status, assignee=assignee, reply=reply, now=now or timezone.now()
    )
    if changed:
        row.save(update_fields=[*{f for c in changed for f in _FEEDBACK_FIELDS[c]}, "updated_at"])
        _event(
            station=row.station,
            kind=StationEvent.Kind.FEEDBACK_HANDLED,
            actor=actor,
            data={"feedback": row.pk, "status": row.status, "fields": changed},
        )
    return row


_FEEDBACK_FIELDS = {"status": ("status", "handled_at"), "assignee": ("assignee",), "reply": ("reply", "replied_at")}


@transaction.atomic
def feedback_set_status(*, feedback_ids: Iterable[int], actor: User, status: str, now: datetime | None = None) -> int:
    """Move the actor's street's feedback among `feedback_ids` to `status`; return how many changed."""
    now = now or timezone.now()
    count = 0
    for row in _feedback_for_actor(feedback_ids=feedback_ids, actor=actor):
        changed = _feedback_apply(
            feedback=row, actor=actor, status=status, assignee=row.assignee, reply=row.reply, now=now
        )
        if changed:
            row.save(update_fields=[*{f for c in changed for f in _FEEDBACK_FIELDS[c]}, "updated_at"])
            _event(
                station=row.station,
                kind=StationEvent.Kind.FEEDBACK_HANDLED,
                actor=actor,
                data={"feedback": row.pk, "status": row.status, "fields": changed},
            )
            count += 1
    return count


@transaction.atomic
def amenities_ensure() -> list[Amenity]:
    """Create the standard amenities that are missing (existing ones are left as staff edited them)."""
    from .defaults import AMENITIES

    return [
        Amenity.objects.get_or_create(code=code, defaults={"name": name, "icon": icon, "sort_order": order * 10})[0]
        for order, (code, name, icon) in enumerate(AMENITIES)
    ]
