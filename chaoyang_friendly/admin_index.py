"""The admin index as a clerk's work-first page: what needs doing in their street (district staff: all
streets), each count linking to the filtered changelist; the greeting by name, street and role; links to
the pages that have no model of their own (QR sheet, coverage, analytics).

Counts come from each app's own querysets (scoped with `for_user`), so the numbers are the rows the
changelist shows. The greeting's street name is remembered in the session at login, so the header costs no
query on every admin page.
"""

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chaoyang_friendly.scoping import user_sees_all_streets

STREET_SESSION_KEY = "staff_street"  # {"id": street id, "name": its name}


@dataclass(frozen=True)
class WorkCount:
    key: str
    label: str
    count: int
    url: str
    hint: str


@dataclass(frozen=True)
class ToolLink:
    label: str
    url: str
    hint: str


def _changelist(model_label: str, query: str) -> str:
    app_label, model_name = model_label.split(".")
    return f"{reverse(f'admin:{app_label}_{model_name}_changelist')}?{query}"


def work_counts(user: Any) -> list[WorkCount]:
    """What the staff member has to do now, in the streets they may see; a count only where they may view
    the model."""
    from housing.models import Application
    from partybranch.models import VolunteerHours
    from reports.models import Report
    from stations.models import Feedback

    items: list[WorkCount] = []
    if user.has_perm("reports.view_report"):
        items.append(
            WorkCount(
                "reports_overdue",
                _("超时未处置的随手拍"),
                Report.objects.for_user(user).overdue(timezone.now()).count(),
                _changelist("reports.report", "overdue=yes"),
                _("超过到场或处置时限，仍未关闭。"),
            )
        )
    if user.has_perm("housing.view_application"):
        to_allocate = (Application.Status.ELIGIBLE, Application.Status.WAITLISTED)
        items.append(
            WorkCount(
                "applications_to_allocate",
                _("待分配的住房申请"),
                Application.objects.for_user(user).filter(status__in=to_allocate).count(),
                _changelist("housing.application", "status__in=" + ",".join(to_allocate)),
                _("资格审核已通过，正在排队等待分配。"),
            )
        )
    if user.has_perm("partybranch.view_volunteerhours"):
        items.append(
            WorkCount(
                "hours_to_approve",
                _("待审核的志愿时长"),
                VolunteerHours.objects.for_user(user).approval_queue().count(),
                _changelist("partybranch.volunteerhours", "queue=1"),
                _("骑手本人申报或工作人员录入，需要审核。"),
            )
        )
    if user.has_perm("stations.view_feedback"):
        open_statuses = (Feedback.Status.PENDING, Feedback.Status.IN_PROGRESS)
        items.append(
            WorkCount(
                "feedback_to_handle",
                _("待处理的驿站反馈"),
                Feedback.objects.for_user(user).filter(status__in=open_statuses).count(),
                _changelist("stations.feedback", "status__in=" + ",".join(open_statuses)),
                _("骑手反馈的设施损坏、营业时间不对等问题。"),
            )
        )
    return items


def tool_links(user: Any) -> list[ToolLink]:
    """Pages reached from nowhere else: the stations' QR sheet and coverage map, the analytics pages."""
    links: list[ToolLink] = []
    try:
        if user.has_perm("stations.view_station"):
            links.append(
                ToolLink(
                    _("驿站二维码打印页"),
                    reverse("admin:stations_station_qr_sheet"),
                    _("按街道打印驿站签到二维码。"),
                )
            )
            if user_sees_all_streets(user):
                links.append(
                    ToolLink(
                        _("15分钟友好服务圈覆盖率"),
                        reverse("admin:stations_station_coverage"),
                        _("各街道覆盖率和未覆盖区域地图。"),
                    )
                )
    except NoReverseMatch:  # the stations admin is not installed
        pass
    links.append(ToolLink(_("统计分析与导出"), reverse("analytics:home"), _("下载数据表、后台生成大数据量导出。")))
    links.append(ToolLink(_("统计看板"), reverse("analytics:dashboard"), _("图表与地图。")))
    return links


def _street_name(request: HttpRequest | None, user: Any) -> str:
    """The staff member's street, from the session (set at login) or, failing that, from the database."""
    street_id = getattr(user, "street_id", None)
    if street_id is None:
        return ""
    session = getattr(request, "session", None)
    remembered = session.get(STREET_SESSION_KEY) if session is not None else None
    if isinstance(remembered, dict) and remembered.get("id") == street_id:
        return str(remembered.get("name") or "")
    name = user.street.name
    if session is not None:
        session[STREET_SESSION_KEY] = {"id": street_id, "name": name}
    return name


def greeting(request: HttpRequest | None, user: Any) -> dict[str, str]:
    """{"name", "street", "role"} for the header: the person's name (never the phone number), their street
    (district staff: 全区) and their role."""
    street = _("全区") if user_sees_all_streets(user) else _street_name(request, user)
    role = user.get_role_display() if hasattr(user, "get_role_display") else ""
    if user.is_superuser and not user.name:
        role = _("系统管理员")
    return {"name": getattr(user, "name", "") or "", "street": street, "role": str(role)}


@receiver(user_logged_in, dispatch_uid="admin_index_remember_street")
def remember_street(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """At login, keep the staff member's street name in the session for the admin header."""
    if request is None or not getattr(user, "is_staff", False) or getattr(request, "session", None) is None:
        return
    if getattr(user, "street_id", None) is not None:
        request.session[STREET_SESSION_KEY] = {"id": user.street_id, "name": user.street.name}
