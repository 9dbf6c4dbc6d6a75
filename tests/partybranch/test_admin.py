from datetime import timedelta

import pytest
import time_machine

from partybranch.models import VolunteerHours
from partybranch.services import attendance_scan, hours_self_declare, registration_create

from .factories import ActivityFactory, BranchFactory, RiderFactory, TeamFactory, child, me


@pytest.fixture
def two_streets(streets, rider, rider_b):
    sj = ActivityFactory(street=streets["SJ"], title="双井家庭日", capacity=3)
    slt = ActivityFactory(street=streets["SLT"], title="三里屯红驿课堂")
    registration_create(activity=sj, rider=rider, people=[me(rider), child()], actor=rider)
    registration_create(activity=sj, rider=rider_b, people=[me(rider_b), child("小红", 6)], actor=rider_b)
    return sj, slt


def test_activity_changelist_is_scoped_with_live_counts(
    admin_client_for, staff_a, two_streets, django_assert_num_queries
):
    sj, slt = two_streets
    client = admin_client_for(staff_a)
    with time_machine.travel(sj.sessions.get().start, tick=False):
        attendance_scan(session=sj.sessions.get(), qr_token=sj.registrations.first().qr_token, actor=staff_a)
    for i in range(3):
        ActivityFactory(street=sj.street, title=f"更多活动{i}")
    # session, user, user permissions, group permissions, count (filtered), count (total),
    # activities with first start and waitlisted/present counts in the same query (no N+1 for 4 rows)
    with django_assert_num_queries(7):
        page = client.get("/admin/partybranch/activity/")
    html = page.content.decode()
    assert page.status_code == 200 and "双井家庭日" in html and "三里屯红驿课堂" not in html
    row = html[html.index("双井家庭日") :]
    assert '<td class="field-confirmed_people">2</td>' in row
    assert '<td class="field-waitlisted">2</td>' in row
    assert '<td class="field-present">2</td>' in row
    assert client.get(f"/admin/partybranch/activity/{slt.pk}/change/").status_code == 302  # not theirs


def test_analyst_reads_every_street_but_cannot_change(admin_client_for, analyst, two_streets):
    sj, slt = two_streets
    client = admin_client_for(analyst)
    html = client.get("/admin/partybranch/activity/").content.decode()
    assert "双井家庭日" in html and "三里屯红驿课堂" in html
    page = client.get(f"/admin/partybranch/activity/{sj.pk}/change/")
    assert page.status_code == 200 and 'name="_save"' not in page.content.decode()


def test_attendance_sheet_per_session(admin_client_for, staff_a, staff_b, two_streets):
    sj, _slt = two_streets
    session = sj.sessions.get()
    reg = sj.registrations.filter(status="confirmed").get()
    with time_machine.travel(session.start, tick=False):
        attendance_scan(session=session, qr_token=reg.qr_token, actor=staff_a)
    html = admin_client_for(staff_a).get(f"/admin/partybranch/session/{session.pk}/sheet/").content.decode()
    assert "已到 2 / 2 人" in html and "小明" in html
    assert admin_client_for(staff_b).get(f"/admin/partybranch/session/{session.pk}/sheet/").status_code == 404


def test_raising_capacity_in_the_admin_promotes_the_waitlist(admin_client_for, staff_a, two_streets):
    sj, _slt = two_streets
    client = admin_client_for(staff_a)
    page = client.get(f"/admin/partybranch/activity/{sj.pk}/change/")
    form = page.context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "point"}
    session = sj.sessions.get()
    start = session.start.astimezone()
    data.update(
        capacity=4,
        signup_deadline_0="",
        signup_deadline_1="",
        **{
            "sessions-TOTAL_FORMS": "1",
            "sessions-INITIAL_FORMS": "1",
            "sessions-0-id": str(session.pk),
            "sessions-0-activity": str(sj.pk),
            "sessions-0-start_0": start.strftime("%Y-%m-%d"),
            "sessions-0-start_1": start.strftime("%H:%M:%S"),
            "sessions-0-end_0": session.end.astimezone().strftime("%Y-%m-%d"),
            "sessions-0-end_1": session.end.astimezone().strftime("%H:%M:%S"),
        },
    )
    data = {k: ("on" if v is True else v) for k, v in data.items() if v is not False}
    response = client.post(f"/admin/partybranch/activity/{sj.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    sj.refresh_from_db()
    assert sj.capacity == 4 and sj.confirmed_people == 4
    assert not sj.registrations.filter(status="waitlisted").exists()


def test_hours_queue_bulk_approve_only_own_street(admin_client_for, streets, staff_a, django_assert_num_queries):
    from django.utils import timezone

    sj, slt = TeamFactory(street=streets["SJ"]), TeamFactory(street=streets["SLT"])
    now = timezone.now()
    for _i in range(3):
        r = RiderFactory()
        hours_self_declare(person=r, team=sj, start=now - timedelta(hours=3), end=now - timedelta(hours=1), actor=r)
        hours_self_declare(person=r, team=slt, start=now - timedelta(hours=6), end=now - timedelta(hours=5), actor=r)
    client = admin_client_for(staff_a)
    # session, user, user permissions, group permissions, count (filtered), count (total),
    # hours with person/street/team/activity, date hierarchy bounds, date hierarchy days
    with django_assert_num_queries(9):
        page = client.get("/admin/partybranch/volunteerhours/?queue=1")
    assert page.content.decode().count('name="_selected_action"') == 3
    every = list(VolunteerHours.objects.values_list("pk", flat=True))
    client.post("/admin/partybranch/volunteerhours/", {"action": "approve_selected", "_selected_action": every})
    assert VolunteerHours.objects.filter(street=streets["SJ"], status="approved").count() == 3
    assert VolunteerHours.objects.filter(street=streets["SLT"], status="pending").count() == 3


def test_branch_admin_shows_only_own_street_and_member_counts(admin_client_for, streets, staff_a):
    BranchFactory(street=streets["SJ"], name="双井快递党支部")
    BranchFactory(street=streets["SLT"], name="三里屯外卖党支部")
    html = admin_client_for(staff_a).get("/admin/partybranch/branch/").content.decode()
    assert "双井快递党支部" in html and "三里屯外卖党支部" not in html
