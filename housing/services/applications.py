"""Applications: submit (with eligibility), withdraw, status history, waitlist position."""

import datetime
from typing import Any

from django.contrib.gis.geos import Point
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from chaoyang_friendly.errors import ApplicationError, ConflictError

from ..models import Application, ApplicationStatusChange, HouseholdKind, Project, RoomType
from .eligibility import application_evaluate, failures, household_mismatch

MAX_HOUSEHOLD_MEMBERS = 6
MOVE_IN_MAX_DAYS = 180


def application_status_set(
    *, application: Application, to: str, actor: Any = None, note: str = "", reason: str | None = None
) -> Application:
    """Move `application` to status `to` and write the history row (call inside a transaction)."""
    history = ApplicationStatusChange(
        application=application,
        actor=actor if getattr(actor, "pk", None) else None,
        from_status=application.status,
        to_status=to,
        at=timezone.now(),
        note=note,
    )
    application.status = to
    fields = ["status", "updated_at"]
    if reason is not None:
        application.reason = reason
        fields.append("reason")
    application.save(update_fields=fields)
    history.save()
    return application


def _clean_members(members: Any) -> list[dict[str, str]]:
    if members in (None, ""):
        return []
    if not isinstance(members, list) or len(members) > MAX_HOUSEHOLD_MEMBERS:
        raise ApplicationError(_("同住人最多 %(n)d 位。") % {"n": MAX_HOUSEHOLD_MEMBERS})
    cleaned = []
    for member in members:
        if not isinstance(member, dict):
            raise ApplicationError(_("同住人信息格式不正确。"))
        name = str(member.get("name", "")).strip()
        relation = str(member.get("relation", "")).strip()
        if not name or len(name) > 40 or not relation or len(relation) > 20:
            raise ApplicationError(_("每位同住人需要填写姓名（40字以内）和关系（20字以内）。"))
        cleaned.append({"name": name, "relation": relation})
    return cleaned


def _check_move_in(move_in_date: datetime.date) -> None:
    today = timezone.localdate()
    if move_in_date < today:
        raise ApplicationError(_("期望入住日期不能早于今天。"))
    if move_in_date > today + datetime.timedelta(days=MOVE_IN_MAX_DAYS):
        raise ApplicationError(_("期望入住日期须在 %(n)d 天以内。") % {"n": MOVE_IN_MAX_DAYS})


@transaction.atomic
def application_submit(
    *,
    rider: Any,
    project: Project,
    room_types: list[RoomType],
    household_kind: str,
    gender: str,
    move_in_date: datetime.date,
    household_members: list[dict[str, str]] | None = None,
    work_point: Point | None = None,
    priority: int = 0,
) -> Application:
    """Create an application, evaluate eligibility and put it on the waitlist (or reject it, with reasons).

    Returns the application; a free bed of a chosen room type is offered at once.
    """
    if not getattr(rider, "is_rider", False):
        raise ApplicationError(_("只有骑手账号可以申请住房。"))
    if project.status != Project.Status.OPEN:
        raise ApplicationError(_("该项目暂不接受申请。"))
    if household_kind not in HouseholdKind.values:
        raise ApplicationError(_("申请类型不正确。"))
    room_types = list(room_types)
    if not room_types or any(rt.project_id != project.pk for rt in room_types):
        raise ApplicationError(_("请至少选择一个该项目的房型。"))
    _check_move_in(move_in_date)
    members = _clean_members(household_members)
    mismatch = household_mismatch(household_kind=household_kind, room_types=room_types, members=members)
    if mismatch:
        # A choice to correct on the form, not a verdict: no application is written.
        raise ApplicationError(mismatch)
    if Application.objects.open().filter(rider=rider).exists():
        raise ConflictError(_("您已有一份进行中的申请，请先撤回或等待处理。"))
    try:
        with transaction.atomic():
            application = Application.objects.create(
                rider=rider,
                project=project,
                household_kind=household_kind,
                gender=gender,
                household_members=members,
                move_in_date=move_in_date,
                work_point=work_point,
                priority=priority,
                status=Application.Status.SUBMITTED,
            )
    except IntegrityError:
        raise ConflictError(_("您已有一份进行中的申请，请先撤回或等待处理。")) from None
    application.room_types.set(room_types)
    ApplicationStatusChange.objects.create(
        application=application, actor=rider, from_status="", to_status=application.status, at=timezone.now()
    )
    results = application_evaluate(application=application)
    application.eligibility = [r.as_dict() for r in results]
    application.save(update_fields=["eligibility", "updated_at"])
    reasons = failures(results)
    if reasons:
        return application_status_set(
            application=application, to=Application.Status.REJECTED, reason="；".join(reasons), note=_("资格审核未通过")
        )
    application_status_set(application=application, to=Application.Status.ELIGIBLE, note=_("资格审核通过"))
    application_status_set(application=application, to=Application.Status.WAITLISTED)

    from .allocation import room_type_fill_vacancies

    for room_type in room_types:
        room_type_fill_vacancies(room_type=room_type)
    application.refresh_from_db()
    return application


@transaction.atomic
def application_withdraw(*, application: Application, actor: Any) -> Application:
    """Withdraw an open application; an open offer is cancelled and its bed goes to the next in line."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_open:
        raise ApplicationError(_("该申请已结束，无法撤回。"))
    from .allocation import offer_close_and_refill

    offer = application.offers.open().first()
    application_status_set(application=application, to=Application.Status.WITHDRAWN, actor=actor)
    if offer is not None:
        offer_close_and_refill(offer=offer, status="cancelled")
    return application


@transaction.atomic
def application_reject(*, application: Application, actor: Any, reason: str = "") -> Application:
    """Staff close an open application as not eligible (instead of deleting it); an open offer is cancelled
    and its bed goes to the next in line. The status history records who and when."""
    application = Application.objects.select_for_update().get(pk=application.pk)
    if not application.is_open:
        raise ApplicationError(_("该申请已结束，无法驳回。"))
    from .allocation import offer_close_and_refill

    offer = application.offers.open().first()
    application_status_set(
        application=application,
        to=Application.Status.REJECTED,
        actor=actor,
        note=reason,
        reason=reason or str(_("工作人员审核不符合条件。")),
    )
    if offer is not None:
        offer_close_and_refill(offer=offer, status="cancelled")
    return application


def application_waitlist_positions(*, application: Application) -> dict[int, int]:
    """Return {room_type_id: 1-based place in that room type's queue} for a waitlisted application."""
    if application.status != Application.Status.WAITLISTED:
        return {}
    ahead = Q(priority__gt=application.priority) | Q(
        priority=application.priority, created_at__lt=application.created_at
    )
    ahead |= Q(priority=application.priority, created_at=application.created_at, id__lt=application.pk)
    return {
        rt.pk: Application.objects.waiting().filter(room_types=rt).filter(ahead).count() + 1
        for rt in application.room_types.all()
    }
