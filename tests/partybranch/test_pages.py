from datetime import timedelta

import pytest
import time_machine

from partybranch.models import Attendance, Registration
from partybranch.services import registration_create

from .factories import ActivityFactory, TeamFactory, child, me


@pytest.fixture
def family_day(streets):
    return ActivityFactory(street=streets["AYC"], capacity=3, title="奥运村家庭日")


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def test_list_filters_by_kind_and_family(client, streets, family_day):
    cls = ActivityFactory(street=streets["TJH"], kind="class", title="红驿课堂·安全骑行", family_allowed=False)
    page = client.get("/activities/").content.decode()
    assert family_day.title in page and cls.title in page
    page = client.get("/activities/?family=1").content.decode()
    assert family_day.title in page and cls.title not in page
    page = client.get("/activities/?kind=class").content.decode()
    assert cls.title in page and family_day.title not in page


def test_signup_form_with_family_members_confirms_then_waitlists(client, family_day, rider, rider_b):
    _login(client, rider)
    form = {
        "age": "34",
        "family-TOTAL_FORMS": "2",
        "family-INITIAL_FORMS": "0",
        "family-0-name": "小明",
        "family-0-relationship": "child",
        "family-0-age": "7",
        "family-1-name": "张女士",
        "family-1-relationship": "spouse",
        "family-1-age": "",
    }
    response = client.post(f"/activities/{family_day.pk}/signup/", form)
    reg = Registration.objects.get(rider=rider)
    assert response.status_code == 302 and response["Location"] == f"/activities/registrations/{reg.pk}/"
    assert reg.people == 3 and reg.status == "confirmed"
    detail = client.get(response["Location"]).content.decode()
    assert "<svg" in detail and reg.qr_token in detail and "小明" in detail
    _login(client, rider_b)
    client.post(f"/activities/{family_day.pk}/signup/", {**form, "family-TOTAL_FORMS": "1"})
    waiting = Registration.objects.get(rider=rider_b)
    assert waiting.status == "waitlisted"
    assert "<svg" not in client.get(f"/activities/registrations/{waiting.pk}/").content.decode()
    # another rider's sign-up is not found
    assert client.get(f"/activities/registrations/{reg.pk}/").status_code == 404
    assert client.post(f"/activities/registrations/{reg.pk}/cancel/").status_code == 404


def test_signup_rule_errors_are_shown_on_the_page(client, family_day, rider):
    _login(client, rider)
    form = {
        "family-TOTAL_FORMS": "1",
        "family-INITIAL_FORMS": "0",
        "family-0-name": "小宝",
        "family-0-relationship": "child",
        "family-0-age": "1",
    }
    response = client.post(f"/activities/{family_day.pk}/signup/", form)
    assert response.status_code == 400 and "年龄范围" in response.content.decode()
    assert not Registration.objects.exists()


def test_cancel_from_the_page_promotes_the_waitlist(client, family_day, rider, rider_b):
    first = registration_create(
        activity=family_day, rider=rider, people=[me(rider), child(), child("小亮", 9)], actor=rider
    )
    assert registration_create(activity=family_day, rider=rider_b, people=[me(rider_b)], actor=rider_b).status == (
        "waitlisted"
    )
    _login(client, rider)
    assert client.post(f"/activities/registrations/{first.pk}/cancel/").status_code == 302
    assert Registration.objects.get(rider=rider_b).status == "confirmed"


def test_staff_checkin_page_and_qr_link(client, streets, rider, staff_a, staff_b):
    activity = ActivityFactory(street=streets["SJ"])
    reg = registration_create(activity=activity, rider=rider, people=[me(rider)], actor=rider)
    session = activity.sessions.get()
    _login(client, staff_b)
    assert client.get(f"/activities/scan/{reg.qr_token}/").status_code == 404
    assert client.get(f"/activities/sessions/{session.pk}/checkin/").status_code == 404
    _login(client, staff_a)
    landing = client.get(f"/activities/scan/{reg.qr_token}/")
    assert landing["Location"] == f"/activities/sessions/{session.pk}/checkin/?token={reg.qr_token}"
    with time_machine.travel(session.start + timedelta(minutes=3), tick=False):
        page = client.post(landing["Location"], {"qr_token": reg.qr_token, "action": "checkin"}).content.decode()
        assert "签到成功" in page
        again = client.post(landing["Location"], {"qr_token": reg.qr_token, "action": "checkin"}).content.decode()
        assert "已签到过" in again
    assert Attendance.objects.count() == 1
    _login(client, rider)
    assert client.get(f"/activities/scan/{reg.qr_token}/")["Location"] == f"/activities/registrations/{reg.pk}/"
    assert client.get(f"/activities/sessions/{session.pk}/checkin/").status_code == 404


def test_hours_page_shows_totals_and_declares(client, streets, rider):
    from django.utils import timezone

    team = TeamFactory(street=streets["TJH"], name="团结湖骑手团")
    _login(client, rider)
    now = timezone.localtime()
    response = client.post(
        "/activities/hours/",
        {
            "team": team.pk,
            "start": (now - timedelta(hours=3)).strftime("%Y-%m-%dT%H:%M"),
            "end": (now - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "note": "老年食堂送餐",
        },
    )
    assert response.status_code == 302
    page = client.get("/activities/hours/").content.decode()
    assert "待审核" in page and "100 h" in page and "1500 h" in page
