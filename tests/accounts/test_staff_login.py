"""Staff password login at /admin/login/ is throttled per account and per client address (django-axes), with
a Chinese lock-out page; a TOTP second factor (django-otp) is required for the roles in
STAFF_OTP_REQUIRED_ROLES and for staff who enrolled one. Riders' SMS login never meets either."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import STAFF_PASSWORD

LOGIN = "/admin/login/"


@pytest.fixture(autouse=True)
def _three_tries(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = 0.5  # hours


def _login(client, phone: str, password: str, ip: str, **extra):
    return client.post(LOGIN, {"username": phone, "password": password, "next": "/admin/"}, REMOTE_ADDR=ip, **extra)


def _code(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def test_wrong_passwords_lock_the_account_from_any_address(client, staff_a):
    for _ in range(2):
        assert _login(client, staff_a.phone, "wrong", "10.0.0.1").status_code == 200
    locked = _login(client, staff_a.phone, "wrong", "10.0.0.1")
    assert locked.status_code == 429
    assert "已被暂时锁定" in locked.content.decode() and "30 分钟" in locked.content.decode()
    # The right password, from another address, during the lock-out: refused.
    refused = _login(client, "138 0000 0002", STAFF_PASSWORD, "10.0.0.2")
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert _login(client, staff_a.phone, STAFF_PASSWORD, "10.0.0.2").status_code == 302


def test_wrong_passwords_lock_the_address_for_every_account(client, staff_a, staff_b):
    for phone in ("13800000009", "13800000008", "13800000007"):
        _login(client, phone, "guess", "10.0.0.3")
    refused = _login(client, staff_b.phone, STAFF_PASSWORD, "10.0.0.3")
    assert refused.status_code == 429 and "当前网络地址" in refused.content.decode()
    assert _login(client, staff_b.phone, STAFF_PASSWORD, "10.0.0.4").status_code == 302  # elsewhere: fine


def test_the_lockout_page_is_in_english_on_request(client, staff_a):
    for _ in range(3):
        response = _login(client, staff_a.phone, "wrong", "10.0.0.5", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    assert "temporarily locked" in response.content.decode()


def test_a_right_password_resets_the_count(client, staff_a):
    for _ in range(2):
        _login(client, staff_a.phone, "wrong", "10.0.0.6")
    assert _login(client, staff_a.phone, STAFF_PASSWORD, "10.0.0.6").status_code == 302
    client.logout()
    for _ in range(2):
        _login(client, staff_a.phone, "wrong", "10.0.0.6")
    assert _login(client, staff_a.phone, STAFF_PASSWORD, "10.0.0.6").status_code == 302


def test_district_staff_must_enrol_then_get_in_with_a_code(settings, admin_client_for, analyst):
    settings.STAFF_OTP_REQUIRED_ROLES = ["district_staff"]
    client = admin_client_for(analyst)
    response = client.get("/admin/partybranch/activity/")
    assert response.status_code == 302 and response.url.startswith("/accounts/staff/otp/?next=")
    setup = client.get(response.url, follow=True)
    assert setup.redirect_chain[-1][0].startswith("/accounts/staff/otp/setup/")
    assert "data:image/svg+xml;base64," in setup.content.decode()
    assert client.get("/admin/").status_code == 302  # nothing else until enrolled
    device = TOTPDevice.objects.get(user=analyst, confirmed=False)
    wrong = client.post("/accounts/staff/otp/setup/", {"token": "000000", "next": "/admin/"})
    assert wrong.status_code == 200 and "验证码不正确" in wrong.content.decode()
    device.refresh_from_db()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    done = client.post("/accounts/staff/otp/setup/", {"token": _code(device), "next": "/admin/"})
    assert done.status_code == 302 and done.url == "/admin/"
    assert TOTPDevice.objects.get(user=analyst).confirmed
    assert client.get("/admin/partybranch/activity/").status_code == 200


def test_an_enrolled_district_staff_verifies_after_the_password(settings, client, analyst):
    settings.STAFF_OTP_REQUIRED_ROLES = ["district_staff"]
    device = TOTPDevice.objects.create(user=analyst, name="phone", confirmed=True)
    assert _login(client, analyst.phone, STAFF_PASSWORD, "10.0.0.7").status_code == 302
    response = client.get("/admin/")
    assert response.status_code == 302 and response.url.startswith("/accounts/staff/otp/")
    assert client.get("/api/v1/me/").status_code == 403  # the session is no use anywhere yet
    assert client.get("/accounts/staff/otp/setup/").status_code == 302  # no second device without the first
    wrong = client.post("/accounts/staff/otp/", {"token": "123456"})
    assert "验证码不正确" in wrong.content.decode()
    device.throttling_failure_count, device.throttling_failure_timestamp = 0, None
    device.save()
    assert client.post("/accounts/staff/otp/", {"token": _code(device), "next": "/admin/"}).url == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_staff_who_enrolled_of_their_own_accord_verify_too(client, staff_a):
    TOTPDevice.objects.create(user=staff_a, name="phone", confirmed=True)
    _login(client, staff_a.phone, STAFF_PASSWORD, "10.0.0.8")
    assert client.get("/admin/").url.startswith("/accounts/staff/otp/")


def test_roles_not_required_go_straight_in(settings, admin_client_for, staff_a):
    settings.STAFF_OTP_REQUIRED_ROLES = ["district_staff"]
    assert admin_client_for(staff_a).get("/admin/").status_code == 200


@pytest.mark.parametrize(("debug", "expected"), [("1", "[]"), ("0", "['district_staff']")])
def test_second_factor_is_required_for_district_staff_in_production_only(debug, expected):
    import os
    import subprocess
    import sys

    env = {**os.environ, "DJANGO_DEBUG": debug, "DJANGO_SECRET_KEY": "x" * 60}
    env.pop("STAFF_OTP_REQUIRED_ROLES", None)
    code = "from chaoyang_friendly import settings; print(settings.STAFF_OTP_REQUIRED_ROLES)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == expected
