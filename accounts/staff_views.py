"""The staff second-factor pages: verify a code, or enrol an authenticator app from a QR code."""

import math

from axes.helpers import get_cool_off, get_failure_limit
from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .staff_otp import (
    base32_secret,
    qr_data_uri,
    staff_otp_device_get,
    staff_otp_enrolment_confirm,
    staff_otp_enrolment_start,
    staff_otp_verify,
)


class TokenForm(forms.Form):
    token = forms.RegexField(
        label=gettext_lazy("动态验证码"),
        regex=r"^[0-9]{6}$",
        error_messages={"invalid": gettext_lazy("请输入身份验证器显示的 6 位数字。")},
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9]{6}", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("admin:index")


def _page(request: HttpRequest, template: str, title: str, **context: object) -> HttpResponse:
    return render(
        request, template, {**admin.site.each_context(request), "title": title, "next": _next_url(request), **context}
    )


def staff_lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """django-axes' answer when the account or the address is locked out (AXES_LOCKOUT_CALLABLE): 429, in Chinese."""
    cool_off = get_cool_off(request)
    context = {
        **admin.site.each_context(request),
        "failure_limit": get_failure_limit(request, credentials),
        "cooloff_minutes": math.ceil(cool_off.total_seconds() / 60) if cool_off else None,
    }
    return render(request, "accounts/staff_lockout.html", context, status=settings.AXES_HTTP_RESPONSE_CODE)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_otp_view(request: HttpRequest) -> HttpResponse:
    """Type the current code of the enrolled authenticator; staff without one are sent to enrol."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if request.user.is_verified():  # type: ignore[union-attr]
        return redirect(_next_url(request))
    device = staff_otp_device_get(user=request.user)  # type: ignore[arg-type]
    if device is None:
        return redirect(f"{reverse('accounts:staff-otp-setup')}?{request.GET.urlencode()}")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if staff_otp_verify(request=request, device=device, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("验证码不正确或已过期；多次输错后需稍等片刻再试。"))
    return _page(request, "accounts/staff_otp_verify.html", _("二次验证"), form=form)


@never_cache
@require_http_methods(["GET", "POST"])
def staff_otp_setup_view(request: HttpRequest) -> HttpResponse:
    """Enrol an authenticator app: scan the QR code (or type the key), then confirm with one code.
    Only while no device is confirmed: replacing a device needs a superuser to remove the old one."""
    if not (request.user.is_authenticated and request.user.is_staff):
        return redirect_to_login(request.get_full_path(), reverse("admin:login"))
    if staff_otp_device_get(user=request.user) is not None:  # type: ignore[arg-type]
        return redirect(f"{reverse('accounts:staff-otp')}?{request.GET.urlencode()}")
    device = staff_otp_enrolment_start(user=request.user)  # type: ignore[arg-type]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if staff_otp_enrolment_confirm(request=request, device=device, token=form.cleaned_data["token"]):
            return redirect(_next_url(request))
        form.add_error("token", _("验证码不正确，请核对手机时间后重试。"))
    return _page(
        request,
        "accounts/staff_otp_setup.html",
        _("启用二次验证"),
        form=form,
        qr=qr_data_uri(device.config_url),
        secret=base32_secret(device),
    )
