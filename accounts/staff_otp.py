"""Staff second factor (TOTP, django-otp): who must present it, enrolment and verification.

Staff log in to the admin with their password (throttled by django-axes, settings AXES_*), then, when a
second factor applies to them, type the 6-digit code of their authenticator app before anything else in
that session (accounts.middleware.StaffOtpMiddleware). It applies to roles in STAFF_OTP_REQUIRED_ROLES
(district staff in production; superusers count as district staff) and to any staff member who enrolled a
device of their own accord. Riders never meet it: they sign in by SMS and are not staff.
"""

import base64
from typing import Any

import segno
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import Role, User
from .phone import normalize_phone

# Set at password login when the staff member has a confirmed device, so the check costs no query later.
ENROLLED_SESSION_KEY = "staff_otp_enrolled"
DEVICE_NAME = "authenticator"


def axes_username(request: HttpRequest, credentials: dict | None) -> str:
    """The account django-axes counts failures against (AXES_USERNAME_CALLABLE): the phone as the login form
    got it, normalised, so "138 0000 0002" and "+8613800000002" share one counter."""
    raw = str((credentials or {}).get("username") or request.POST.get("username") or "")[:64]
    try:
        return normalize_phone(raw)
    except ValidationError:
        return raw


def staff_otp_required(user: Any) -> bool:
    """Whether `user`'s role must use a second factor (STAFF_OTP_REQUIRED_ROLES)."""
    roles = set(settings.STAFF_OTP_REQUIRED_ROLES)
    if not roles or not getattr(user, "is_staff", False):
        return False
    return user.role in roles or (user.is_superuser and Role.DISTRICT_STAFF in roles)


def staff_otp_pending(request: HttpRequest) -> bool:
    """Whether the logged-in staff member still owes this session a second factor."""
    user = request.user
    if not (user.is_authenticated and user.is_staff) or user.is_verified():  # type: ignore[union-attr]
        return False
    return staff_otp_required(user) or bool(request.session.get(ENROLLED_SESSION_KEY))


def staff_otp_device_get(*, user: User) -> TOTPDevice | None:
    """The user's confirmed authenticator, or None."""
    return TOTPDevice.objects.devices_for_user(user, confirmed=True).first()


def staff_otp_session_start(*, request: HttpRequest, user: User) -> None:
    """After a password login: remember whether this staff member enrolled a device (one query, once)."""
    if user.is_staff and not staff_otp_required(user):
        request.session[ENROLLED_SESSION_KEY] = staff_otp_device_get(user=user) is not None


@transaction.atomic
def staff_otp_enrolment_start(*, user: User) -> TOTPDevice:
    """Return the user's pending (unconfirmed) authenticator, creating it with a fresh key if needed."""
    device = TOTPDevice.objects.devices_for_user(user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


@transaction.atomic
def staff_otp_enrolment_confirm(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Confirm the pending `device` with a code from the app and verify this session; False if the code is wrong."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
    if device.confirmed or not device.verify_token(token):
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=device.user, confirmed=False).delete()
    otp_login(request, device)
    request.session[ENROLLED_SESSION_KEY] = True
    return True


def staff_otp_verify(*, request: HttpRequest, device: TOTPDevice, token: str) -> bool:
    """Check a code against the user's device (django-otp throttles repeated failures); mark the session."""
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token(token):
            return False
    otp_login(request, device)
    return True


def qr_data_uri(text: str) -> str:
    """An SVG QR code of `text` as a data: URI (allowed by the CSP's img-src)."""
    svg = segno.make(text, error="m").svg_inline(scale=4)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def base32_secret(device: TOTPDevice) -> str:
    """The key as typed into an authenticator app by hand, in groups of four."""
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
