"""Every write about 随手拍 reports. Each state change writes its timeline event in the same transaction."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role, User
from accounts.sms import send_sms
from chaoyang_friendly.errors import ApplicationError, ConflictError, NotFoundError
from chaoyang_friendly.geo import make_point
from jurisdictions.models import Street
from jurisdictions.services import locate

from .idempotency import report_for_submit_key, submit_key_check
from .models import Category, DeliveryAttempt, Report, ReportEvent, ReportPhoto, ResponseTeam
from .photos import photo_files_guard, photo_files_stored, photo_process, photos_check_count
from .selectors import report_ids_to_redispatch

logger = logging.getLogger(__name__)
S = Report.Status
K = ReportEvent.Kind


def event_add(
    *,
    report: Report,
    kind: str,
    actor: User | None,
    note: str = "",
    data: dict | None = None,
    at: datetime | None = None,
) -> ReportEvent:
    return ReportEvent.objects.create(
        report=report, kind=kind, actor=actor, note=note[:200], data=data or {}, at=at or timezone.now()
    )


def report_dispatch_enqueue(*, report_id: int) -> bool:
    """Put the dispatch task on the broker, waiting at most BROKER_ENQUEUE_TIMEOUT_SECONDS; return False
    when the broker is unreachable or slow (chaoyang_friendly/broker.py logs it).

    Never raises: the report is already committed, and the sweeper re-enqueues what is lost here.
    """
    from chaoyang_friendly.broker import enqueue

    from .tasks import report_dispatch_task

    return enqueue(report_dispatch_task, args=[report_id])


def _with_assignment() -> Any:
    """Reports with what routing and delivery read (the street's polygon stays in the database)."""
    return Report.objects.select_related("category", "street", "team").defer("street__boundary")


def _category(code: str) -> Category:
    category = Category.objects.filter(code=str(code or ""), is_active=True).first()
    if category is None:
        raise ApplicationError(_("请选择有效的类别。"))
    return category


def _photo_rows(*, report: Report, uploads: list[UploadedFile], kind: str, actor: User) -> list[ReportPhoto]:
    processed = [photo_process(upload, size=upload.size) for upload in uploads]
    rows = []
    for item in processed:
        row = ReportPhoto(
            report=report,
            kind=kind,
            image=item.image,
            thumbnail=item.thumbnail,
            width=item.width,
            height=item.height,
            uploaded_by=actor,
        )
        try:
            row.save(force_insert=True)
        finally:
            # Storage writes the files before the INSERT: note them for the caller's photo_files_guard,
            # which deletes them if the transaction rolls back (even when the INSERT itself failed).
            photo_files_stored(f.name for f in (row.image, row.thumbnail) if f.name and f._committed)  # type: ignore[attr-defined]
        rows.append(row)
    return rows


def report_submit(
    *,
    reporter: User,
    category_code: str,
    lng: object,
    lat: object,
    crs: str = Report.Crs.WGS84,
    description: str = "",
    photos: list[UploadedFile] | None = None,
    submit_key: str = "",
) -> Report:
    """Save a rider's report (status submitted) with its photos and first event; dispatch after commit.

    With a `submit_key` (the client's Idempotency-Key: 1–64 visible ASCII characters) the reporter's report
    already saved under that key comes back instead, with `submit_replayed = True` — also when a concurrent
    request with the same key commits first. Atomic; the photo files of a submission that rolls back (even
    at COMMIT) are deleted, which is why the transaction is opened here rather than by a decorator.
    """
    if submit_key:
        submit_key_check(submit_key)
    with photo_files_guard(), transaction.atomic():
        existing = report_for_submit_key(reporter=reporter, submit_key=submit_key)
        if existing is not None:
            existing.submit_replayed = True  # type: ignore[attr-defined]
            return existing
        photos = photos or []
        category = _category(category_code)
        point = make_point(lng, lat, crs=crs)
        street = locate(point)
        photos_check_count(len(photos))
        try:
            # A savepoint only with a key: then a unique violation is an expected answer, not a failure.
            with transaction.atomic(savepoint=bool(submit_key)):
                report = Report.objects.create(
                    reporter=reporter,
                    category=category,
                    description=(description or "").strip()[:500],
                    point=point,
                    source_crs=crs,
                    street=street,
                    submit_key=submit_key,
                )
        except IntegrityError:
            # The INSERT waited for a concurrent submission with the same key, which committed: return it.
            existing = report_for_submit_key(reporter=reporter, submit_key=submit_key)
            if existing is None:
                raise
            existing.submit_replayed = True  # type: ignore[attr-defined]
            return existing
        _photo_rows(report=report, uploads=photos, kind=ReportPhoto.Kind.BEFORE, actor=reporter)
        event_add(report=report, kind=K.SUBMITTED, actor=reporter, at=report.created_at, data={"crs": crs})
        transaction.on_commit(lambda: report_dispatch_enqueue(report_id=report.pk))
    return report


@transaction.atomic
def report_support(*, report: Report, user: User) -> Report:
    """Add `user` as a supporter ("me too") of an open report; doing it twice changes nothing."""
    if not report.is_open:
        raise ConflictError(_("该问题已处理完毕，无需附议。"))
    if report.reporter_id == user.pk:
        raise ApplicationError(_("这是您自己上报的问题。"))
    if report.supporters.filter(pk=user.pk).exists():
        return report
    report.supporters.add(user)
    event_add(report=report, kind=K.SUPPORTED, actor=user)
    return report


def team_for(*, street: Street | None, category: Category) -> ResponseTeam | None:
    """The on-duty team of the street for the category (a team for that category before a catch-all
    team), else the district fallback team. One query: the candidates ranked in the database."""
    handles = ResponseTeam.categories.through.objects.filter(responseteam_id=OuterRef("pk"))
    fallback = Q(is_district_fallback=True)
    if street is None:
        return ResponseTeam.objects.filter(fallback).order_by("pk").first()
    on_duty_here = Q(street=street, on_duty=True)
    rank = Case(
        When(on_duty_here & Exists(handles.filter(category_id=category.pk)), then=Value(0)),
        When(on_duty_here & ~Exists(handles), then=Value(1)),
        When(fallback, then=Value(2)),
        default=Value(3),
        output_field=IntegerField(),
    )
    return (
        ResponseTeam.objects.filter(on_duty_here | fallback)
        .annotate(rank=rank)
        .filter(rank__lte=2)
        .order_by("rank", "pk")
        .first()
    )


def _due_times(report: Report, category: Category) -> dict[str, datetime]:
    return {
        "arrival_due_at": report.created_at + timedelta(minutes=category.arrival_sla_minutes),
        "resolve_due_at": report.created_at + timedelta(minutes=category.resolution_sla_minutes),
    }


def _route_fields(report: Report, *, now: datetime) -> dict[str, Any]:
    """What routing a submitted report sets: its street, the team and the SLA due times."""
    street = locate(report.point)
    team = team_for(street=street, category=report.category)
    if team is None:
        raise ConflictError(_("没有可派单的应急队（也没有区级兜底队）。"))
    return {
        "status": S.ROUTED,
        "street": street,
        "team": team,
        "routed_at": now,
        "updated_at": now,
        "assignment": report.assignment + 1,
        **_due_times(report, report.category),
    }


def _routed(report: Report, fields: dict[str, Any], *, actor: User, now: datetime) -> Report:
    """Apply routing fields already written to the row to the instance, and put them on the timeline."""
    for name, value in fields.items():
        setattr(report, name, value)
    team = report.team
    assert team is not None and report.street is not None
    event_add(
        report=report,
        kind=K.ROUTED,
        actor=actor,
        at=now,
        data={
            "street": report.street.code,
            "team": team.pk,
            "team_name": team.name,
            "fallback": team.is_district_fallback,
        },
    )
    return report


@transaction.atomic
def report_route(*, report_id: int, actor: User) -> Report:
    """Assign street, team and SLA due times to a submitted report, once.

    Idempotent: the claim is a conditional UPDATE … WHERE status='submitted'; whoever loses (or calls
    again later) gets the assignment that is already there.
    """
    report = _with_assignment().filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(_("未找到该随手拍。"))
    if report.status != S.SUBMITTED:
        return report
    now = timezone.now()
    fields = _route_fields(report, now=now)
    won = Report.objects.filter(pk=report.pk, status=S.SUBMITTED).update(**fields)
    if not won:  # another caller routed it in between: return theirs
        return _with_assignment().get(pk=report.pk)
    return _routed(report, fields, actor=actor, now=now)


@dataclass(frozen=True)
class Dispatch:
    """What a dispatch worker learns in one call: the routed report, the attempt it may send now (None:
    send nothing) and whether the current team already has the report."""

    report: Report
    attempt: DeliveryAttempt | None
    delivered: bool | None  # None: not asked (nothing was claimed); the payload asks if it needs it


@transaction.atomic
def report_dispatch(*, report_id: int, actor: User) -> Dispatch:
    """Route the report (once) and claim its delivery, in one transaction on the locked report row.

    The same effects as report_route followed by delivery_claim, in about half the statements: one read
    of the report, one of its attempts, one UPDATE of the row carrying both the routing and the lease.
    """
    report = _with_assignment().select_for_update(of=("self",)).filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(_("未找到该随手拍。"))
    now = timezone.now()
    fields = _route_fields(report, now=now) if report.status == S.SUBMITTED else {}
    for name, value in fields.items():  # the claim below reads the new team and assignment
        setattr(report, name, value)
    claim = _claim(report, actor=actor, now=now, routed=bool(fields))
    if fields or claim.lease:
        Report.objects.filter(pk=report.pk).update(**fields, **(claim.lease or {}))
    if fields:
        _routed(report, fields, actor=actor, now=now)
    _claim_recorded(report, claim, actor=actor, now=now)
    return Dispatch(report=report, attempt=claim.attempt, delivered=claim.delivered)


def report_delivered_to_team(report: Report) -> bool:
    """True when the current team already has the report (a successful delivery to it exists)."""
    if report.team_id is None:
        return False
    return DeliveryAttempt.objects.filter(
        report=report, team_id=report.team_id, outcome=DeliveryAttempt.Outcome.SUCCESS
    ).exists()


def _failures(delivery_id: str) -> int:
    return DeliveryAttempt.objects.filter(delivery_id=delivery_id, outcome=DeliveryAttempt.Outcome.FAILURE).count()


def _attempt_counts(report: Report) -> dict[str, int]:
    """One query over the report's attempts: what the claim needs to know about the current
    assignment (its delivery id) and team."""
    Out, C = DeliveryAttempt.Outcome, DeliveryAttempt.Channel
    this = Q(delivery_id=report.delivery_id)
    return DeliveryAttempt.objects.filter(report_id=report.pk).aggregate(
        delivered=Count("pk", filter=Q(team_id=report.team_id, outcome=Out.SUCCESS)),
        attempts=Count("pk", filter=this),
        webhook_failures=Count("pk", filter=this & Q(channel=C.WEBHOOK, outcome=Out.FAILURE)),
        sms=Count("pk", filter=this & Q(channel=C.SMS)),
        pending=Count("pk", filter=Q(outcome=Out.PENDING)),
    )


def _channel_for(team: ResponseTeam, *, webhook_failures: int) -> str | None:
    """Webhook while it works; the team's SMS number after REPORTS_SMS_FALLBACK_AFTER_FAILURES webhook
    failures (or when there is no webhook); None when the team has neither."""
    C = DeliveryAttempt.Channel
    if team.webhook_url:
        if team.sms_phone and webhook_failures >= settings.REPORTS_SMS_FALLBACK_AFTER_FAILURES:
            return C.SMS
        return C.WEBHOOK
    return C.SMS if team.sms_phone else None


@dataclass(frozen=True)
class _Claim:
    attempt: DeliveryAttempt | None = None
    delivered: bool | None = None
    lease: dict[str, Any] | None = None  # the fields the caller writes on the report row
    first_sms: bool = False  # the first SMS after webhook failures: the timeline says so


def _claim(report: Report, *, actor: User, now: datetime, routed: bool) -> _Claim:
    """The claim on a locked report. A report routed for the first time in this transaction has no
    attempts yet, so nothing is asked about them."""
    team = report.team
    if not report.is_open or team is None:
        return _Claim()
    if report.delivery_lease_until and report.delivery_lease_until > now:
        return _Claim()
    counts = (
        {"delivered": 0, "attempts": 0, "webhook_failures": 0, "sms": 0, "pending": 0}
        if routed and report.assignment == 1
        else _attempt_counts(report)
    )
    if counts["delivered"]:
        return _Claim(delivered=True)
    channel = _channel_for(team, webhook_failures=counts["webhook_failures"])
    if channel is None:  # nothing to try: staff must phone the team (tried again only now and then)
        _report_undeliverable(report=report, actor=actor, now=now, failures=0)
        return _Claim()
    Out = DeliveryAttempt.Outcome
    if counts["pending"]:
        DeliveryAttempt.objects.filter(report=report, outcome=Out.PENDING).update(outcome=Out.UNKNOWN)
    delivery_id = report.delivery_id
    attempt = DeliveryAttempt.objects.create(
        report=report,
        team=team,
        delivery_id=delivery_id,
        idempotency_key=f"{delivery_id}-n{counts['attempts'] + 1}",
        channel=channel,
        outcome=Out.PENDING,
        at=now,
    )
    lease_until = now + timedelta(seconds=settings.REPORTS_DELIVERY_LEASE_SECONDS)
    lease = {
        "delivery_lease_until": lease_until,
        "dispatch_chain_until": Greatest(Coalesce("dispatch_chain_until", lease_until), lease_until),
    }
    first_sms = channel == DeliveryAttempt.Channel.SMS and bool(team.webhook_url) and not counts["sms"]
    return _Claim(attempt=attempt, delivered=False, lease=lease, first_sms=first_sms)


def _claim_recorded(report: Report, claim: _Claim, *, actor: User, now: datetime) -> None:
    if claim.first_sms:
        event_add(report=report, kind=K.SMS_FALLBACK, actor=actor, at=now, data={"team": report.team_id})


@transaction.atomic
def delivery_claim(*, report_id: int, actor: User) -> DeliveryAttempt | None:
    """Take the right to send the report to its team now, and record the intent before the call.

    Returns the new pending attempt (its delivery id is the same for every attempt of this assignment),
    or None when there is nothing to send (closed, delivered, no team or no channel) or another worker
    holds the lease. The lease (REPORTS_DELIVERY_LEASE_SECONDS) outlives a webhook timeout, so a slow
    receiver cannot make two workers send at once; an attempt whose worker vanished is marked unknown.
    """
    report = Report.objects.select_for_update(of=("self",)).select_related("team").filter(pk=report_id).first()
    if report is None:
        return None
    now = timezone.now()
    claim = _claim(report, actor=actor, now=now, routed=False)
    if claim.lease:
        Report.objects.filter(pk=report.pk).update(**claim.lease)
    _claim_recorded(report, claim, actor=actor, now=now)
    return claim.attempt


def _staff_phones(report: Report) -> list[str]:
    """Who hears of an undeliverable report: the street's staff with a phone, and the district team."""
    phones = []
    if report.street_id:
        phones = list(
            User.objects.filter(street_id=report.street_id, role=Role.STREET_STAFF, is_active=True)
            .exclude(phone__isnull=True)
            .exclude(phone="")
            .values_list("phone", flat=True)[:5]
        )
    fallback = ResponseTeam.objects.filter(is_district_fallback=True).exclude(sms_phone="").first()
    if fallback is not None and fallback.pk != report.team_id:
        phones.append(fallback.sms_phone)
    return phones


def _notify_undeliverable(report_id: int) -> None:
    report = _with_assignment().filter(pk=report_id).first()
    if report is None:
        return
    text = _(
        "【友好朝阳】随手拍 #%(id)s（%(cat)s，%(street)s）无法通过系统送达%(team)s，请立即电话通知应急队到场处置。"
    ) % {
        "id": report.pk,
        "cat": report.category.name,
        "street": report.street.name if report.street else "-",
        "team": report.team.name if report.team else "-",
    }
    for phone in _staff_phones(report):
        try:
            send_sms(phone, text)
        except Exception:
            logger.warning("undeliverable SMS failed for report %s", report.pk, exc_info=True)


def _report_undeliverable(*, report: Report, actor: User, now: datetime, failures: int) -> None:
    """Once per assignment: tell street staff (timeline, escalation and SMS) that no channel reached the
    team, in those words, so that someone phones the team."""
    if not Report.objects.filter(pk=report.pk, undeliverable_at__isnull=True).update(undeliverable_at=now):
        return
    event_add(
        report=report,
        kind=K.UNDELIVERABLE,
        actor=actor,
        at=now,
        note=_("连续 %(n)d 次未能送达应急队，请街道工作人员电话联系。") % {"n": failures},
        data={"team": report.team_id, "failures": failures},
    )
    transaction.on_commit(lambda: _notify_undeliverable(report.pk))


@transaction.atomic
def delivery_record(
    *,
    report_id: int,
    idempotency_key: str,
    channel: str,
    outcome: str,
    actor: User,
    status_code: int | None = None,
    error: str = "",
    retry_in: float | None = None,
) -> tuple[DeliveryAttempt, bool]:
    """Record the outcome of one delivery attempt; return it and whether this call changed it.

    The attempt is normally the pending one that delivery_claim created (its key); the same key
    reported twice returns the first answer. `retry_in` is when the worker's retry chain will try again
    (None: it gives up); until then plus REPORTS_CHAIN_GRACE_SECONDS the sweeper starts no second chain.
    """
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ApplicationError(_("缺少或无效的 Idempotency-Key。"))
    Out = DeliveryAttempt.Outcome
    if channel not in DeliveryAttempt.Channel.values or outcome not in (Out.SUCCESS, Out.FAILURE):
        raise ApplicationError(_("渠道或结果无效。"))
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(_("未找到该随手拍。"))
    now = timezone.now()
    attempt = DeliveryAttempt.objects.filter(idempotency_key=key).first()
    if attempt is not None:
        if attempt.report_id != report_id:
            raise ConflictError(_("该 Idempotency-Key 已用于其他随手拍。"))
        if attempt.outcome not in (Out.PENDING, Out.UNKNOWN):
            return attempt, False
        attempt.outcome, attempt.status_code, attempt.error = outcome, status_code, (error or "")[:500]
        attempt.save(update_fields=["outcome", "status_code", "error"])
    else:  # an attempt nobody claimed (older workers): recorded as it comes
        try:
            with transaction.atomic():
                attempt = DeliveryAttempt.objects.create(
                    report=report,
                    team_id=report.team_id,
                    delivery_id=report.delivery_id,
                    idempotency_key=key,
                    channel=channel,
                    outcome=outcome,
                    status_code=status_code,
                    error=(error or "")[:500],
                    at=now,
                )
        except IntegrityError:  # the key was taken for another report meanwhile
            raise ConflictError(_("该 Idempotency-Key 已用于其他随手拍。")) from None
    data = {"channel": channel, "team": attempt.team_id, "status_code": status_code, "error": (error or "")[:60]}
    fields: dict[str, Any] = {"delivery_lease_until": None}
    current = attempt.team_id == report.team_id and attempt.delivery_id in ("", report.delivery_id)
    if outcome == Out.SUCCESS:
        fields["dispatch_chain_until"] = None
        if current and report.status == S.ROUTED:
            fields.update(status=S.DELIVERED, delivered_at=now, updated_at=now)
        first = (
            not DeliveryAttempt.objects.filter(report=report, delivery_id=attempt.delivery_id, outcome=Out.SUCCESS)
            .exclude(pk=attempt.pk)
            .exists()
        )
        Report.objects.filter(pk=report.pk).update(**fields)
        if first:
            event_add(report=report, kind=K.DELIVERED, actor=actor, at=now, data=data)
        return attempt, True
    fields["dispatch_chain_until"] = (
        now + timedelta(seconds=float(retry_in) + settings.REPORTS_CHAIN_GRACE_SECONDS)
        if retry_in is not None
        else None
    )
    Report.objects.filter(pk=report.pk).update(**fields)
    if not current:
        return attempt, True
    failures = _failures(attempt.delivery_id) if attempt.delivery_id else 1
    if failures == 1:  # the timeline says it once; every attempt stays in the delivery log
        event_add(report=report, kind=K.DELIVERY_FAILED, actor=actor, at=now, data=data)
    if report.is_open and (failures >= settings.REPORTS_UNDELIVERABLE_AFTER_FAILURES or retry_in is None):
        _report_undeliverable(report=report, actor=actor, now=now, failures=failures)
    return attempt, True


# --- The team's steps ----------------------------------------------------------------------------------
TEAM_ACTIONS: dict[str, tuple[str, tuple[str, ...], str]] = {
    # action: (new status, allowed from, event kind)
    "acknowledge": (S.ACKNOWLEDGED, (S.ROUTED, S.DELIVERED), K.ACKNOWLEDGED),
    "on_site": (S.ON_SITE, (S.ROUTED, S.DELIVERED, S.ACKNOWLEDGED), K.ON_SITE),
    "resolve": (S.RESOLVED, (S.ROUTED, S.DELIVERED, S.ACKNOWLEDGED, S.ON_SITE), K.RESOLVED),
    "reject": (S.REJECTED, (S.SUBMITTED, S.ROUTED, S.DELIVERED, S.ACKNOWLEDGED, S.ON_SITE), K.REJECTED),
}
_STAMP = {"acknowledge": "acknowledged_at", "on_site": "on_site_at", "resolve": "closed_at", "reject": "closed_at"}


@transaction.atomic
def report_step(
    *,
    report: Report,
    action: str,
    actor: User,
    reason: str = "",
    photos: list[UploadedFile] | None = None,
) -> Report:
    """Move a report one step (acknowledge, on_site, resolve with an "after" photo, reject with a reason).

    Asking for the state the report is already in returns it unchanged (a retried request is harmless).
    """
    if action not in TEAM_ACTIONS:
        raise ApplicationError(_("未知操作。"))
    new_status, allowed, kind = TEAM_ACTIONS[action]
    photos = photos or []
    reason = (reason or "").strip()
    if report.status == new_status:
        return report
    if action == "resolve" and not photos:
        raise ApplicationError(_("处置完成需要上传一张处置后照片。"))
    if action == "reject" and not reason:
        raise ApplicationError(_("驳回需要填写原因。"))
    photos_check_count(len(photos))
    now = timezone.now()
    fields: dict[str, Any] = {"status": new_status, "updated_at": now, _STAMP[action]: now}
    if action in {"resolve", "reject"}:
        fields["status_note"] = reason[:200]
    won = Report.objects.filter(pk=report.pk, status__in=allowed).update(**fields)
    if not won:
        raise ConflictError(_("当前状态（%(status)s）不能执行该操作。") % {"status": report.get_status_display()})
    report.refresh_from_db()
    # Resolving implies arriving; keep an arrival time for the response-time figures.
    if action == "resolve" and report.on_site_at is None:
        Report.objects.filter(pk=report.pk).update(on_site_at=now)
        report.on_site_at = now
    if photos:
        _photo_rows(report=report, uploads=photos, kind=ReportPhoto.Kind.AFTER, actor=actor)
    event_add(report=report, kind=kind, actor=actor, at=now, note=reason, data={"status": new_status})
    return report


# --- Street staff in the admin ------------------------------------------------------------------------
def _new_assignment(report: Report, now: datetime) -> dict[str, Any]:
    """Fields for a fresh assignment (reassigned or reopened): a new delivery id, no failures carried
    over, and a chain expected from the enqueue after commit."""
    return {
        "assignment": report.assignment + 1,
        "undeliverable_at": None,
        "dispatch_chain_until": now + timedelta(seconds=settings.REPORTS_CHAIN_GRACE_SECONDS),
    }


@transaction.atomic
def report_reassign(*, report: Report, team: ResponseTeam, actor: User) -> Report:
    """Give an open report to another team; it is delivered to the new team after commit."""
    if not report.is_open:
        raise ConflictError(_("只能改派未关闭的随手拍。"))
    if report.team_id == team.pk:
        return report
    now = timezone.now()
    old = report.team_id
    Report.objects.filter(pk=report.pk).update(
        team=team,
        status=S.ROUTED,
        routed_at=now,
        delivered_at=None,
        acknowledged_at=None,
        delivery_lease_until=None,
        updated_at=now,
        **_new_assignment(report, now),
    )
    report.refresh_from_db()
    event_add(report=report, kind=K.REASSIGNED, actor=actor, at=now, data={"from_team": old, "team": team.pk})
    transaction.on_commit(lambda: report_dispatch_enqueue(report_id=report.pk))
    return report


@transaction.atomic
def report_mark_duplicate(*, report: Report, original: Report, actor: User) -> Report:
    if original.pk == report.pk or original.duplicate_of_id == report.pk:
        raise ApplicationError(_("不能标记为自身的重复。"))
    if not report.is_open:
        raise ConflictError(_("只能标记未关闭的随手拍。"))
    now = timezone.now()
    Report.objects.filter(pk=report.pk).update(
        status=S.DUPLICATE, duplicate_of=original, closed_at=now, updated_at=now, status_note=f"#{original.pk}"
    )
    original.supporters.add(report.reporter)
    report.refresh_from_db()
    event_add(report=report, kind=K.DUPLICATE, actor=actor, at=now, data={"original": original.pk})
    return report


@transaction.atomic
def report_reopen(*, report: Report, actor: User, reason: str = "") -> Report:
    """Reopen a closed report: back to its team (routed, delivered again) or to routing."""
    if report.is_open:
        return report
    now = timezone.now()
    status = S.ROUTED if report.team_id else S.SUBMITTED
    Report.objects.filter(pk=report.pk).update(
        status=status,
        closed_at=None,
        duplicate_of=None,
        escalated_at=None,
        status_note="",
        updated_at=now,
        delivered_at=None,
        acknowledged_at=None,
        on_site_at=None,
        delivery_lease_until=None,
        routed_at=now if report.team_id else None,
        **_new_assignment(report, now),
    )
    DeliveryAttempt.objects.filter(report=report, outcome=DeliveryAttempt.Outcome.SUCCESS).update(team=None)
    report.refresh_from_db()
    event_add(report=report, kind=K.REOPENED, actor=actor, at=now, note=reason)
    transaction.on_commit(lambda: report_dispatch_enqueue(report_id=report.pk))
    return report


# --- The sweeper ------------------------------------------------------------------------------------------
def _notify_fallback(report: Report, reason: str) -> None:
    fallback = ResponseTeam.objects.filter(is_district_fallback=True).first()
    if fallback is None or not fallback.sms_phone:
        return
    text = _("【友好朝阳】随手拍 #%(id)s（%(cat)s，%(street)s）%(reason)s，请区级督办。") % {
        "id": report.pk,
        "cat": report.category.name,
        "street": report.street.name if report.street else "-",
        "reason": reason,
    }
    try:
        send_sms(fallback.sms_phone, text)
    except Exception:
        logger.warning("escalation SMS failed for report %s", report.pk, exc_info=True)


@transaction.atomic
def reports_sweep(*, actor: User | None, now: datetime | None = None, limit: int = 500) -> dict[str, list[int]]:
    """Escalate overdue reports (once each) and return the ids the dispatcher must enqueue again:
    reports still submitted after REPORTS_REDISPATCH_AFTER_SECONDS (the broker may have lost them) and
    routed reports that no team has received after REPORTS_REDELIVER_AFTER_SECONDS."""
    now = now or timezone.now()
    redispatch = report_ids_to_redispatch(now=now, limit=limit)
    # The caller enqueues these now: one chain each, until it reports back or the grace runs out.
    Report.objects.filter(pk__in=redispatch).update(
        dispatch_chain_until=now + timedelta(seconds=settings.REPORTS_CHAIN_GRACE_SECONDS)
    )

    escalated = []
    unrouted_before = now - timedelta(seconds=settings.REPORTS_ESCALATE_UNROUTED_AFTER_SECONDS)
    overdue = (
        Report.objects.filter(escalated_at__isnull=True)
        .filter(
            Q(pk__in=Report.objects.overdue(now).values("pk"))
            # never routed (workers or broker down for long): the district must know too
            | Q(status=S.SUBMITTED, created_at__lt=unrouted_before)
        )
        .select_related("category", "street")
        .order_by("created_at")[:limit]
    )
    for report in overdue:
        if not Report.objects.filter(pk=report.pk, escalated_at__isnull=True).update(escalated_at=now):
            continue
        late_arrival = report.on_site_at is None and report.arrival_due_at and report.arrival_due_at < now
        if report.status == S.SUBMITTED:
            sla, reason = "routing", _("长时间未能派单")
        elif report.status == S.ROUTED and (report.undeliverable_at or report.delivery_attempts.exists()):
            sla, reason = "undeliverable", _("未能送达应急队，请电话联系")
        elif late_arrival:
            sla, reason = "arrival", _("超过到场时限")
        else:
            sla, reason = "resolution", _("超过处置时限")
        event_add(report=report, kind=K.ESCALATED, actor=actor, at=now, note=reason, data={"sla": sla})
        transaction.on_commit(lambda r=report, why=reason: _notify_fallback(r, why))
        escalated.append(report.pk)
    return {"redispatch": redispatch, "escalated": escalated}


@transaction.atomic
def categories_ensure() -> list[Category]:
    """Create the standard categories that are missing (existing ones are left as staff edited them)."""
    from .defaults import CATEGORIES

    out = []
    for order, (code, name, arrival, resolution, urgent) in enumerate(CATEGORIES):
        category, _created = Category.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "arrival_sla_minutes": arrival,
                "resolution_sla_minutes": resolution,
                "urgent": urgent,
                "sort_order": order,
            },
        )
        out.append(category)
    return out
