"""Rider pages (submit, my reports, one report's live timeline) and the team's mobile page.

The pages are thin shells: they render categories and the rider's reports, and the browser talks to the
same REST API as every other client (session + CSRF), so there is one write path.
"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from accounts.models import Role

from . import selectors


def _rider_only(request: HttpRequest) -> None:
    if request.user.role != Role.RIDER:
        raise Http404(_("随手拍页面仅供骑手使用。"))


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
    reports = selectors.report_list_for_rider(user=request.user)[:100]
    return render(request, "reports/mine.html", {"reports": reports})


@login_required
def report_detail(request: HttpRequest, pk: int) -> HttpResponse:
    _rider_only(request)
    report = selectors.report_get_for_user(user=request.user, pk=pk)
    return render(request, "reports/detail.html", {"report": report})


def team_page(request: HttpRequest) -> HttpResponse:
    """The team's phone page: it keeps the team token in the browser and uses the API."""
    return render(request, "reports/team.html")
