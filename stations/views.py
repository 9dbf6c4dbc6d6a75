"""Rider pages: the nearest-stations map and list, a station's detail, QR codes and QR check-in."""

import io

import segno
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_http_methods, require_POST

from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import navigation_links

from . import selectors, services
from .models import Feedback


def nearby_view(request: HttpRequest) -> HttpResponse:
    """The map and nearest list; the list comes from the API (stations/static/stations/nearby.js)."""
    return render(request, "stations/nearby.html", {"amenities": selectors.amenity_list()})


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


@require_http_methods(["GET", "POST"])
def checkin_view(request: HttpRequest, code: str) -> HttpResponse:
    """/s/<code>: what a rider's camera opens. One tap checks in; anonymous riders log in first."""
    station = selectors.station_by_code(code=code)
    visit = created = None
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect(f"{reverse('accounts:login')}?next={request.path}")
        try:
            visit, created = services.visit_checkin(station=station, rider=request.user)
        except ApplicationError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "stations/checkin.html",
        {
            "station": station,
            "visit": visit,
            "created": created,
            "login_url": f"{reverse('accounts:login')}?next={request.path}",
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
