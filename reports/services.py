"""Every write about 随手拍 reports. Each state change writes its timeline event in the same transaction."""

import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.sms import send_sms
from chaoyang_friendly.errors import ApplicationError, ConflictError, NotFoundError
from chaoyang_friendly.geo import make_point
from jurisdictions.models import Street
from jurisdictions.services import locate

from .models import Category, DeliveryAttempt, Report, ReportEvent, ReportPhoto, ResponseTeam
from .photos import photo_process, photos_check_count
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
    """Put the dispatch task on the broker; return False (and log) when the broker is unreachable.

    Never raises: the report is already committed, and the sweeper re-enqueues what is lost here.
    """
    from .tasks import report_dispatch_task

    try:
        report_dispatch_task.apply_async(args=[report_id], retry=False)
    except Exception:
        logger.warning("broker unreachable; report %s waits for the sweeper", report_id, exc_info=True)
        return False
    return True


def _category(code: str) -> Category:
    category = Category.objects.filter(code=str(code or ""), is_active=True).first()
    if category is None:
        raise ApplicationError(_("请选择有效的类别。"))
    return category


def _photo_rows(*, report: Report, uploads: list[UploadedFile], kind: str, actor: User) -> list[ReportPhoto]:
    processed = [photo_process(upload, size=upload.size) for upload in uploads]
    rows = []
    for item in processed:
        rows.append(
            ReportPhoto.objects.create(
                report=report,
                kind=kind,
                image=item.image,
                thumbnail=item.thumbnail,
                width=item.width,
                height=item.height,
                uploaded_by=actor,
            )
        )
    return rows


@transaction.atomic
def report_submit(
    *,
    reporter: User,
    category_code: str,
    lng: object,
    lat: object,
    crs: str = Report.Crs.WGS84,
    description: str = "",
    photos: list[UploadedFile] | None = None,
) -> Report:
    """Save a rider's report (status submitted) with its photos and first event; dispatch after commit."""
    photos = photos or []
    category = _category(category_code)
    point = make_point(lng, lat, crs=crs)
    street = locate(point)
    photos_check_count(len(photos))
    report = Report.objects.create(
        reporter=reporter,
        category=category,
        description=(description or "").strip()[:500],
        point=point,
        source_crs=crs,
        street=street,
    )
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
    team), else the district fallback team."""
    if street is not None:
        teams = ResponseTeam.objects.filter(street=street, on_duty=True)
        team = teams.filter(categories=category).order_by("pk").first()
        if team is None:
            team = teams.filter(categories__isnull=True).order_by("pk").first()
        if team is not None:
            return team
    return ResponseTeam.objects.filter(is_district_fallback=True).first()


def _due_times(report: Report, category: Category) -> dict[str, datetime]:
    return {
        "arrival_due_at": report.created_at + timedelta(minutes=category.arrival_sla_minutes),
        "resolve_due_at": report.created_at + timedelta(minutes=category.resolution_sla_minutes),
    }


@transaction.atomic
def report_route(*, report_id: int, actor: User) -> Report:
    """Assign street, team and SLA due times to a submitted report, once.

    Idempotent: the claim is a conditional UPDATE … WHERE status='submitted'; whoever loses (or calls
    again later) gets the assignment that is already there.
    """
    report = Report.objects.select_related("category", "street", "team").filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(_("未找到该随手拍。"))
    if report.status != S.SUBMITTED:
        return report
    street = locate(report.point)
    team = team_for(street=street, category=report.category)
    if team is None:
        raise ConflictError(_("没有可派单的应急队（也没有区级兜底队）。"))
    now = timezone.now()
    fields = {
        "status": S.ROUTED,
        "street": street,
        "team": team,
        "routed_at": now,
        "updated_at": now,
        **_due_times(report, report.category),
    }
    won = Report.objects.filter(pk=report.pk, status=S.SUBMITTED).update(**fields)
    if not won:  # another caller routed it in between: return theirs
        return Report.objects.select_related("category", "street", "team").get(pk=report.pk)
    for name, value in fields.items():
        setattr(report, name, value)
    event_add(
        report=report,
        kind=K.ROUTED,
        actor=actor,
        at=now,
        data={
            "street": street.code,
            "team": team.pk,
            "team_name": team.name,
            "fallback": team.is_district_fallback,
        },
    )
    return report


def report_delivered_to_team(report: Report) -> bool:
    """True when the current team already has the report (a successful delivery to it exists)."""
    if report.team_id is None:
        return False
    return DeliveryAttempt.objects.filter(
        report=report, team_id=report.team_id, outcome=DeliveryAttempt.Outcome.SUCCESS
    ).exists()


def delivery_lease_claim(*, report: Report, seconds: int) -> bool:
    """Claim the right to send the report to its team for `seconds`; True if this caller won.

    A conditional UPDATE, so two workers holding the same report (a redelivered task, a sweeper re-enqueue)
    cannot both send: the loser retries later and then finds the delivery recorded.
    """
    now = timezone.now()
    won = (
        Report.objects.filter(pk=report.pk)
        .filter(Q(delivery_lease_until__isnull=True) | Q(delivery_lease_until__lt=now))
        .update(delivery_lease_until=now + timedelta(seconds=seconds))
    )
    return bool(won)


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
) -> tuple[DeliveryAttempt, bool]:
    """Record one delivery attempt; return it and whether it is new. The same key returns the same attempt."""
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100:
        raise ApplicationError(_("缺少或无效的 Idempotency-Key。"))
    existing = DeliveryAttempt.objects.filter(idempotency_key=key).first()
    if existing is not None:
        if existing.report_id != report_id:
            raise ConflictError(_("该 Idempotency-Key 已用于其他随手拍。"))
        return existing, False
    report = Report.objects.select_for_update().filter(pk=report_id).first()
    if report is None:
        raise NotFoundError(_("未找到该随手拍。"))
    if channel not in DeliveryAttempt.Channel.values or outcome not in DeliveryAttempt.Outcome.values:
        raise ApplicationError(_("渠道或结果无效。"))
    now = timezone.now()
    try:
        with transaction.atomic():
            attempt = DeliveryAttempt.objects.create(
                report=report,
                team_id=report.team_id,
                idempotency_key=key,
                channel=channel,
                outcome=outcome,
                status_code=status_code,
                error=(error or "")[:500],
                at=now,
            )
    except IntegrityError:  # the same key arrived concurrently
        return DeliveryAttempt.objects.get(idempotency_key=key), False
    data = {"channel": channel, "team": report.team_id, "status_code": status_code}
    # The attempt is over: free the lease (and, on success, mark a routed report delivered) in one UPDATE;
    # the row is locked above, so the status read there is current.
    fields: dict[str, Any] = {"delivery_lease_until": None}
    if outcome == DeliveryAttempt.Outcome.SUCCESS and report.status == S.ROUTED:
        fields.update(status=S.DELIVERED, delivered_at=now, updated_at=now)
    Report.objects.filter(pk=report.pk).update(**fields)
    if outcome == DeliveryAttempt.Outcome.SUCCESS:
        event_add(report=report, kind=K.DELIVERED, actor=actor, at=now, data=data)
    else:
        event_add(report=report, kind=K.DELIVERY_FAILED, actor=actor, at=now, note=error[:200], data=data)
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
