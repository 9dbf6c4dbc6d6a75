"""Finding 1: one-time codes are a keyed HMAC, and no staff role can see codes or API tokens in the admin."""

import hashlib
import hmac
import re

import pytest
from django.contrib.auth.models import Permission

from accounts.models import ApiToken, SmsCode, User
from accounts.services import InvalidCodeError, api_token_create, sms_code_send, sms_code_verify
from accounts.sms import read_sms_files

PHONE = "13912345678"


def _last_code(phone: str = PHONE) -> str:
    return re.search(r"验证码是 (\d{6})", read_sms_files(phone)[-1]["text"]).group(1)


def test_a_code_is_stored_as_an_hmac_under_the_server_key(db, settings):
    settings.SMS_CODE_KEY = "k" * 40
    sms = sms_code_send(phone=PHONE)
    code = _last_code()
    assert sms.code_hash == hmac.new(b"k" * 40, f"{PHONE}:{code}".encode(), hashlib.sha256).hexdigest()
    assert sms.code_hash != hashlib.sha256(f"{PHONE}:{code}".encode()).hexdigest()


def test_a_leaked_table_alone_does_not_give_the_code(db, settings):
    """Brute force over the 10⁶ codes without the key finds nothing; with another key the code fails."""
    sms = sms_code_send(phone=PHONE)
    code = _last_code()
    unsalted = {hashlib.sha256(f"{PHONE}:{c:06d}".encode()).hexdigest() for c in range(int(code) - 5, int(code) + 5)}
    assert sms.code_hash not in unsalted
    settings.SMS_CODE_KEY = "another-server"
    with pytest.raises(InvalidCodeError):
        sms_code_verify(phone=PHONE, code=code)


def test_without_sms_code_key_the_key_derives_from_secret_key(db, settings):
    settings.SMS_CODE_KEY = ""
    sms = sms_code_send(phone=PHONE)
    code = _last_code()
    settings.SECRET_KEY = "x" * 60
    with pytest.raises(InvalidCodeError):
        sms_code_verify(phone=PHONE, code=code)
    assert SmsCode.objects.get(pk=sms.pk).used_at is None


ADMIN_PAGES = [
    "/admin/accounts/smscode/",
    "/admin/accounts/smscode/{code}/change/",
    "/admin/accounts/apitoken/",
    "/admin/accounts/apitoken/{token}/change/",
]


@pytest.fixture
def secrets_rows(rider) -> dict[str, int]:
    sms = sms_code_send(phone=rider.phone)
    token, _secret = api_token_create(user=rider, name="sms-login")
    return {"code": sms.pk, "token": token.pk}


@pytest.mark.parametrize("persona", ["analyst", "staff_a"])
def test_no_staff_role_can_view_codes_or_tokens_in_the_admin(request, persona, secrets_rows, admin_client_for):
    user = request.getfixturevalue(persona)
    client = admin_client_for(user)
    for page in ADMIN_PAGES:
        assert client.get(page.format(**secrets_rows)).status_code in (302, 403), page
    index = client.get("/admin/").content.decode()
    assert "/admin/accounts/smscode/" not in index and "/admin/accounts/apitoken/" not in index
    assert not user.has_perm("accounts.view_smscode") and not user.has_perm("accounts.view_apitoken")


def test_even_an_explicit_view_permission_does_not_open_codes_to_staff(analyst, secrets_rows, admin_client_for):
    analyst.user_permissions.add(*Permission.objects.filter(codename__in=["view_smscode", "view_apitoken"]))
    analyst = User.objects.get(pk=analyst.pk)
    client = admin_client_for(analyst)
    for page in ADMIN_PAGES:
        assert client.get(page.format(**secrets_rows)).status_code == 403, page


def test_a_superuser_sees_that_codes_were_sent_but_never_their_digest(secrets_rows, admin_client_for, streets):
    boss = User.objects.create_superuser("13800000009", "Boss-Pass-2026!")
    client = admin_client_for(boss)
    sms = SmsCode.objects.get(pk=secrets_rows["code"])
    token = ApiToken.objects.get(pk=secrets_rows["token"])
    for page in ADMIN_PAGES:
        response = client.get(page.format(**secrets_rows))
        assert response.status_code == 200, page
        body = response.content.decode()
        assert sms.code_hash not in body and token.key_hash not in body
