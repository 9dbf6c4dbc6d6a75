"""Rider mobile pages of 一张床、一间房: list and map, project, apply, my application / offer / lease."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.gis.geos import Point
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import RiderProfile
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import display_coords, make_point, navigation_links

from . import selectors
from .forms import ApplyForm, ProjectFilterForm
from .models import Application, Project
from .services import (
    application_submit,
    application_waitlist_positions,
    application_withdraw,
    offer_accept,
    offer_decline,
)


def _work_point(request: HttpRequest) -> Point | None:
    """Where the rider works: their latest application's work location, else their work street's centre."""
    user = request.user
    if not user.is_authenticated:
        return None
    app = selectors.application_list_for_rider(user=user).exclude(work_point=None).first()
    if app is not None:
        return app.work_point
    profile = RiderProfile.objects.filter(user=user).select_related("work_street").first()
    return profile.work_street.centre if profile and profile.work_street else None


def _marker(project: Project) -> dict[str, Any]:
    lng, lat = display_coords(project.point)
    return {
        "name": project.name,
        "lng": lng,
        "lat": lat,
        "url": project.get_absolute_url(),
        "vacant": project.vacant_beds,
    }


def project_list_view(request: HttpRequest) -> HttpResponse:
    form = ProjectFilterForm(request.GET or None)
    filters: dict[str, Any] = {}
    if form.is_valid():
        filters = {
            "rent_max": form.cleaned_data["rent_max"],
            "kind": form.cleaned_data["room_type"] or None,
            "has_vacancy": form.cleaned_data["has_vacancy"] or None,
        }
    work_point = _work_point(request)
    projects = list(selectors.project_list(near=work_point, **filters))
    return render(
        request,
        "housing/index.html",
        {
            "form": form,
            "projects": projects,
            "markers": [_marker(p) for p in projects],
            "has_work_point": work_point is not None,
        },
    )


def project_detail_view(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_detail(pk=pk, near=_work_point(request))
    return render(
        request,
        "housing/project.html",
        {"project": project, "markers": [_marker(project)], "nav": navigation_links(project.point, project.name)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def apply_view(request: HttpRequest, pk: int) -> HttpResponse:
    project = selectors.project_detail(pk=pk)
    if not request.user.is_rider:
        messages.error(request, _("只有骑手账号可以申请住房。"))
        return redirect(project.get_absolute_url())
    current = selectors.application_list_for_rider(user=request.user).open().first()
    if current is not None:
        messages.info(request, _("您已有一份进行中的申请。"))
        return redirect("housing:my")
    profile = RiderProfile.objects.filter(user=request.user).first()
    # Applying again after an ineligible, declined or withdrawn application: start from what they told us.
    previous = selectors.application_list_for_rider(user=request.user).first()
    initial = {"household_kind": previous.household_kind, "gender": previous.gender} if previous else {}
    form = ApplyForm(request.POST or None, project=project, initial=initial)
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        try:
            work_point = make_point(d["work_lng"], d["work_lat"]) if d.get("work_lng") and d.get("work_lat") else None
            application = application_submit(
                rider=request.user,
                project=project,
                room_types=list(d["room_types"]),
                household_kind=d["household_kind"],
                gender=d["gender"],
                move_in_date=d["move_in_date"],
                household_members=d["household_members"],
                work_point=work_point,
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            if application.status == Application.Status.REJECTED:
                messages.error(request, _("很抱歉，申请未通过：%(reason)s") % {"reason": application.reason})
            else:
                messages.success(request, _("申请已提交。"))
            return redirect("housing:my")
    return render(request, "housing/apply.html", {"project": project, "form": form, "profile": profile})


@login_required
def my_view(request: HttpRequest) -> HttpResponse:
    application = selectors.application_current_for_rider(user=request.user)
    positions: list[tuple[Any, int]] = []
    offer = None
    if application is not None:
        by_id = application_waitlist_positions(application=application)
        positions = [(rt, by_id[rt.pk]) for rt in application.room_types.all() if rt.pk in by_id]
        offer = selectors.offer_list_for_rider(user=request.user).filter(application=application, status="open").first()
    leases = list(selectors.lease_list_for_rider(user=request.user)[:5])
    history = application.status_changes.all() if application else []
    # An ended application (not eligible, declined, expired, withdrawn) is not the end: apply again, unless
    # the rider lives in one of ours now.
    can_reapply = (
        application is not None
        and not application.is_open
        and application.status != Application.Status.ACCEPTED
        and application.project.status == Project.Status.OPEN
        and not any(lease.status == "active" for lease in leases)
    )
    return render(
        request,
        "housing/my.html",
        {
            "application": application,
            "positions": positions,
            "offer": offer,
            "leases": leases,
            "history": history,
            "can_reapply": can_reapply,
        },
    )


def _act(request: HttpRequest, action: Any, success: str) -> HttpResponse:
    try:
        action()
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, success)
    return redirect("housing:my")


@login_required
@require_POST
def offer_accept_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.offer_get_for_rider(user=request.user, pk=pk)
    return _act(request, lambda: offer_accept(offer=offer, actor=request.user), _("已确认入住，租约已生成。"))


@login_required
@require_POST
def offer_decline_view(request: HttpRequest, pk: int) -> HttpResponse:
    offer = selectors.offer_get_for_rider(user=request.user, pk=pk)
    return _act(request, lambda: offer_decline(offer=offer, actor=request.user), _("已放弃该邀约。"))


@login_required
@require_POST
def application_withdraw_view(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_rider(user=request.user, pk=pk)
    return _act(request, lambda: application_withdraw(application=application, actor=request.user), _("申请已撤回。"))
