"""Rider mobile pages (/activities/…) and the staff check-in page for a session on a phone."""

from typing import Any

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import Role
from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.geo import display_coords, make_point, navigation_links
from chaoyang_friendly.scoping import get_object_for_user

from . import selectors, services
from .forms import FamilyFormSet, HoursDeclareForm, ScanForm, SignupForm
from .models import Activity, Registration, Session


def _is_street_staff(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.STREET_STAFF))


def _published_or_404(pk: int) -> Activity:
    try:
        return selectors.activity_get_published(pk=pk)
    except Activity.DoesNotExist:
        raise Http404 from None


def activity_list(request: HttpRequest) -> HttpResponse:
    """Upcoming activities, soonest first, then the recently ended ones in their own section; `kind`,
    `family=1` and a position (`lng`, `lat`, from the browser) filter them."""
    kind = request.GET.get("kind") or None
    if kind not in Activity.Kind.values:
        kind = None
    family = request.GET.get("family") == "1"
    near = None
    if request.GET.get("lng") and request.GET.get("lat"):
        try:
            near = make_point(request.GET["lng"], request.GET["lat"], crs=request.GET.get("crs", "wgs84"))
        except ApplicationError as exc:
            messages.error(request, str(exc))
    activities = selectors.activity_list_for_rider(kind=kind, family_welcome=family, near=near)[:50]
    past = selectors.activity_list_past_for_rider(kind=kind, family_welcome=family)[:10] if near is None else []
    return render(
        request,
        "partybranch/activity_list.html",
        {
            "activities": activities,
            "past": past,
            "kinds": Activity.Kind.choices,
            "kind": kind,
            "family": family,
            "near": near,
        },
    )


def _signup_context(
    request: HttpRequest,
    activity: Activity,
    form: Any = None,
    formset: Any = None,
    errors: list[str] | None = None,
    family_warning: int | None = None,
) -> dict:
    mine = None
    if request.user.is_authenticated:
        mine = activity.registrations.active().filter(rider=request.user).first()
    return {
        "activity": activity,
        "state": selectors.activity_signup_state(activity=activity),
        "mine": mine,
        "form": form or SignupForm(),
        "formset": formset or FamilyFormSet(prefix="family"),
        "signup_errors": errors or [],
        "family_warning": family_warning,
        "now": timezone.now(),
        "links": navigation_links(activity.point, activity.place) if activity.point else None,
        "coords": display_coords(activity.point) if activity.point else None,
    }


def activity_detail(request: HttpRequest, pk: int) -> HttpResponse:
    activity = _published_or_404(pk)
    return render(request, "partybranch/activity_detail.html", _signup_context(request, activity))


def _form_errors(form: Any, formset: Any) -> list[str]:
    """Every error of the sign-up form in one list, each saying where it is, for the summary above it."""
    errors = [str(e) for e in form.non_field_errors()]
    for name, field_errors in form.errors.items():
        if name != "__all__":
            errors += [_("%(where)s：%(error)s") % {"where": form[name].label, "error": e} for e in field_errors]
    if formset is not None:
        errors += [str(e) for e in formset.non_form_errors()]
        for i, family_form in enumerate(formset.forms, start=1):
            for name, field_errors in family_form.errors.items():
                label = family_form[name].label if name != "__all__" else ""
                where = _("家属 %(n)d") % {"n": i} + (f" · {label}" if label else "")
                errors += [_("%(where)s：%(error)s") % {"where": where, "error": e} for e in field_errors]
    return errors


@login_required
@require_POST
def activity_signup(request: HttpRequest, pk: int) -> HttpResponse:
    """Sign up from the activity page. The family formset is there only when the activity takes family;
    a family larger than the places left is asked first (全家候补, or 只报本人) unless `waitlist_ok`."""
    activity = _published_or_404(pk)
    form = SignupForm(request.POST)
    only_me = request.POST.get("only_me") == "1"
    formset = FamilyFormSet(request.POST, prefix="family") if activity.family_allowed and not only_me else None
    errors: list[str] = []
    status = 400
    family_warning = None
    if form.is_valid() and (formset is None or formset.is_valid()):
        me = {
            "name": request.user.name or request.user.masked_phone,
            "relationship": "self",
            "age": form.cleaned_data["age"],
        }
        family = [f.cleaned_data for f in formset.forms if f.cleaned_data] if formset is not None else []
        people = [me, *family]
        remaining = activity.remaining
        if len(people) > 1 and 0 < remaining < len(people) and request.POST.get("waitlist_ok") != "1":
            # Not enough places for the whole family: say so before anyone lands on the waitlist.
            family_warning = len(people)
            status = 200
        else:
            try:
                registration = services.registration_create(
                    activity=activity, rider=request.user, people=people, actor=request.user
                )
            except ApplicationError as exc:
                errors.append(str(exc))
                status = exc.status_code if 400 <= exc.status_code < 500 else 400
            else:
                if registration.status == Registration.Status.CONFIRMED:
                    messages.success(request, _("报名成功！请在活动现场出示二维码签到。"))
                else:
                    messages.info(request, _("已提交报名，正在候补。"))
                return redirect(registration.get_absolute_url())
    else:
        errors = _form_errors(form, formset)
    if formset is None:
        formset = FamilyFormSet(prefix="family")
    context = _signup_context(request, activity, form, formset, errors=errors, family_warning=family_warning)
    return render(request, "partybranch/activity_detail.html", context, status=status)


@login_required
def registration_list(request: HttpRequest) -> HttpResponse:
    registrations = selectors.registration_list_for_rider(user=request.user)[:100]
    return render(request, "partybranch/registration_list.html", {"registrations": registrations})


def _own_registration(request: HttpRequest, pk: int) -> Registration:
    try:
        return selectors.registration_get_for_rider(user=request.user, pk=pk)
    except Registration.DoesNotExist:
        raise Http404 from None


@login_required
def registration_detail(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _own_registration(request, pk)
    qr_svg = checkin_url = None
    waitlist = selectors.registration_waitlist_info(registration=registration)
    if registration.status == Registration.Status.CONFIRMED:
        checkin_url = request.build_absolute_uri(reverse("partybranch:scan", args=[registration.qr_token]))
        qr_svg = segno.make(checkin_url, error="m").svg_inline(scale=5, title=_("签到二维码"))
    return render(
        request,
        "partybranch/registration_detail.html",
        {"registration": registration, "qr_svg": qr_svg, "checkin_url": checkin_url, "waitlist": waitlist},
    )


@login_required
@require_POST
def registration_cancel(request: HttpRequest, pk: int) -> HttpResponse:
    registration = _own_registration(request, pk)
    services.registration_cancel(registration=registration, actor=request.user)
    messages.success(request, _("已取消报名。"))
    return redirect("partybranch:registration-list")


@login_required
@require_http_methods(["GET", "POST"])
def hours_page(request: HttpRequest) -> HttpResponse:
    form = HoursDeclareForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.hours_self_declare(
                person=request.user,
                team=form.cleaned_data["team"],
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                note=form.cleaned_data["note"],
                actor=request.user,
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("已提交，审核通过后计入服务时长。"))
            return redirect("partybranch:hours")
    return render(
        request,
        "partybranch/hours.html",
        {
            "summary": selectors.hours_summary(user=request.user),
            "hours": selectors.hours_list_for_person(user=request.user)[:100],
            "form": form,
        },
        status=400 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_checkin(request: HttpRequest, pk: int) -> HttpResponse:
    """Staff at the door: scan or paste a family's code; every registered person is checked in at once."""
    if not _is_street_staff(request.user):
        raise Http404
    session = get_object_for_user(Session.objects.select_related("activity"), request.user, pk=pk)
    form = ScanForm(request.POST or None, initial={"qr_token": request.GET.get("token", "")})
    result = hours = None
    if request.method == "POST" and form.is_valid():
        token = form.cleaned_data["qr_token"]
        try:
            if request.POST.get("action") == "checkout":
                hours = services.attendance_checkout(session=session, qr_token=token, actor=request.user)
                messages.success(request, _("已签退，服务时长 %(h)s 小时。") % {"h": hours.hours})
            else:
                result = services.attendance_scan(session=session, qr_token=token, actor=request.user)
                if result.already_checked_in:
                    messages.info(request, _("已签到过，无需重复签到。"))
                else:
                    messages.success(request, _("签到成功：%(n)d 人。") % {"n": result.checked_in})
        except ApplicationError as exc:
            messages.error(request, str(exc))
        form = ScanForm()
    present = session.attendances.count()
    return render(
        request,
        "partybranch/session_checkin.html",
        {"session": session, "form": form, "result": result, "hours": hours, "present": present},
    )


@login_required
def scan(request: HttpRequest, token: str) -> HttpResponse:
    """Where the QR code points. Staff land on the check-in page of the session on now (or next);
    the rider who owns the code sees their sign-up."""
    if not _is_street_staff(request.user):
        own = Registration.objects.filter(rider=request.user, qr_token=token).first()
        if own is None:
            raise Http404
        return redirect(own.get_absolute_url())
    registration = get_object_for_user(Registration.objects.all(), request.user, qr_token=token)
    now = timezone.now()
    sessions = registration.activity.sessions.order_by("start")
    session = sessions.filter(end__gte=now).first() or sessions.last()
    if session is None:
        raise Http404
    return redirect(f"{reverse('partybranch:session-checkin', args=[session.pk])}?token={token}")
