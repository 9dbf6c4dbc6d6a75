from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from partybranch.models import Attendance, Registration, VolunteerHours
from partybranch.services import hours_self_declare, registration_create

from .factories import ActivityFactory, BranchFactory, MembershipFactory, RiderFactory, TeamFactory, child, me

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def family_day(streets):
    return ActivityFactory(street=streets["AYC"], capacity=3, title="奥运村乐游北京家庭日")


def test_activity_list_filters_and_remaining_places(api, streets, django_assert_num_queries):
    fam = ActivityFactory(street=streets["AYC"], capacity=5)
    cls = ActivityFactory(street=streets["TJH"], kind="class", family_allowed=False)
    ActivityFactory(street=streets["SJ"], status="draft")
    past = timezone_now() - timedelta(days=3)
    ActivityFactory(street=streets["SJ"], sessions=[(past, past + timedelta(hours=2))])
    client = api(None)
    # count, activities with first session, sessions prefetch
    with django_assert_num_queries(3):
        data = client.get("/api/v1/activities/").json()
    assert {a["id"] for a in data["results"]} == {fam.pk, cls.pk}
    assert client.get("/api/v1/activities/?kind=class").json()["results"][0]["id"] == cls.pk
    assert [a["id"] for a in client.get("/api/v1/activities/?family_welcome=1").json()["results"]] == [fam.pk]
    detail = client.get(f"/api/v1/activities/{fam.pk}/").json()
    assert detail["remaining"] == 5 and detail["capacity"] == 5 and len(detail["sessions"]) == 1
    assert client.get("/api/v1/activities/?kind=nonsense").status_code == 400


def test_activity_list_near_a_point_sorts_by_metres(api, streets):
    far = ActivityFactory(street=streets["AYC"])
    close = ActivityFactory(street=streets["TJH"])
    centre = streets["TJH"].centre
    data = api(None).get(f"/api/v1/activities/?lng={centre.x}&lat={centre.y}").json()["results"]
    assert data[0]["id"] == close.pk and data[0]["distance_m"] == 0
    assert far.pk not in [a["id"] for a in data] or data[-1]["distance_m"] > 1000
    assert api(None).get("/api/v1/activities/?lng=1e150&lat=40").status_code == 400


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def test_rider_signs_up_with_a_child_is_waitlisted_when_full_and_promoted(api, family_day, rider, rider_b):
    a, b = api(rider), api(rider_b)
    first = a.post(
        "/api/v1/activities/registrations/",
        {"activity": family_day.pk, "age": 35, "family": [child(), {"name": "妈妈", "relationship": "spouse"}]},
        format="json",
    )
    assert first.status_code == 201, first.json()
    assert first.json()["status"] == "confirmed" and first.json()["people"] == 3
    assert first.json()["checkin_url"].endswith(f"/activities/scan/{first.json()['qr_token']}/")
    second = b.post(
        "/api/v1/activities/registrations/", {"activity": family_day.pk, "family": [child("小红", 6)]}, format="json"
    )
    assert second.json()["status"] == "waitlisted" and second.json()["qr_token"] is None
    assert a.post(f"/api/v1/activities/registrations/{first.json()['id']}/cancel/").json()["status"] == "cancelled"
    promoted = b.get(f"/api/v1/activities/registrations/{second.json()['id']}/").json()
    assert promoted["status"] == "confirmed" and promoted["qr_token"]


def test_sign_up_rules_come_back_as_400_and_409(api, family_day, rider):
    client = api(rider)
    bad = client.post(
        "/api/v1/activities/registrations/", {"activity": family_day.pk, "family": [child(age=1)]}, format="json"
    )
    assert bad.status_code == 400 and "年龄范围" in bad.json()["detail"]
    ok = client.post("/api/v1/activities/registrations/", {"activity": family_day.pk}, format="json")
    assert ok.status_code == 201
    again = client.post("/api/v1/activities/registrations/", {"activity": family_day.pk}, format="json")
    assert again.status_code == 409
    assert api(None).post("/api/v1/activities/registrations/", {"activity": family_day.pk}).status_code == 401


def test_another_riders_registration_is_404(api, family_day, rider, rider_b, django_assert_num_queries):
    reg = registration_create(activity=family_day, rider=rider, people=[me(rider)], actor=rider)
    other = api(rider_b)
    assert other.get(f"/api/v1/activities/registrations/{reg.pk}/").status_code == 404
    assert other.post(f"/api/v1/activities/registrations/{reg.pk}/cancel/").status_code == 404
    reg.refresh_from_db()
    assert reg.status == "confirmed"
    client = api(rider)
    # token lookup + token touch, count, registrations, persons, sessions
    with django_assert_num_queries(6):
        mine = client.get("/api/v1/activities/registrations/").json()
    assert [r["id"] for r in mine["results"]] == [reg.pk]
    assert other.get("/api/v1/activities/registrations/").json()["results"] == []


def test_staff_scan_checks_the_family_in_once_and_only_in_their_street(api, family_day, rider, staff_a, analyst):
    from partybranch.models import Session

    reg = registration_create(activity=family_day, rider=rider, people=[me(rider), child()], actor=rider)
    session = family_day.sessions.get()
    ayc_staff = RiderFactory(phone="13800000099", role="street_staff", street=family_day.street, is_staff=True)
    url = f"/api/v1/activities/sessions/{session.pk}/scan/"
    assert api(staff_a).post(url, {"qr_token": reg.qr_token}).status_code == 404  # 双井 staff, 奥运村 activity
    assert api(analyst).post(url, {"qr_token": reg.qr_token}).status_code == 403
    assert api(rider).post(url, {"qr_token": reg.qr_token}).status_code == 403
    with time_machine.travel(Session.objects.get().start, tick=False):
        first = api(ayc_staff).post(url, {"qr_token": reg.qr_token})
        second = api(ayc_staff).post(url, {"qr_token": reg.qr_token})
    assert first.status_code == 201 and first.json()["checked_in"] == 2
    assert second.status_code == 200 and second.json()["already_checked_in"] is True
    assert Attendance.objects.count() == 2


def test_volunteer_scan_in_and_out_through_the_api(api, streets, rider, staff_a):
    start = datetime(2026, 8, 1, 10, 0, tzinfo=SH)
    with time_machine.travel(start - timedelta(days=1), tick=False):
        run = ActivityFactory(
            street=streets["SJ"], kind="volunteer", family_allowed=False, sessions=[(start, start + timedelta(hours=2))]
        )
        reg = registration_create(activity=run, rider=rider, people=[me(rider)], actor=rider)
    url = f"/api/v1/activities/sessions/{run.sessions.get().pk}/scan/"
    client = api(staff_a)
    with time_machine.travel(start, tick=False):
        assert client.post(url, {"qr_token": reg.qr_token}).json()["hours"]["end"] is None
    with time_machine.travel(start + timedelta(hours=1, minutes=45), tick=False):
        out = client.post(url, {"qr_token": reg.qr_token, "action": "checkout"}).json()
    assert out["hours"]["hours"] == "1.75" and out["hours"]["status"] == "approved"
    with time_machine.travel(start + timedelta(hours=3), tick=False):
        mine = api(rider).get("/api/v1/activities/hours/").json()
    assert mine["summary"]["approved"] == "1.75" and mine["summary"]["next_milestone"] == 100


def test_hours_declare_queue_and_approve_are_scoped(api, streets, rider, staff_a, staff_b, analyst):
    team = TeamFactory(street=streets["SJ"])
    now = timezone_now()
    declared = api(rider).post(
        "/api/v1/activities/hours/",
        {
            "team": team.pk,
            "start": (now - timedelta(hours=3)).isoformat(),
            "end": (now - timedelta(hours=1)).isoformat(),
        },
        format="json",
    )
    assert declared.status_code == 201 and declared.json()["status"] == "pending"
    assert api(rider).get("/api/v1/activities/hours/").json()["summary"]["approved"] == "0.00"
    pk = declared.json()["id"]
    assert [h["id"] for h in api(staff_a).get("/api/v1/activities/hours/queue/").json()["results"]] == [pk]
    assert api(staff_b).get("/api/v1/activities/hours/queue/").json()["results"] == []
    assert api(staff_b).post(f"/api/v1/activities/hours/{pk}/approve/").status_code == 404
    assert api(analyst).post(f"/api/v1/activities/hours/{pk}/approve/").status_code == 403
    assert api(rider).post(f"/api/v1/activities/hours/{pk}/approve/").status_code == 403
    assert api(staff_a).post(f"/api/v1/activities/hours/{pk}/approve/").json()["status"] == "approved"
    assert api(rider).get("/api/v1/activities/hours/").json()["summary"]["approved"] == "2.00"
    assert VolunteerHours.objects.get().reviewed_by == staff_a


def test_hours_queue_query_count(api, streets, staff_a, django_assert_num_queries):
    team = TeamFactory(street=streets["SJ"])
    now = timezone_now()
    for i in range(4):
        r = RiderFactory()
        hours_self_declare(
            person=r, team=team, start=now - timedelta(hours=i + 2), end=now - timedelta(hours=i + 1), actor=r
        )
    client = api(staff_a)
    # token lookup + token touch, count, hours with person/team/activity/street
    with django_assert_num_queries(4):
        assert len(client.get("/api/v1/activities/hours/queue/").json()["results"]) == 4


def test_branches_and_members_for_staff_only_in_their_street(api, streets, rider, staff_a, staff_b, analyst):
    sj = BranchFactory(street=streets["SJ"], name="双井快递党支部")
    slt = BranchFactory(street=streets["SLT"], name="三里屯外卖党支部")
    MembershipFactory(user=rider, branch=sj, role="secretary")
    assert [b["name"] for b in api(staff_a).get("/api/v1/party/branches/").json()["results"]] == [sj.name]
    assert {b["name"] for b in api(analyst).get("/api/v1/party/branches/").json()["results"]} == {sj.name, slt.name}
    assert api(rider).get("/api/v1/party/branches/").status_code == 403
    members = api(staff_a).get(f"/api/v1/party/branches/{sj.pk}/members/").json()["results"]
    assert members[0]["role"] == "secretary" and members[0]["phone"] == rider.masked_phone
    assert api(staff_b).get(f"/api/v1/party/branches/{sj.pk}/members/").status_code == 404


def test_schema_documents_the_endpoints(api, analyst):
    schema = api(analyst).get("/api/schema/?format=json").json()
    assert "/api/v1/activities/registrations/" in schema["paths"]
    assert "/api/v1/activities/sessions/{id}/scan/" in schema["paths"]


def test_party_members_only_activity_through_the_api(api, streets, rider):
    activity = ActivityFactory(street=streets["SJ"], audience="party_members")
    assert api(rider).post("/api/v1/activities/registrations/", {"activity": activity.pk}).status_code == 400
    assert not Registration.objects.exists()
