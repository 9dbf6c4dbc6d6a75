"""Beds and rooms: offers from the waitlist, allocation without double booking, move-out.

Every path that hands out a unit locks its row(s) with select_for_update, re-checks the state and only
then writes; the partial unique constraints (one active lease / one open offer per bed and per room) are
what still hold where locks do nothing (SpatiaLite) — an IntegrityError becomes a ConflictError (409).
"""

import datetime
import logging
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.sms import send_sms
from chaoyang_friendly.errors import ApplicationError, ConflictError

from ..models import Application, Bed, Lease, Offer, Room, RoomType
from .applications import application_status_set
from .eligibility import application_evaluate, failures

logger = logging.getLogger(__name__)


@dataclass
class Unit:
    """A bed (per-bed room types) or a whole room, with the bed rows it covers, locked."""

    room_type: RoomType
    room: Room
    bed: Bed | None
    beds: list[Bed] = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(self.bed or self.room)

    def unit_kwargs(self) -> dict[str, Any]:
        return {"bed": self.bed, "room": None} if self.bed else {"bed": None, "room": self.room}


def _unit_lock(*, bed: Bed | None = None, room: Room | None = None) -> Unit:
    """Lock the bed row (or the room and its beds) and return the fresh state."""
    if (bed is None) == (room is None):
        raise ApplicationError(_("请选择一个床位或一个整间房。"))
    if bed is not None:
        locked = Bed.objects.select_for_update().get(pk=bed.pk)
        room_obj = Room.objects.select_related("room_type__project").get(pk=locked.room_id)
        if room_obj.room_type.whole_room:
            raise ApplicationError(_("该房型按整间出租，请分配整间房。"))
        return Unit(room_type=room_obj.room_type, room=room_obj, bed=locked, beds=[locked])
    assert room is not None
    room_obj = Room.objects.select_for_update(of=("self",)).select_related("room_type__project").get(pk=room.pk)
    if not room_obj.room_type.whole_room:
        raise ApplicationError(_("该房型按床位出租，请分配床位。"))
    beds = list(Bed.objects.select_for_update().filter(room=room_obj).order_by("id"))
    if not beds:
        raise ApplicationError(_("该房间没有床位。"))
    return Unit(room_type=room_obj.room_type, room=room_obj, bed=None, beds=beds)


def _unit_open_offer(unit: Unit) -> Offer | None:
    return Offer.objects.open().filter(**({"bed": unit.bed} if unit.bed else {"room": unit.room})).first()


def _beds_set(unit: Unit, status: str) -> None:
    Bed.objects.filter(pk__in=[b.pk for b in unit.beds]).update(status=status, updated_at=timezone.now())
    for bed in unit.beds:
        bed.status = status


def _unit_check_free(unit: Unit, application: Application) -> Offer | None:
    """Raise ConflictError unless the unit is free, or held by an open offer to this application.

    Returns that offer when there is one.
    """
    statuses = {b.status for b in unit.beds}
    if statuses == {Bed.Status.AVAILABLE}:
        return None
    if statuses == {Bed.Status.HELD}:
        offer = _unit_open_offer(unit)
        if offer is not None and offer.application_id == application.pk:
            return offer
        raise ConflictError(_("%(unit)s 已向其他申请人发出邀约。") % {"unit": unit.label})
    if Bed.Status.OUT_OF_SERVICE in statuses:
        raise ConflictError(_("%(unit)s 已停用。") % {"unit": unit.label})
    raise ConflictError(_("%(unit)s 已被分配，请选择其他床位。") % {"unit": unit.label})


def _check_fits(unit: Unit, application: Application) -> None:
    if unit.room_type.project_id != application.project_id:
        raise ApplicationError(_("床位不属于该申请的意向项目。"))
    if not application.room_types.filter(pk=unit.room_type.pk).exists():
        raise ApplicationError(_("床位的房型不在该申请的意向房型中。"))
    if not unit.room.admits(application.gender):
        raise ApplicationError(
            _("%(room)s 是%(rule)s。") % {"room": unit.room, "rule": unit.room.get_gender_rule_display()}
        )


def _lease_write(*, unit: Unit, application: Application, actor: Any, start: datetime.date | None) -> Lease:
    try:
        with transaction.atomic():
            lease = Lease.objects.create(
                project=unit.room_type.project,
                tenant_id=application.rider_id,
                application=application,
                start=start or max(application.move_in_date, timezone.localdate()),
                monthly_rent=unit.room_type.rent,
                deposit=unit.room_type.deposit,
                status=Lease.Status.ACTIVE,
                allocated_by=actor if getattr(actor, "pk", None) else None,
                **unit.unit_kwargs(),
            )
    except IntegrityError:
        raise ConflictError(
            _("%(unit)s 刚刚已被分配给其他人（或该申请人已有在租租约）。") % {"unit": unit.label}
        ) from None
    _beds_set(unit, Bed.Status.OCCUPIED)
    return lease


def _allocate(*, unit: Unit, application: Application, actor: Any, start: datetime.date | None = None) -> Lease:
    """Shared by staff allocation and offer acceptance; the unit is already locked."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status not in (
        Application.Status.ELIGIBLE,
        Application.Status.WAITLISTED,
        Application.Status.OFFERED,
    ):
        raise ConflictError(
            _("申请 #%(id)s 当前状态为“%(status)s”，不能分配。")
            % {"id": application.pk, "status": application.get_status_display()}
        )
    _check_fits(unit, application)
    held_offer = _unit_check_free(unit, application)
    other_offer = application.offers.open().exclude(pk=held_offer.pk if held_offer else None).first()
    lease = _lease_write(unit=unit, application=application, actor=actor, start=start)
    if held_offer is not None:
        Offer.objects.filter(pk=held_offer.pk).update(
            status=Offer.Status.ACCEPTED, responded_at=timezone.now(), updated_at=timezone.now()
        )
    application_status_set(
        application=application,
        to=Application.Status.ACCEPTED,
        actor=actor,
        note=_("分配 %(unit)s") % {"unit": unit.label},
    )
    if other_offer is not None:
        offer_close_and_refill(offer=other_offer, status=Offer.Status.CANCELLED)
    return lease


@transaction.atomic
def bed_allocate(*, bed: Bed, application: Application, actor: Any, start: datetime.date | None = None) -> Lease:
    """Give `bed` to `application` (staff). Returns the lease; ConflictError (409) when the bed is taken."""
    return _allocate(unit=_unit_lock(bed=bed), application=application, actor=actor, start=start)


@transaction.atomic
def room_allocate(*, room: Room, application: Application, actor: Any, start: datetime.date | None = None) -> Lease:
    """Give a whole room (couples, families) to `application`. Returns the lease or raises ConflictError."""
    return _allocate(unit=_unit_lock(room=room), application=application, actor=actor, start=start)


def _offer_sms(offer_id: int) -> None:
    offer = Offer.objects.select_related("application__rider", "room_type__project").get(pk=offer_id)
    deadline = timezone.localtime(offer.deadline)
    text = _(
        "【友好朝阳】您申请的%(project)s有空位：%(unit)s，月租%(rent)s元。请在%(deadline)s前登录确认，逾期视为放弃。"
    ) % {
        "project": offer.room_type.project.name,
        "unit": offer.unit_label,
        "rent": offer.room_type.rent,
        "deadline": deadline.strftime("%m-%d %H:%M"),
    }
    try:
        send_sms(offer.application.rider.phone, text)
    except Exception:  # the offer stands and shows on the rider's page even if the SMS gateway fails
        logger.exception("housing offer SMS failed for offer %s", offer_id)


@transaction.atomic
def offer_make(
    *, application: Application, bed: Bed | None = None, room: Room | None = None, actor: Any = None
) -> Offer:
    """Offer a free unit to a waitlisted application for HOUSING_OFFER_HOURS; the bed is held; SMS after commit."""
    unit = _unit_lock(bed=bed, room=room)
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.WAITLISTED:
        raise ConflictError(_("只能向排队中的申请发出邀约。"))
    _check_fits(unit, application)
    if {b.status for b in unit.beds} != {Bed.Status.AVAILABLE}:
        raise ConflictError(_("%(unit)s 当前不空闲。") % {"unit": unit.label})
    try:
        with transaction.atomic():
            offer = Offer.objects.create(
                application=application,
                room_type=unit.room_type,
                deadline=timezone.now() + datetime.timedelta(hours=settings.HOUSING_OFFER_HOURS),
                status=Offer.Status.OPEN,
                **unit.unit_kwargs(),
            )
    except IntegrityError:
        raise ConflictError(_("%(unit)s 已有待答复的邀约。") % {"unit": unit.label}) from None
    _beds_set(unit, Bed.Status.HELD)
    application_status_set(
        application=application,
        to=Application.Status.OFFERED,
        actor=actor,
        note=_("邀约 %(unit)s") % {"unit": unit.label},
    )
    transaction.on_commit(lambda: _offer_sms(offer.pk))
    return offer


def _free_units(room_type: RoomType) -> list[dict[str, Any]]:
    """Free units of a room type, lowest floor first: [{"bed": Bed} …] or [{"room": Room} …]."""
    if room_type.whole_room:
        busy = Bed.objects.filter(room=OuterRef("pk")).exclude(status=Bed.Status.AVAILABLE)
        rooms = Room.objects.filter(room_type=room_type).filter(
            ~Exists(busy), Exists(Bed.objects.filter(room=OuterRef("pk")))
        )
        return [{"room": r} for r in rooms.order_by("floor", "number")]
    beds = Bed.objects.available().filter(room__room_type=room_type).select_related("room")
    return [{"bed": b} for b in beds.order_by("room__floor", "room__number", "label")]


def room_type_fill_vacancies(*, room_type: RoomType, actor: Any = None) -> list[Offer]:
    """Offer each free unit of `room_type` to the first eligible waitlisted applicant that fits it.

    Applicants who no longer meet the rules are rejected with the reasons. Returns the offers made.
    """
    offers: list[Offer] = []
    units = _free_units(room_type)
    if not units:
        return offers
    queue = list(
        Application.objects.waiting().filter(room_types=room_type).select_related("project").in_queue_order()[:200]
    )
    for unit in units:
        room = unit.get("room") or unit["bed"].room
        while queue:
            candidate = next((a for a in queue if room.admits(a.gender)), None)
            if candidate is None:
                break
            queue.remove(candidate)
            reasons = failures(application_evaluate(application=candidate))
            if reasons:
                with transaction.atomic():
                    application_status_set(
                        application=candidate,
                        to=Application.Status.REJECTED,
                        reason="；".join(reasons),
                        note=_("邀约前复核未通过"),
                    )
                continue
            try:
                offers.append(offer_make(application=candidate, actor=actor, **unit))
            except ConflictError:
                continue  # someone else took the unit or the applicant moved on meanwhile
            break
    return offers


def vacancies_fill_all(*, limit: int = 500) -> int:
    """Sweeper: offer free units of every room type that has people waiting; return the offers made.

    Events (move-out, decline, expiry) fill vacancies at once; this catches the rest, e.g. a bed put back
    into service in the admin.
    """
    waiting = Application.objects.waiting().filter(room_types=OuterRef("pk"))
    free = Bed.objects.filter(room__room_type=OuterRef("pk"), status=Bed.Status.AVAILABLE)
    room_types = RoomType.objects.filter(Exists(waiting), Exists(free)).select_related("project")[:limit]
    return sum(len(room_type_fill_vacancies(room_type=rt)) for rt in room_types)


def offer_close_and_refill(*, offer: Offer, status: str) -> None:
    """Close an open offer (declined/expired/cancelled), free its unit and offer it to the next in line."""
    unit = _unit_lock(bed=offer.bed, room=offer.room)
    updated = Offer.objects.filter(pk=offer.pk, status=Offer.Status.OPEN).update(
        status=status, responded_at=timezone.now(), updated_at=timezone.now()
    )
    if not updated:
        return
    held = [b for b in unit.beds if b.status == Bed.Status.HELD]
    unit.beds = held
    _beds_set(unit, Bed.Status.AVAILABLE)
    room_type_fill_vacancies(room_type=unit.room_type)


def _offer_for_rider(offer: Offer, actor: Any) -> Offer:
    offer = Offer.objects.select_for_update().select_related("application").get(pk=offer.pk)
    if offer.application.rider_id != getattr(actor, "pk", None):
        raise ApplicationError(_("这不是您的邀约。"))
    if offer.status != Offer.Status.OPEN:
        raise ConflictError(_("该邀约已%(status)s。") % {"status": offer.get_status_display()})
    return offer


@transaction.atomic
def offer_accept(*, offer: Offer, actor: Any) -> Lease:
    """The rider accepts: the offered unit becomes their lease. Raises when the offer is closed or overdue."""
    offer = _offer_for_rider(offer, actor)
    if offer.deadline < timezone.now():
        raise ConflictError(_("邀约已超过答复期限。"))
    unit = _unit_lock(bed=offer.bed, room=offer.room)
    return _allocate(unit=unit, application=offer.application, actor=actor)


@transaction.atomic
def offer_decline(*, offer: Offer, actor: Any) -> Offer:
    """The rider declines: the application ends and the unit goes to the next in line."""
    offer = _offer_for_rider(offer, actor)
    application = Application.objects.select_for_update().get(pk=offer.application_id)
    application_status_set(application=application, to=Application.Status.DECLINED, actor=actor)
    offer_close_and_refill(offer=offer, status=Offer.Status.DECLINED)
    offer.refresh_from_db()
    return offer


@transaction.atomic
def offer_expire(*, offer: Offer, now: datetime.datetime | None = None) -> bool:
    """Expire an overdue open offer; returns False when it was answered or is not yet due (safe to repeat)."""
    now = now or timezone.now()
    offer = Offer.objects.select_for_update().get(pk=offer.pk)
    if offer.status != Offer.Status.OPEN or offer.deadline >= now:
        return False
    application = Application.objects.select_for_update().get(pk=offer.application_id)
    if application.status == Application.Status.OFFERED:
        application_status_set(application=application, to=Application.Status.EXPIRED, note=_("逾期未答复"))
    offer_close_and_refill(offer=offer, status=Offer.Status.EXPIRED)
    return True


def offers_expire_overdue(*, now: datetime.datetime | None = None) -> int:
    """Expire every overdue offer (each in its own transaction); return how many were expired."""
    now = now or timezone.now()
    ids = list(Offer.objects.overdue(now).order_by("deadline").values_list("pk", flat=True)[:1000])
    return sum(offer_expire(offer=Offer(pk=pk), now=now) for pk in ids)


@transaction.atomic
def lease_end(*, lease: Lease, actor: Any, end: datetime.date | None = None) -> Lease:
    """Move-out: end the lease, return its bed/room to the pool and offer it to the next in line."""
    lease = Lease.objects.select_for_update().get(pk=lease.pk)
    if lease.status != Lease.Status.ACTIVE:
        raise ConflictError(_("该租约已结束。"))
    unit = _unit_lock(bed=lease.bed, room=lease.room)
    end = end or max(timezone.localdate(), lease.start)
    if end < lease.start:
        raise ApplicationError(_("退租日期不能早于起租日。"))
    lease.status = Lease.Status.ENDED
    lease.end = end
    lease.ended_at = timezone.now()
    lease.ended_by = actor if getattr(actor, "pk", None) else None
    lease.save(update_fields=["status", "end", "ended_at", "ended_by", "updated_at"])
    unit.beds = [b for b in unit.beds if b.status == Bed.Status.OCCUPIED]
    _beds_set(unit, Bed.Status.AVAILABLE)
    room_type_fill_vacancies(room_type=unit.room_type, actor=actor)
    return lease
