"""Every write of the partybranch app.

Places are scarce: each change of who holds a place locks the activity row first (`select_for_update`),
re-reads the counter under the lock, and moves `confirmed_people` with F() in the same transaction. The
CheckConstraint `confirmed_people <= capacity` backs it where row locks do not exist (SpatiaLite
serialises writers instead). Lock order is always activity → registration.
"""

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from accounts.models import Role, User
from accounts.sms import send_sms
from chaoyang_friendly.errors import ApplicationError, ConflictError, NotFoundError

from .models import (
    Activity,
    Attendance,
    AuditEvent,
    Branch,
    Membership,
    Registration,
    RegistrationPerson,
    Session,
    VolunteerHours,
    VolunteerTeam,
)

logger = logging.getLogger(__name__)
Relationship = RegistrationPerson.Relationship


class ForbiddenError(ApplicationError):
    status_code = 403
    default_message = _lazy("您只能查看，不能审核。")


@dataclass(frozen=True)
class PersonInput:
    name: str
    relationship: str
    age: int | None = None


@dataclass
class ScanResult:
    registration: Registration
    persons: list[RegistrationPerson]
    checked_in: int
    already_checked_in: bool
    hours: VolunteerHours | None = None


def _event(verb: str, *, actor: User | None, **refs: Any) -> None:
    detail = refs.pop("detail", {})
    AuditEvent.objects.create(at=timezone.now(), actor=actor, verb=verb, detail=detail, **refs)


def _notify(phone: str | None, text: str) -> None:
    """Send an SMS after commit; a gateway failure must not undo the promotion that already happened."""
    if not phone:
        return
    try:
        send_sms(phone, text)
    except (requests.RequestException, OSError):
        logger.exception("SMS to %s failed", phone)


def _as_person(value: PersonInput | dict[str, Any]) -> PersonInput:
    if isinstance(value, PersonInput):
        return value
    age = value.get("age")
    return PersonInput(
        name=str(value.get("name") or "").strip(),
        relationship=str(value.get("relationship") or ""),
        age=int(age) if age not in (None, "") else None,
    )


def registration_people_check(*, activity: Activity, people: Sequence[PersonInput]) -> None:
    """Raise ApplicationError unless `people` (the rider first) meet the activity's family rules."""
    if not people or people[0].relationship != Relationship.SELF:
        raise ApplicationError(_("报名人员的第一位必须是本人。"))
    if sum(1 for p in people if p.relationship == Relationship.SELF) != 1:
        raise ApplicationError(_("报名人员中只能有一位本人。"))
    if len(people) > 1 and not activity.family_allowed:
        raise ApplicationError(_("该活动不能携带家属。"))
    if len(people) > settings.PARTYBRANCH_MAX_FAMILY_SIZE:
        raise ApplicationError(_("每次报名最多 %(n)d 人（含本人）。") % {"n": settings.PARTYBRANCH_MAX_FAMILY_SIZE})
    if len(people) > activity.capacity:
        raise ApplicationError(_("报名人数超过了活动的总名额。"))
    for person in people:
        if not person.name:
            raise ApplicationError(_("请填写每位家属的姓名。"))
        if person.relationship not in Relationship.values:
            raise ApplicationError(_("家属关系无效：%(r)s。") % {"r": person.relationship})
        if person.age is not None and not 0 <= person.age <= 120:
            raise ApplicationError(_("年龄无效：%(name)s。") % {"name": person.name})
        if person.relationship == Relationship.CHILD:
            if person.age is None:
                raise ApplicationError(_("请填写孩子 %(name)s 的年龄。") % {"name": person.name})
            low, high = activity.child_min_age, activity.child_max_age
            if (low is not None and person.age < low) or (high is not None and person.age > high):
                raise ApplicationError(
                    _("孩子 %(name)s 的年龄 %(age)d 岁不在本活动的年龄范围（%(low)s–%(high)s 岁）内。")
                    % {"name": person.name, "age": person.age, "low": low or 0, "high": high or "∞"}
                )


def registration_audience_check(*, activity: Activity, rider: User) -> None:
    if activity.audience == Activity.Audience.RIDERS and rider.role != Role.RIDER:
        raise ApplicationError(_("该活动仅面向新就业群体（骑手、快递员、网约车司机）。"))
    if (
        activity.audience == Activity.Audience.PARTY_MEMBERS
        and not Membership.objects.active().filter(user=rider).exists()
    ):
        raise ApplicationError(_("该活动仅面向党员。"))


def _check_open_for_signup(activity: Activity, now: datetime) -> None:
    if activity.status != Activity.Status.PUBLISHED:
        raise ApplicationError(_("该活动未开放报名。"))
    if activity.signup_deadline and now > activity.signup_deadline:
        raise ApplicationError(_("报名已截止。"))
    if not activity.sessions.filter(end__gt=now).exists():
        raise ApplicationError(_("该活动已结束。"))


@transaction.atomic
def registration_create(
    *, activity: Activity, rider: User, people: Iterable[PersonInput | dict[str, Any]], actor: User
) -> Registration:
    """Sign `rider` and family up: confirmed together if everyone fits, else waitlisted together."""
    persons = [_as_person(p) for p in people]
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    now = timezone.now()
    _check_open_for_signup(activity, now)
    registration_audience_check(activity=activity, rider=rider)
    registration_people_check(activity=activity, people=persons)
    if Registration.objects.active().filter(activity=activity, rider=rider).exists():
        raise ConflictError(_("您已报名该活动。"))
    count = len(persons)
    remaining = max(activity.capacity - activity.confirmed_people, 0)  # read under the lock
    # Claim the places with one conditional UPDATE: under the row lock it cannot fail spuriously, and
    # where there is no row lock (SpatiaLite) it is still atomic, so a family never over-fills.
    fits = (
        Activity.objects.filter(pk=activity.pk, confirmed_people__lte=F("capacity") - count).update(
            confirmed_people=F("confirmed_people") + count
        )
        == 1
    )
    registration = Registration.objects.create(
        activity=activity,
        rider=rider,
        people=count,
        status=Registration.Status.CONFIRMED if fits else Registration.Status.WAITLISTED,
        confirmed_at=now if fits else None,
    )
    RegistrationPerson.objects.bulk_create(
        RegistrationPerson(registration=registration, name=p.name, relationship=p.relationship, age=p.age)
        for p in persons
    )
    _event(
        AuditEvent.Verb.REGISTERED if fits else AuditEvent.Verb.WAITLISTED,
        actor=actor,
        activity=activity,
        registration=registration,
        detail={"people": count, "remaining": remaining},
    )
    return registration


def _waitlist_promote(*, activity: Activity, actor: User | None) -> list[Registration]:
    """Confirm waitlisted families in sign-up order while they fit. The caller holds the activity lock."""
    free = activity.capacity - activity.confirmed_people
    promoted: list[Registration] = []
    if free <= 0 or activity.status != Activity.Status.PUBLISHED:
        return promoted
    now = timezone.now()
    for registration in activity.registrations.waitlist().select_related("rider"):
        if registration.people > free:
            continue
        Registration.objects.filter(pk=registration.pk).update(
            status=Registration.Status.CONFIRMED, confirmed_at=now, updated_at=now
        )
        registration.status = Registration.Status.CONFIRMED
        free -= registration.people
        promoted.append(registration)
        _event(AuditEvent.Verb.PROMOTED, actor=actor, activity=activity, registration=registration)
        text = _("【友好朝阳】您报名的“%(title)s”已由候补转为正式名额（%(n)d 人），请按时参加。") % {
            "title": activity.title,
            "n": registration.people,
        }
        phone = registration.rider.phone
        transaction.on_commit(lambda phone=phone, text=text: _notify(phone, text))
        if free == 0:
            break
    if promoted:
        total = sum(r.people for r in promoted)
        Activity.objects.filter(pk=activity.pk).update(confirmed_people=F("confirmed_people") + total)
        activity.confirmed_people += total
    return promoted


@transaction.atomic
def registration_cancel(*, registration: Registration, actor: User) -> Registration:
    """Cancel a registration (idempotent); freed places go to the first waitlisted families that fit."""
    activity = Activity.objects.select_for_update().get(pk=registration.activity_id)
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    if registration.status == Registration.Status.CANCELLED:
        return registration
    was_confirmed = registration.status == Registration.Status.CONFIRMED
    registration.status = Registration.Status.CANCELLED
    registration.cancelled_at = timezone.now()
    registration.save(update_fields=["status", "cancelled_at", "updated_at"])
    _event(AuditEvent.Verb.CANCELLED, actor=actor, activity=activity, registration=registration)
    if was_confirmed:
        Activity.objects.filter(pk=activity.pk).update(confirmed_people=F("confirmed_people") - registration.people)
        activity.confirmed_people -= registration.people
        _waitlist_promote(activity=activity, actor=actor)
    return registration


@transaction.atomic
def activity_capacity_change(*, activity: Activity, capacity: int, actor: User) -> Activity:
    """Change the number of places; more places promote the waitlist, fewer than confirmed is refused."""
    activity = Activity.objects.select_for_update().get(pk=activity.pk)
    if capacity < activity.confirmed_people:
        raise ConflictError(_("已有 %(n)d 人确认，名额不能少于该人数。") % {"n": activity.confirmed_people})
    activity.capacity = capacity
    activity.save(update_fields=["capacity", "updated_at"])
    _waitlist_promote(activity=activity, actor=actor)
    return activity


def extract_token(value: str) -> str:
    """The QR code holds a check-in URL ending in the token; staff may also paste the bare token."""
    return (value or "").strip().rstrip("/").rsplit("/", 1)[-1]


def _check_in_window(session: Session, now: datetime) -> None:
    window = timedelta(hours=settings.PARTYBRANCH_CHECKIN_WINDOW_HOURS)
    if not session.start - window <= now <= session.end + window:
        raise ApplicationError(_("现在不在该场次的签到时间内。"))


def _confirmed_registration_for_scan(session: Session, qr_token: str) -> Registration:
    token = extract_token(qr_token)
    try:
        registration = Registration.objects.select_for_update().get(activity_id=session.activity_id, qr_token=token)
    except Registration.DoesNotExist:
        raise NotFoundError(_("签到码无效，或不属于本活动。")) from None
    if registration.status != Registration.Status.CONFIRMED:
        raise ApplicationError(_("该报名状态为“%(s)s”，不能签到。") % {"s": registration.get_status_display()})
    return registration


@transaction.atomic
def attendance_scan(*, session: Session, qr_token: str, actor: User) -> ScanResult:
    """Mark every person of the family present at `session` in one step. A second scan changes nothing
    and says so. For volunteer service the rider's check-in opens their hours record."""
    now = timezone.now()
    _check_in_window(session, now)
    registration = _confirmed_registration_for_scan(session, qr_token)
    persons = list(registration.persons.all())
    present = set(
        Attendance.objects.filter(session=session, person__registration=registration).values_list(
            "person_id", flat=True
        )
    )
    new = [Attendance(session=session, person=p, at=now, by=actor) for p in persons if p.pk not in present]
    try:
        with transaction.atomic():
            Attendance.objects.bulk_create(new)
    except IntegrityError:
        # Another scanner won the race for this family (on SpatiaLite, where there is no row lock).
        new = []
    result = ScanResult(registration=registration, persons=persons, checked_in=len(new), already_checked_in=not new)
    if not new:
        return result
    activity = session.activity
    if activity.kind == Activity.Kind.VOLUNTEER:
        own = Attendance.objects.get(
            session=session, person__registration=registration, person__relationship=Relationship.SELF
        )
        result.hours = VolunteerHours.objects.create(
            person_id=registration.rider_id,
            street_id=activity.street_id,
            activity=activity,
            attendance=own,
            start=own.at,
            source=VolunteerHours.Source.SCAN,
            status=VolunteerHours.Status.APPROVED,
        )
    _event(
        AuditEvent.Verb.CHECKED_IN,
        actor=actor,
        activity=activity,
        registration=registration,
        detail={"session": session.pk, "people": len(new)},
    )
    return result


@transaction.atomic
def attendance_mark_present(*, session: Session, person: RegistrationPerson, actor: User) -> Attendance:
    """A clerk marks one person present by hand (no phone, a dead battery, a code that will not scan).
    From the check-in window's opening on, also after the session (from a paper list); idempotent.
    For volunteer service the rider's own mark records their hours as staff-entered: open until the
    check-out when the session is still on, the session's span when it is over."""
    now = timezone.now()
    window = timedelta(hours=settings.PARTYBRANCH_CHECKIN_WINDOW_HOURS)
    if now < session.start - window:
        raise ApplicationError(_("现在不在该场次的签到时间内。"))
    registration = Registration.objects.select_for_update().get(pk=person.registration_id)
    if registration.activity_id != session.activity_id:
        raise NotFoundError(_("该人员不属于本活动。"))
    if registration.status != Registration.Status.CONFIRMED:
        raise ApplicationError(_("该报名状态为“%(s)s”，不能签到。") % {"s": registration.get_status_display()})
    existing = Attendance.objects.filter(session=session, person=person).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            attendance = Attendance.objects.create(session=session, person=person, at=now, by=actor)
    except IntegrityError:  # a scan at the door won the race
        return Attendance.objects.get(session=session, person=person)
    activity = session.activity
    if activity.kind == Activity.Kind.VOLUNTEER and person.relationship == Relationship.SELF:
        over = now >= session.end
        VolunteerHours.objects.create(
            person_id=registration.rider_id,
            street_id=activity.street_id,
            activity=activity,
            attendance=attendance,
            start=session.start if over else now,
            end=session.end if over else None,
            hours=_hours_between(session.start, session.end) if over else Decimal("0"),
            source=VolunteerHours.Source.STAFF,
            status=VolunteerHours.Status.APPROVED,
            reviewed_by=actor,
            reviewed_at=now,
        )
    _event(
        AuditEvent.Verb.CHECKED_IN,
        actor=actor,
        activity=activity,
        registration=registration,
        detail={"session": session.pk, "people": 1, "manual": True},
    )
    return attendance


@transaction.atomic
def attendance_checkout(*, session: Session, qr_token: str, actor: User) -> VolunteerHours:
    """Close the volunteer's hours record opened at check-in (idempotent: a second check-out changes nothing)."""
    now = timezone.now()
    if session.activity.kind != Activity.Kind.VOLUNTEER:
        raise ApplicationError(_("只有志愿服务活动需要签退。"))
    _check_in_window(session, now)
    registration = _confirmed_registration_for_scan(session, qr_token)
    hours = (
        VolunteerHours.objects.select_for_update()
        .filter(
            attendance__session=session,
            attendance__person__registration=registration,
            attendance__person__relationship=Relationship.SELF,
        )
        .select_related("attendance")
        .first()
    )
    if hours is None:
        raise ApplicationError(_("尚未签到，不能签退。"))
    if hours.end is not None:
        return hours
    if now <= hours.start:
        raise ApplicationError(_("签退时间必须晚于签到时间。"))
    hours.end = now
    hours.hours = _hours_between(hours.start, now)
    hours.save(update_fields=["end", "hours", "updated_at"])
    Attendance.objects.filter(pk=hours.attendance_id).update(checked_out_at=now)
    _event(
        AuditEvent.Verb.CHECKED_OUT,
        actor=actor,
        activity=session.activity,
        registration=registration,
        hours=hours,
        detail={"session": session.pk, "hours": str(hours.hours)},
    )
    return hours


def _hours_between(start: datetime, end: datetime) -> Decimal:
    return (Decimal((end - start).total_seconds()) / Decimal(3600)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def _hours_target(team: VolunteerTeam | None, activity: Activity | None) -> int:
    if (team is None) == (activity is None):
        raise ApplicationError(_("请选择一个服务队或一个活动。"))
    return team.street_id if team is not None else activity.street_id  # type: ignore[union-attr]


def _check_span(person: User, start: datetime, end: datetime, now: datetime) -> None:
    if end <= start:
        raise ApplicationError(_("结束时间必须晚于开始时间。"))
    if end > now:
        raise ApplicationError(_("不能申报未来的服务时长。"))
    if end - start > timedelta(hours=settings.PARTYBRANCH_MAX_DECLARED_HOURS):
        raise ApplicationError(_("单次服务时长不能超过 %(h)d 小时。") % {"h": settings.PARTYBRANCH_MAX_DECLARED_HOURS})
    overlapping = (
        VolunteerHours.objects.filter(person=person, start__lt=end, end__gt=start)
        .exclude(status=VolunteerHours.Status.REJECTED)
        .exists()
    )
    if overlapping:
        raise ConflictError(_("该时间段与已记录的服务时长重叠。"))


@transaction.atomic
def hours_self_declare(
    *,
    person: User,
    start: datetime,
    end: datetime,
    team: VolunteerTeam | None = None,
    activity: Activity | None = None,
    note: str = "",
    actor: User,
) -> VolunteerHours:
    """Record hours the volunteer declares; they stay pending (and do not count) until staff approve."""
    street_id = _hours_target(team, activity)
    User.objects.select_for_update().filter(pk=person.pk).first()  # one declaration at a time per person
    _check_span(person, start, end, timezone.now())
    hours = VolunteerHours.objects.create(
        person=person,
        street_id=street_id,
        team=team,
        activity=activity,
        start=start,
        end=end,
        hours=_hours_between(start, end),
        source=VolunteerHours.Source.SELF_DECLARED,
        status=VolunteerHours.Status.PENDING,
        note=note,
    )
    _event(AuditEvent.Verb.HOURS_DECLARED, actor=actor, activity=activity, hours=hours)
    return hours


@transaction.atomic
def hours_staff_enter(
    *,
    person: User,
    start: datetime,
    end: datetime,
    team: VolunteerTeam | None = None,
    activity: Activity | None = None,
    note: str = "",
    actor: User,
) -> VolunteerHours:
    """Staff record hours (e.g. from a paper sheet); approved at once, in the staff member's scope only."""
    street_id = _hours_target(team, activity)
    if not _may_review(actor, street_id):
        raise ForbiddenError()
    _check_span(person, start, end, timezone.now())
    now = timezone.now()
    hours = VolunteerHours.objects.create(
        person=person,
        street_id=street_id,
        team=team,
        activity=activity,
        start=start,
        end=end,
        hours=_hours_between(start, end),
        source=VolunteerHours.Source.STAFF,
        status=VolunteerHours.Status.APPROVED,
        note=note,
        reviewed_by=actor,
        reviewed_at=now,
    )
    _event(AuditEvent.Verb.HOURS_APPROVED, actor=actor, activity=activity, hours=hours)
    return hours


def _may_review(actor: User, street_id: int) -> bool:
    """Street staff review their own street's hours; district analysts only read (superusers may do all)."""
    return bool(actor.is_superuser or (actor.role == Role.STREET_STAFF and actor.street_id == street_id))


def _review(hours: VolunteerHours, actor: User, status: str, verb: str, reason: str = "") -> VolunteerHours:
    locked = VolunteerHours.objects.for_user(actor).select_for_update().filter(pk=hours.pk).first()
    if locked is None:
        raise NotFoundError(_("未找到。"))
    if not _may_review(actor, locked.street_id):
        raise ForbiddenError()
    if locked.status == status:
        return locked
    if locked.status != VolunteerHours.Status.PENDING or locked.end is None:
        raise ConflictError(_("该记录已审核，不能再更改。"))
    locked.status = status
    locked.reviewed_by = actor
    locked.reviewed_at = timezone.now()
    fields = ["status", "reviewed_by", "reviewed_at", "updated_at"]
    if reason:
        locked.note = (f"{locked.note} / {reason}" if locked.note else reason)[:200]
        fields.append("note")
    locked.save(update_fields=fields)
    _event(verb, actor=actor, activity=locked.activity, hours=locked, detail={"reason": reason} if reason else {})
    return locked


@transaction.atomic
def hours_approve(*, hours: VolunteerHours, actor: User) -> VolunteerHours:
    """Approve pending hours in the actor's street (404 for another street's)."""
    return _review(hours, actor, VolunteerHours.Status.APPROVED, AuditEvent.Verb.HOURS_APPROVED)


@transaction.atomic
def hours_reject(*, hours: VolunteerHours, actor: User, reason: str = "") -> VolunteerHours:
    return _review(hours, actor, VolunteerHours.Status.REJECTED, AuditEvent.Verb.HOURS_REJECTED, reason)


@transaction.atomic
def hours_bulk_approve(*, queryset: QuerySet[VolunteerHours], actor: User) -> int:
    """Approve the pending, completed records of `queryset` that the actor may review; return how many."""
    count = 0
    for hours in queryset.for_user(actor).approval_queue():  # type: ignore[attr-defined]
        _review(hours, actor, VolunteerHours.Status.APPROVED, AuditEvent.Verb.HOURS_APPROVED)
        count += 1
    return count


@transaction.atomic
def membership_transfer(*, membership: Membership, to_branch: Branch, on: date, actor: User) -> Membership:
    """Move a member to another branch: the old row is transferred out, a new active row starts."""
    old = Membership.objects.select_for_update().get(pk=membership.pk)
    if old.status != Membership.Status.ACTIVE:
        raise ConflictError(_("该党员关系已不在册。"))
    if old.branch_id == to_branch.pk:
        raise ApplicationError(_("转入支部与当前支部相同。"))
    old.status = Membership.Status.TRANSFERRED_OUT
    old.transferred_out_on = on
    old.transferred_to = to_branch
    old.save(update_fields=["status", "transferred_out_on", "transferred_to", "updated_at"])
    return Membership.objects.create(
        user_id=old.user_id,
        branch=to_branch,
        role=Membership.Role.MEMBER,
        joined_on=old.joined_on,
        transferred_in_on=on,
        transferred_from_id=old.branch_id,
    )


def audit_deletion_record(*, objects: Sequence[Registration | VolunteerHours], actor: User) -> None:
    """Before a district superuser deletes registrations or hours: one audit event each that outlives the
    row (it points at the activity, not at the deleted row, and keeps what was deleted in `detail`)."""
    for obj in objects:
        person = obj.rider_id if isinstance(obj, Registration) else obj.person_id
        _event(
            AuditEvent.Verb.DELETED,
            actor=actor,
            activity=obj.activity,
            detail={"model": obj._meta.model_name, "id": obj.pk, "person": person, "status": obj.status},
        )
