"""Rider pages (submit, my reports, one report's live timeline) and the team's mobile page.

The pages are thin shells: they render categories and the rider's reports, and the browser talks to the
same REST API as every other client (session + CSRF), so there is one write path.

Times are shown in Beijing time (TIME_ZONE) in two forms that reports/static/reports/detail.js writes
exactly the same way after each poll: an event as "05-18 14:07", a promised time as "14:07" on the same
day and "5月19日 14:07" on another.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role

from . import selectors
from .models import Report, ReportPhoto

# The badge of a report's state (classes of static/css/portal.css): amber while open and on time, red when
# overdue, green when resolved, grey when rejected or a duplicate. detail.js uses the same mapping.
BADGE_OPEN, BADGE_OVERDUE, BADGE_RESOLVED, BADGE_CLOSED = "soon", "closed", "open", "unknown"


def _rider_only(request: HttpRequest) -> None:
    if request.user.role != Role.RIDER:
        raise Http404(_("随手拍页面仅供骑手使用。"))


def promised_time(value: datetime, now: datetime) -> str:
    """ "14:07" on the same Beijing day as `now`, else "5月19日 14:07"."""
    local, today = timezone.localtime(value), timezone.localtime(now).date()
    clock = f"{local:%H:%M}"
    if local.date() == today:
        return clock
    return _("%(month)s月%(day)s日 %(clock)s") % {"month": local.month, "day": local.day, "clock": clock}


def _promise_due(report: Report) -> datetime | None:
    """The time the rider is waiting for: arrival, or the resolution once the team is on site. Before
    routing there is no due time yet: the category's promise counts from the submission."""
    if report.status == Report.Status.ON_SITE:
        return report.resolve_due_at
    return report.arrival_due_at or report.created_at + timedelta(minutes=report.category.arrival_sla_minutes)


def report_badge(report: Report, now: datetime) -> str:
    if report.status == Report.Status.RESOLVED:
        return BADGE_RESOLVED
    if not report.is_open:
        return BADGE_CLOSED
    due = _promise_due(report)
    late = report.is_overdue(now) or (due is not None and due < now)
    return BADGE_OVERDUE if late else BADGE_OPEN


def report_promise(report: Report, now: datetime) -> str:
    """What the rider is promised while the report is open ("应急队预计 14:07 前到场"), or ""."""
    if not report.is_open:
        return ""
    due = _promise_due(report)
    on_site = report.status == Report.Status.ON_SITE
    if due is None:
        return _("应急队已到场。")
    when = promised_time(due, now)
    if on_site and due < now:
        return _("应急队已到场，已超过预计处置完成时间 %(time)s，正在督办。") % {"time": when}
    if on_site:
        return _("应急队已到场，预计 %(time)s 前处置完成。") % {"time": when}
    if due < now:
        return _("已超过预计到场时间 %(time)s，正在督办。") % {"time": when}
    return _("应急队预计 %(time)s 前到场。") % {"time": when}


@login_required
def report_new(request: HttpRequest) -> HttpResponse:
    _rider_only(request)
    return render(
        request,
        "reports/new.html",
        {
            "categories": selectors.category_list(),
            "nearby_metres": settings.REPORTS_NEARBY_METRES,
            "max_photos": settings.REPORTS_PHOTO_MAX_COUNT,
        },
    )


@login_required
def report_mine(request: HttpRequest) -> HttpResponse:
    _rider_only(request)
    now = timezone.now()
    reports = list(selectors.report_list_for_rider(user=request.user)[:100])
    for report in reports:
        report.badge = report_badge(report, now)
    return render(request, "reports/mine.html", {"reports": reports})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _rider_only(request)
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    now = timezone.now()
    photos = list(report.photos.all())
    return render(
        request,
        "reports/detail.html",
        {
            "report": report,
            "badge": report_badge(report, now),
            "promise": report_promise(report, now),
            "before_photos": [p for p in photos if p.kind == ReportPhoto.Kind.BEFORE],
            "after_photos": [p for p in photos if p.kind == ReportPhoto.Kind.AFTER],
        },
    )


def team_page(request: HttpRequest) -> HttpResponse:
    """The team's phone page: it keeps the team token in the browser and uses the API."""
    return render(request, "reports/team.html")
