"""Finding 14: rider tokens expire (sliding) and are revoked at logout; riders see and end their
sign-ins; pages carry a Content-Security-Policy."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.db.models import F
from django.utils import timezone

from accounts.models import ApiToken, SmsCode
from accounts.services import api_token_create
from accounts.sms import read_sms_files

PHONE = "13912345678"


def _app_login(api) -> str:
    api().post("/api/v1/auth/sms-code/", {"phone": PHONE}, format="json")
    code = re.search(r"验证码是 (\d{6})", read_sms_files(PHONE)[-1]["text"]).group(1)
    return api().post("/api/v1/auth/login/", {"phone": PHONE, "code": code}, format="json").json()["token"]


def _page_login(client, phone: str = PHONE) -> None:
    SmsCode.objects.update(created_at=F("created_at") - timedelta(hours=1))  # past the cool-down
    client.post("/accounts/login/", {"action": "send", "phone": phone})
    code = re.search(r"验证码是 (\d{6})", read_sms_files(phone)[-1]["text"]).group(1)
    assert client.post("/accounts/login/", {"action": "login", "phone": phone, "code": code}).status_code == 302


def test_a_rider_token_expires_after_thirty_days_unused(db, api, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        token = _app_login(api)
        traveller.shift(timedelta(days=29))
        assert api(token).get("/api/v1/auth/me/").status_code == 200
        traveller.shift(timedelta(days=29))  # 58 days after login, 29 after the last use: still alive
        assert api(token).get("/api/v1/auth/me/").status_code == 200
        traveller.shift(timedelta(days=settings.RIDER_TOKEN_TTL_SECONDS // 86400, seconds=1))
        assert api(token).get("/api/v1/auth/me/").status_code == 401


def test_service_tokens_do_not_expire(dispatcher_token, api):
    with time_machine.travel(timezone.now() + timedelta(days=400), tick=False):
        assert api(dispatcher_token).get("/api/v1/auth/me/").status_code == 200


def test_api_logout_revokes_the_token(db, api):
    token = _app_login(api)
    assert api(token).post("/api/v1/auth/logout/").status_code == 204
    assert api(token).get("/api/v1/auth/me/").status_code == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_page_logout_ends_the_recorded_web_session(db, client):
    _page_login(client)
    web = ApiToken.objects.get(session_key__gt="")
    assert client.post("/accounts/logout/").status_code == 302
    web.refresh_from_db()
    assert web.revoked_at is not None


def test_the_profile_lists_sign_ins_and_ends_one(db, api, client):
    token = _app_login(api)
    _page_login(client)
    page = client.get("/accounts/me/").content.decode()
    app = ApiToken.objects.get(session_key="")
    assert app.prefix[:4] + "…" in page and app.prefix not in page and "本设备" in page
    assert client.post(f"/accounts/me/sessions/{app.pk}/end/").status_code == 302
    assert api(token).get("/api/v1/auth/me/").status_code == 401
    assert client.get("/accounts/me/").status_code == 200  # this browser stays signed in


def test_ending_a_web_session_signs_that_browser_out(db, client, django_user_model):
    from django.test import Client

    other = Client()
    _page_login(other)
    _page_login(client)
    assert other.get("/accounts/me/").status_code == 200
    first = ApiToken.objects.filter(session_key__gt="").order_by("created_at").first()
    client.post(f"/accounts/me/sessions/{first.pk}/end/")
    assert other.get("/accounts/me/").status_code == 302


def test_a_rider_cannot_end_another_riders_sign_in(rider_b, client):
    token, _secret = api_token_create(user=rider_b, name="sms-login")
    _page_login(client)
    assert client.post(f"/accounts/me/sessions/{token.pk}/end/").status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


@pytest.mark.parametrize("path", ["/", "/accounts/login/", "/api/docs/", "/admin/login/"])
def test_pages_carry_a_content_security_policy(db, client, path, settings):
    response = client.get(path)
    policy = response["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", policy).group(1)
    assert script_src.startswith("'self'") and "unsafe" not in script_src and "object-src 'none'" in policy
    assert "https://tile.openstreetmap.org" in policy


def test_a_page_with_an_inline_script_gets_its_nonce(rider, client):
    client.force_login(rider, backend="django.contrib.auth.backends.ModelBackend")
    response = client.get("/stations/")
    nonce = re.search(r"'nonce-([^']+)'", response["Content-Security-Policy"]).group(1)
    assert f'<script nonce="{nonce}">' in response.content.decode()


def test_swagger_ui_starts_from_a_script_file_not_an_inline_script(db, client):
    body = client.get("/api/docs/").content.decode()
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", body) is None
    assert client.get("/api/docs/?script=").status_code == 200
