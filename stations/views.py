"""Rider pages: the nearest-stations map and list, a station's detail, QR codes and QR check-in."""

import io
import secrets
import time

import segno
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import navigation_links

from . import selectors, services
from .models import Feedback, Station

SEARCH_MAX = 40


def nearby_view(request: HttpRequest) -> HttpResponse:
    """The map and nearest list; the list comes from the API (stations/static/stations/nearby.js).

    Where the distances are measured from, in this order: a point in the link (?lng=&lat=), a street the
    rider picked (?street=CODE, its centre), the phone's location, the rider's work street (我的 → 工作街道);
    with none of them the rider picks a street or searches by name (?q=)."""
    street_code = request.GET.get("street", "")
    picked = selectors.street_by_code(code=street_code)
    q = " ".join(request.GET.get("q", "").split())[:SEARCH_MAX]
    context = {
        "amenities": selectors.amenity_list(),
        "streets": selectors.street_choices(),
        "picked": picked,
        "street_unknown": bool(street_code) and picked is None,
        "work_street": selectors.rider_work_street(user=request.user),
        "q": q,
        "search_max": SEARCH_MAX,
    }
    return render(request, "stations/nearby.html", context)


def detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.station_public_get(pk=pk)
    return render(
        request,
        "stations/detail.html",
        {
            "station": station,
            "navigation": navigation_links(station.point, station.name),
            "feedback_kinds": Feedback.Kind.choices,
        },
    )


def _qr(station_code: str, request: HttpRequest) -> segno.QRCode:
    return segno.make(request.build_absolute_uri(reverse("stations:checkin", args=[station_code])), error="m")


@cache_control(max_age=86400)
def qr_svg_view(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.station_public_get(pk=pk)
    out = io.BytesIO()
    _qr(station.code, request).save(out, kind="svg", scale=8, border=2, title=station.name)
    return HttpResponse(out.getvalue(), content_type="image/svg+xml")


@cache_control(max_age=86400)
def qr_png_view(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.station_public_get(pk=pk)
    out = io.BytesIO()
    _qr(station.code, request).save(out, kind="png", scale=10, border=2)
    return HttpResponse(out.getvalue(), content_type="image/png")


# A rider who scans a QR code before logging in asks to check in once (a POST: CSRF-protected); the wish waits
# in their session, which survives the SMS login, and the page they come back to sends it by itself.
CHECKIN_INTENT_KEY = "stations_checkin_intent"
CHECKIN_INTENT_SECONDS = 15 * 60


def _intent_for(request: HttpRequest, code: str) -> str | None:
    """The token of this session's pending check-in at `code`, if it is recent; else None."""
    intent = request.session.get(CHECKIN_INTENT_KEY)
    if not isinstance(intent, dict) or intent.get("code") != code:
        return None
    if time.time() - float(intent.get("at", 0)) > CHECKIN_INTENT_SECONDS:
        return None
    return intent.get("token")


@require_http_methods(["GET", "POST"])
def checkin_view(request: HttpRequest, code: str) -> HttpResponse:
    """/s/<code>: what a rider's camera opens. One tap checks in; anonymous riders log in first and come
    back checked in (the pending check-in is sent by stations/static/stations/checkin.js, still a POST)."""
    try:
        station = selectors.station_by_code(code=code)
    except Http404:
        return render(request, "stations/checkin_unknown.html", {"code": code[:64]}, status=404)
    login_url = f"{reverse('accounts:login')}?next={request.path}"
    visit = created = None
    error = ""
    if request.method == "POST":
        if not request.user.is_authenticated:
            if station.status == Station.Status.ACTIVE:
                request.session[CHECKIN_INTENT_KEY] = {
                    "code": station.code,
                    "token": secrets.token_urlsafe(16),
                    "at": time.time(),
                }
                messages.info(request, _("登录后会自动为您在“%(name)s”签到。") % {"name": station.name})
            return redirect(login_url)
        pending = _intent_for(request, station.code)
        if pending is not None:
            del request.session[CHECKIN_INTENT_KEY]  # consumed once, whichever POST comes first
        sent = request.POST.get("intent")
        # A tap on the button carries no intent; a page's automatic send counts only with the live intent
        # (a replayed or stale one shows the button again instead of checking in).
        if sent is None or (pending is not None and secrets.compare_digest(sent.encode(), pending.encode())):
            try:
                visit, created = services.visit_checkin(station=station, rider=request.user)
            except ApplicationError as exc:
                error = str(exc)
    pending = _intent_for(request, station.code) if request.user.is_authenticated and visit is None else None
    return render(
        request,
        "stations/checkin.html",
        {
            "station": station,
            "visit": visit,
            "created": created,
            "error": error,
            "closed": station.status != Station.Status.ACTIVE,
            "pending": pending if not error else None,
            "login_url": login_url,
        },
    )


@require_POST
def feedback_view(request: HttpRequest, pk: int) -> HttpResponse:
    station = selectors.station_public_get(pk=pk)
    if not request.user.is_authenticated:
        return redirect(f"{reverse('accounts:login')}?next={station.get_absolute_url()}")
    try:
        services.feedback_submit(
            station=station,
            rider=request.user,
            kind=request.POST.get("kind", ""),
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("谢谢！街道工作人员会看到您的反馈。"))
    except ApplicationError as exc:
        messages.error(request, str(exc))
    return redirect(station.get_absolute_url())
