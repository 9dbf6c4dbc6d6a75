"""Finding 6: SMS bombing and lock-out. A cool-down that grows, a picture challenge after a few codes for
a number or from an address, and limits that another address cannot use up."""

import re
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import SmsCode
from accounts.services import ChallengeRequiredError, ThrottledError, sms_code_send, sms_login
from accounts.sms import read_sms_files

PHONE = "13912345678"
RIDER_IP, ATTACKER_IP = "203.0.113.5", "198.51.100.66"


def _last_code(phone: str = PHONE) -> str:
    return re.search(r"验证码是 (\d{6})", read_sms_files(phone)[-1]["text"]).group(1)


@pytest.fixture
def morning():
    with time_machine.travel(timezone.localtime().replace(hour=8, minute=0, second=0), tick=False) as traveller:
        yield traveller


def _answer(challenge: dict) -> str:
    from captcha.models import CaptchaStore

    return CaptchaStore.objects.get(hashkey=challenge["key"]).response


def test_the_wait_between_codes_grows(db, morning):
    sms_code_send(phone=PHONE, ip=RIDER_IP)
    morning.shift(timedelta(seconds=61))
    sms_code_send(phone=PHONE, ip=RIDER_IP)
    morning.shift(timedelta(seconds=61))
    with pytest.raises(ThrottledError) as waited:
        sms_code_send(phone=PHONE, ip=RIDER_IP, challenge_passed=True)
    assert waited.value.extra["retry_after"] == 59  # 2 minutes after the second code
    morning.shift(timedelta(seconds=60))
    sms_code_send(phone=PHONE, ip=RIDER_IP, challenge_passed=True)
    morning.shift(timedelta(seconds=290))
    with pytest.raises(ThrottledError):  # 5 minutes after the third
        sms_code_send(phone=PHONE, ip=RIDER_IP, challenge_passed=True)
    assert SmsCode.objects.filter(phone=PHONE).count() == 3


def test_a_third_code_for_a_number_needs_the_challenge(db, morning):
    sms_code_send(phone=PHONE, ip=RIDER_IP)
    morning.shift(timedelta(minutes=2))
    sms_code_send(phone=PHONE, ip=RIDER_IP)
    morning.shift(timedelta(minutes=3))
    with pytest.raises(ChallengeRequiredError):
        sms_code_send(phone=PHONE, ip=RIDER_IP)
    sms_code_send(phone=PHONE, ip=RIDER_IP, challenge_passed=True)
    assert len(read_sms_files(PHONE)) == 3


def test_the_api_asks_for_a_challenge_and_sends_once_it_is_answered(db, api, morning):
    client = api()
    for _ in range(2):
        assert client.post("/api/v1/auth/sms-code/", {"phone": PHONE}, format="json").status_code == 202
        morning.shift(timedelta(minutes=3))
    asked = client.post("/api/v1/auth/sms-code/", {"phone": PHONE}, format="json")
    assert asked.status_code == 400
    body = asked.json()
    assert body["challenge_required"] is True and body["code"] == "challenge_required"
    picture = client.get(body["challenge"]["image_url"])
    assert picture.status_code == 200 and picture["Content-Type"] == "image/png"
    wrong = client.post(
        "/api/v1/auth/sms-code/",
        {"phone": PHONE, "challenge_key": body["challenge"]["key"], "challenge_answer": "x"},
        format="json",
    )
    assert wrong.status_code == 400 and wrong.json()["challenge"]["key"] != body["challenge"]["key"]
    challenge = wrong.json()["challenge"]
    answer = _answer(challenge)
    sent = client.post(
        "/api/v1/auth/sms-code/",
        {"phone": PHONE, "challenge_key": challenge["key"], "challenge_answer": answer},
        format="json",
    )
    assert sent.status_code == 202 and sent.json()["resend_after"] == 300
    replay = client.post(  # a challenge answers once
        "/api/v1/auth/sms-code/",
        {"phone": PHONE, "challenge_key": challenge["key"], "challenge_answer": answer},
        format="json",
    )
    assert replay.status_code == 400 and replay.json()["challenge_required"] is True
    assert SmsCode.objects.filter(phone=PHONE).count() == 3


def test_many_numbers_from_one_address_need_the_challenge(db, api, settings):
    client = api()
    statuses = [
        client.post("/api/v1/auth/sms-code/", {"phone": f"1391234{i:04d}"}, format="json").status_code
        for i in range(settings.SMS_CODE_CHALLENGE_AFTER_PER_IP + 1)
    ]
    assert statuses == [202] * settings.SMS_CODE_CHALLENGE_AFTER_PER_IP + [400]


def test_the_login_page_shows_the_picture_and_sends_once_it_is_answered(db, client, morning):
    for _ in range(2):
        client.post("/accounts/login/", {"action": "send", "phone": PHONE})
        morning.shift(timedelta(minutes=3))
    page = client.post("/accounts/login/", {"action": "send", "phone": PHONE})
    challenge = page.context["challenge"]
    assert challenge["image_url"] in page.content.decode() and 'name="challenge_answer"' in page.content.decode()
    sent = client.post(
        "/accounts/login/",
        {"action": "send", "phone": PHONE, "challenge_key": challenge["key"], "challenge_answer": _answer(challenge)},
    )
    assert "验证码已发送" in sent.content.decode()
    assert SmsCode.objects.filter(phone=PHONE).count() == 3


def test_another_address_cannot_use_up_a_riders_daily_codes(db, morning, settings):
    for _ in range(settings.SMS_CODE_DAILY_LIMIT):
        sms_code_send(phone=PHONE, ip=ATTACKER_IP, challenge_passed=True)
        morning.shift(timedelta(hours=1))
    with pytest.raises(ThrottledError, match="今日"):
        sms_code_send(phone=PHONE, ip=ATTACKER_IP, challenge_passed=True)
    sms_code_send(phone=PHONE, ip=RIDER_IP, challenge_passed=True)
    assert sms_login(phone=PHONE, code=_last_code()).phone == PHONE


def test_a_code_sent_later_by_someone_else_does_not_void_the_riders_code(db, morning):
    sms_code_send(phone=PHONE, ip=RIDER_IP)
    riders_code = _last_code()
    morning.shift(timedelta(minutes=2))
    sms_code_send(phone=PHONE, ip=ATTACKER_IP)
    assert sms_login(phone=PHONE, code=riders_code).phone == PHONE
    assert not SmsCode.objects.filter(phone=PHONE, used_at__isnull=True, expires_at__gt=timezone.now()).exists()
