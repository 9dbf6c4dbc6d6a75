"""QR check-in for a rider who scans before logging in (issue 15): they come back from the SMS login checked
in without a second tap on 一键签到, while the check-in stays a POST under CSRF and no GET writes."""

from datetime import timedelta

import time_machine
from django.test import Client
from django.utils import timezone

from accounts.sms import read_sms_files
from stations.models import Station, Visit

from .factories import StationFactory


def _sms_login(client: Client, phone: str, next_url: str):
    """The real two-step SMS login page, as the rider's browser drives it."""
    client.post("/accounts/login/", {"action": "send", "phone": phone, "next": next_url})
    text = read_sms_files(phone)[-1]["text"]
    code = "".join(ch for ch in text.split("验证码是")[1] if ch.isdigit())[:6]
    return client.post("/accounts/login/", {"action": "login", "phone": phone, "code": code, "next": next_url})


def _intent(body: str) -> str:
    start = body.index('name="intent" value="') + len('name="intent" value="')
    return body[start : body.index('"', start)]


def test_scan_login_and_back_sends_the_check_in_by_itself_once(client, rider, streets):
    station = StationFactory(name="二十二院街小哥加油站")
    anonymous = client.get(f"/s/{station.code}").content.decode()
    assert 'id="login-to-checkin"' in anonymous and 'method="post"' in anonymous

    asked = client.post(f"/s/{station.code}")
    assert asked.status_code == 302
    assert asked["Location"] == f"/accounts/login/?next=/s/{station.code}"
    assert not Visit.objects.exists()

    back = _sms_login(client, rider.phone, f"/s/{station.code}")
    assert back.status_code == 302 and back["Location"] == f"/s/{station.code}"

    page = client.get(back["Location"]).content.decode()
    assert 'data-auto-submit="1"' in page and "stations/checkin.js" in page
    assert not Visit.objects.exists()  # the GET only offers; the script's POST checks in
    token = _intent(page)

    done = client.post(f"/s/{station.code}", {"intent": token}).content.decode()
    assert "签到成功" in done
    assert Visit.objects.filter(station=station, rider=rider).count() == 1

    # Spent: a replay of the same automatic send does nothing, and the page no longer sends by itself.
    replay = client.post(f"/s/{station.code}", {"intent": token}).content.decode()
    assert "签到成功" not in replay and "您已签到" not in replay and 'id="checkin-button"' in replay
    assert "data-auto-submit" not in client.get(f"/s/{station.code}").content.decode()
    assert Visit.objects.count() == 1


def test_a_logged_in_rider_who_just_opens_the_page_is_not_checked_in_by_itself(client, rider, streets):
    station = StationFactory()
    client.force_login(rider)
    page = client.get(f"/s/{station.code}").content.decode()
    assert 'id="checkin-button"' in page and "data-auto-submit" not in page and "checkin.js" not in page
    # A forged automatic send (no intent in this session) checks nobody in.
    assert "签到成功" not in client.post(f"/s/{station.code}", {"intent": "guess"}).content.decode()
    assert not Visit.objects.exists()


def test_the_intent_is_for_its_own_station_and_expires(client, rider, streets):
    scanned, other = StationFactory(), StationFactory()
    client.post(f"/s/{scanned.code}")
    client.force_login(rider)  # keeps the session's data, as the SMS login does
    assert "data-auto-submit" not in client.get(f"/s/{other.code}").content.decode()
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert "data-auto-submit" not in client.get(f"/s/{scanned.code}").content.decode()


def test_the_automatic_send_is_still_csrf_protected(rider, streets):
    station = StationFactory()
    client = Client(enforce_csrf_checks=True)
    client.get(f"/s/{station.code}")
    assert client.post(f"/s/{station.code}").status_code == 403
    client.force_login(rider)
    assert client.post(f"/s/{station.code}", {"intent": "x"}).status_code == 403
    assert not Visit.objects.exists()


def test_a_closed_station_says_so_instead_of_offering_the_check_in(client, rider, streets):
    station = StationFactory(name="暂停的驿站", status=Station.Status.TEMPORARILY_CLOSED)
    anonymous = client.get(f"/s/{station.code}").content.decode()
    assert "现在不能签到" in anonymous and "login-to-checkin" not in anonymous
    client.force_login(rider)
    page = client.get(f"/s/{station.code}").content.decode()
    assert "该驿站暂未开放，无法签到。" in page and 'id="checkin-button"' not in page
    assert "该驿站暂未开放，无法签到。" in client.post(f"/s/{station.code}").content.decode()
    assert not Visit.objects.exists()


def test_an_unknown_or_defunct_code_is_a_clear_404(client, streets):
    defunct = StationFactory(status=Station.Status.DEFUNCT)
    for code in ("NOPE999", defunct.code):
        response = client.get(f"/s/{code}")
        assert response.status_code == 404
        body = response.content.decode()
        assert "没有找到这个签到码对应的驿站。" in body and 'href="/stations/"' in body
