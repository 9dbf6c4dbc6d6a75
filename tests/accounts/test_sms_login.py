import re
import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone

from accounts.models import ApiToken, Role, SmsCode, User
from accounts.services import InvalidCodeError, ThrottledError, sms_code_send, sms_code_verify, sms_login
from accounts.sms import read_sms_files

PHONE = "13912345678"


def _last_code(phone: str = PHONE) -> str:
    return re.search(r"验证码是 (\d{6})", read_sms_files(phone)[-1]["text"]).group(1)


def test_a_code_is_six_digits_sent_by_sms_and_stored_only_as_a_hash(db):
    sms = sms_code_send(phone="+86 139-1234-5678")
    code = _last_code()
    assert len(code) == 6 and code.isdigit()
    assert code not in sms.code_hash
    assert sms.expires_at - sms.created_at == timedelta(minutes=10)


def test_logging_in_with_the_code_creates_a_rider_and_a_token(db, api):
    response = api().post("/api/v1/auth/sms-code/", {"phone": PHONE}, format="json")
    assert response.status_code == 202
    response = api().post("/api/v1/auth/login/", {"phone": PHONE, "code": _last_code()}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    user = User.objects.get(phone=PHONE)
    assert user.role == Role.RIDER and hasattr(user, "rider_profile")
    me = api(token).get("/api/v1/auth/me/")
    assert me.status_code == 200
    assert me.json()["phone"] == "139****5678"
    assert ApiToken.objects.filter(user=user).count() == 1


def test_a_code_works_only_once(db):
    sms_code_send(phone=PHONE)
    code = _last_code()
    assert sms_login(phone=PHONE, code=code).phone == PHONE
    with pytest.raises(InvalidCodeError):
        sms_login(phone=PHONE, code=code)


def test_a_code_expires_after_ten_minutes(db):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sms_code_send(phone=PHONE)
        code = _last_code()
        traveller.shift(timedelta(minutes=10, seconds=1))
        with pytest.raises(InvalidCodeError):
            sms_code_verify(phone=PHONE, code=code)


def test_five_wrong_guesses_kill_the_code(db):
    sms_code_send(phone=PHONE)
    code = _last_code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        with pytest.raises(InvalidCodeError):
            sms_code_verify(phone=PHONE, code=wrong)
    with pytest.raises(InvalidCodeError):
        sms_code_verify(phone=PHONE, code=code)
    assert SmsCode.objects.get().attempts == 5


@pytest.mark.django_db(transaction=True)
def test_concurrent_guessing_cannot_exceed_five_attempts():
    sms_code_send(phone=PHONE)
    code = _last_code()
    wrong = [f"{(int(code) + i) % 1_000_000:06d}" for i in range(1, 41)]
    barrier = threading.Barrier(len(wrong))
    outcomes: list[str] = []

    def guess(value: str) -> None:
        try:
            barrier.wait()
            sms_code_verify(phone=PHONE, code=value)
            outcomes.append("ok")
        except InvalidCodeError:
            outcomes.append("invalid")
        finally:
            connection.close()

    threads = [threading.Thread(target=guess, args=(w,)) for w in wrong]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("invalid") == 40
    assert SmsCode.objects.get().attempts == 5
    with pytest.raises(InvalidCodeError):  # the right code is dead now
        sms_code_verify(phone=PHONE, code=code)


@pytest.mark.django_db(transaction=True)
def test_concurrent_logins_with_the_right_code_succeed_once():
    sms_code_send(phone=PHONE)
    code = _last_code()
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait()
            sms_code_verify(phone=PHONE, code=code)
            outcomes.append("ok")
        except InvalidCodeError:
            outcomes.append("invalid")
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert outcomes.count("ok") == 1


def test_one_code_per_number_per_minute(db):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sms_code_send(phone=PHONE)
        with pytest.raises(ThrottledError):
            sms_code_send(phone=PHONE)
        traveller.shift(timedelta(seconds=61))
        # the cache's TTL is real time in Redis; the resend key is gone only after 60 s there, so clear it
        from django.core.cache import cache

        cache.delete(f"sms:resend:{PHONE}")
        sms_code_send(phone=PHONE)
    assert SmsCode.objects.filter(phone=PHONE).count() == 2


def test_at_most_ten_codes_per_number_and_address_per_day(db, settings):
    with time_machine.travel(timezone.localtime().replace(hour=8, minute=0), tick=False) as traveller:
        for _ in range(10):
            sms_code_send(phone=PHONE, ip="198.51.100.7", challenge_passed=True)
            traveller.shift(timedelta(hours=1))
        with pytest.raises(ThrottledError, match="今日"):
            sms_code_send(phone=PHONE, ip="198.51.100.7", challenge_passed=True)
    assert SmsCode.objects.filter(phone=PHONE).count() == 10


@pytest.mark.django_db(transaction=True)
def test_the_per_number_limit_holds_under_concurrent_requests():
    barrier = threading.Barrier(20)
    results: list[str] = []

    def send() -> None:
        try:
            barrier.wait()
            sms_code_send(phone=PHONE)
            results.append("sent")
        except ThrottledError:
            results.append("throttled")
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("sent") == 1
    assert SmsCode.objects.filter(phone=PHONE).count() == 1


def test_send_code_answers_the_same_for_known_and_unknown_numbers(rider, api):
    known = api().post("/api/v1/auth/sms-code/", {"phone": rider.phone}, format="json")
    unknown = api().post("/api/v1/auth/sms-code/", {"phone": "13698765432"}, format="json")
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert set(known.headers) == set(unknown.headers)


def test_the_send_code_endpoint_is_limited_per_ip(db, api, settings):
    settings.SMS_CODE_CHALLENGE_AFTER_PER_IP = 100  # the rate limit alone (the challenge: test_sms_abuse.py)
    client = api()
    statuses = [
        client.post("/api/v1/auth/sms-code/", {"phone": f"1391234{i:04d}"}, format="json").status_code
        for i in range(31)
    ]
    assert statuses[:30] == [202] * 30
    assert statuses[30] == 429
    assert "频繁" in client.post("/api/v1/auth/sms-code/", {"phone": "13912340099"}, format="json").json()["detail"]


def test_bad_phone_and_bad_code_get_clear_errors(db, api):
    response = api().post("/api/v1/auth/sms-code/", {"phone": "12345"}, format="json")
    assert response.status_code == 400
    assert "手机号" in response.json()["detail"]
    response = api().post("/api/v1/auth/login/", {"phone": PHONE, "code": "12"}, format="json")
    assert response.status_code == 400
    response = api().post("/api/v1/auth/login/", {"phone": PHONE, "code": "123456"}, format="json")
    assert response.status_code == 400
    assert "验证码" in response.json()["detail"]
    response = api().post("/api/v1/auth/login/", "{not json", content_type="application/json")
    assert response.status_code == 400


def test_staff_cannot_log_in_by_sms(staff_a):
    sms_code_send(phone=staff_a.phone)
    with pytest.raises(Exception, match="密码"):
        sms_login(phone=staff_a.phone, code=_last_code(staff_a.phone))


def test_the_mobile_login_page_logs_a_rider_in(db, client):
    response = client.post("/accounts/login/", {"phone": PHONE, "action": "send"})
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()
    response = client.post(
        "/accounts/login/", {"phone": PHONE, "code": _last_code(), "action": "login", "next": "/accounts/me/"}
    )
    assert response.status_code == 302 and response.url == "/accounts/me/"
    assert client.get("/accounts/me/").status_code == 200


def test_the_login_page_refuses_foreign_redirects(db, client):
    client.post("/accounts/login/", {"phone": PHONE, "action": "send"})
    response = client.post(
        "/accounts/login/", {"phone": PHONE, "code": _last_code(), "action": "login", "next": "https://evil.example/"}
    )
    assert response.status_code == 302 and response.url == "/"
