"""Station feedback can be taken up and answered (issue #15): status 待处理/处理中/已处理, an assignee among the
street's staff, a reply the rider sees on the station page; admin actions, street scoping, no deleting."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from accounts.models import Role, User
from stations.models import Feedback, StationEvent, Visit
from stations.services import feedback_submit, feedback_update
from tests.conftest import STAFF_PASSWORD

from .factories import StationFactory

FEEDBACK = "/admin/stations/feedback/"


@pytest.fixture
def two_streets(streets, sj_point, slt_point):
    return StationFactory(name="双井站", point=sj_point), StationFactory(name="三里屯站", point=slt_point)


@pytest.fixture
def broken(two_streets, rider):
    return feedback_submit(station=two_streets[0], rider=rider, kind="broken", comment="插座坏了")


def test_a_clerk_answers_feedback_and_the_rider_sees_the_reply(admin_client_for, staff_a, rider, broken, client):
    assert broken.status == Feedback.Status.PENDING
    staff = admin_client_for(staff_a)
    form = staff.get(f"{FEEDBACK}{broken.pk}/change/").content.decode()
    assert "待处理" in form and "回复骑手" in form
    response = staff.post(
        f"{FEEDBACK}{broken.pk}/change/", {"status": "handled", "assignee": "", "reply": "已换新插座，谢谢您！"}
    )
    assert response.status_code == 302
    broken.refresh_from_db()
    assert broken.status == Feedback.Status.HANDLED
    assert broken.assignee == staff_a  # whoever handles it is in charge unless someone else is named
    assert broken.reply == "已换新插座，谢谢您！" and broken.replied_at and broken.handled_at
    event = StationEvent.objects.get(kind=StationEvent.Kind.FEEDBACK_HANDLED)
    assert event.actor == staff_a and event.data["status"] == "handled"

    client.force_login(rider)
    page = client.get(broken.station.get_absolute_url()).content.decode()
    assert "已处理" in page and "街道回复：已换新插座，谢谢您！" in page


def test_another_rider_does_not_see_the_reply(client, staff_a, rider_b, broken):
    feedback_update(feedback=broken, actor=staff_a, status="handled", assignee=None, reply="已换新插座")
    client.force_login(rider_b)
    assert "已换新插座" not in client.get(broken.station.get_absolute_url()).content.decode()


def test_the_assignee_must_be_staff_of_the_street(admin_client_for, staff_a, staff_b, rider, broken):
    colleague = User.objects.create_user(
        "13800000012", password=STAFF_PASSWORD, role=Role.STREET_STAFF, street=staff_a.street, is_staff=True
    )
    staff = admin_client_for(staff_a)
    form = staff.get(f"{FEEDBACK}{broken.pk}/change/").content.decode()
    assert f'value="{colleague.pk}"' in form
    assert f'value="{rider.pk}"' not in form and f'value="{staff_b.pk}"' not in form
    response = staff.post(f"{FEEDBACK}{broken.pk}/change/", {"status": "in_progress", "assignee": staff_b.pk})
    assert response.status_code == 200 and "请选择有效的选项" in response.content.decode()
    response = staff.post(f"{FEEDBACK}{broken.pk}/change/", {"status": "in_progress", "assignee": colleague.pk})
    assert response.status_code == 302
    broken.refresh_from_db()
    assert broken.assignee == colleague and broken.status == Feedback.Status.IN_PROGRESS


def test_service_refuses_an_assignee_of_another_street(staff_a, staff_b, broken):
    from chaoyang_friendly.errors import ApplicationError

    with pytest.raises(ApplicationError, match="本街道的工作人员"):
        feedback_update(feedback=broken, actor=staff_a, status="in_progress", assignee=staff_b, reply="")


def test_actions_mark_only_the_clerks_street(admin_client_for, staff_a, rider, two_streets):
    sj, slt = two_streets
    own = feedback_submit(station=sj, rider=rider, kind="wrong_hours")
    other = feedback_submit(station=slt, rider=rider, kind="broken")
    response = admin_client_for(staff_a).post(
        FEEDBACK, {"action": "mark_handled", "_selected_action": [own.pk, other.pk]}, follow=True
    )
    assert "1 条反馈已标记为“已处理”。" in response.content.decode()
    own.refresh_from_db(), other.refresh_from_db()
    assert own.status == Feedback.Status.HANDLED and own.assignee == staff_a
    assert other.status == Feedback.Status.PENDING


def test_other_streets_feedback_stays_out_of_reach(admin_client_for, staff_b, broken):
    staff = admin_client_for(staff_b)
    assert staff.get(f"{FEEDBACK}{broken.pk}/change/").status_code in (302, 403, 404)
    staff.post(f"{FEEDBACK}{broken.pk}/change/", {"status": "handled", "reply": "x"})
    broken.refresh_from_db()
    assert broken.status == Feedback.Status.PENDING and broken.reply == ""


def test_street_staff_cannot_delete_a_riders_feedback(admin_client_for, staff_a, broken):
    staff = admin_client_for(staff_a)
    assert staff.get(f"{FEEDBACK}{broken.pk}/delete/").status_code == 403
    assert 'value="delete_selected"' not in staff.get(FEEDBACK).content.decode()


def test_feedback_list_filters_by_status(admin_client_for, staff_a, rider, two_streets):
    sj, _slt = two_streets
    done = feedback_submit(station=sj, rider=rider, kind="broken", comment="灯坏了")
    feedback_submit(station=sj, rider=rider, kind="broken", comment="门坏了")
    feedback_update(feedback=done, actor=staff_a, status="handled", assignee=None, reply="")
    body = admin_client_for(staff_a).get(f"{FEEDBACK}?status__exact=pending").content.decode()
    assert "门坏了" in body and "灯坏了" not in body


def test_event_column_is_readable_not_json(admin_client_for, staff_a, rider, broken):
    from stations.services import station_save

    station = broken.station
    station.opening_hours = "Mo-Fr 09:00-21:00"
    station_save(station=station, actor=staff_a, changed=["name", "opening_hours"], is_new=False)
    body = admin_client_for(staff_a).get(f"/admin/stations/station/{station.pk}/change/").content.decode()
    assert "修改了：名称、营业时间" in body and "反馈：设施损坏" in body
    assert "{&quot;fields&quot;" not in body and '{"fields"' not in body


def test_inline_titles_are_in_beijing_time(streets, rider):
    station = StationFactory()
    utc = datetime(2026, 11, 27, 16, 30, tzinfo=ZoneInfo("UTC"))  # 00:30 on the 28th in Beijing
    visit = Visit.objects.create(station=station, rider=rider, created_at=utc)
    assert "2026-11-28 00:30" in str(visit)
    feedback = feedback_submit(station=station, rider=rider, kind="works")
    Feedback.objects.filter(pk=feedback.pk).update(created_at=utc)
    feedback.refresh_from_db()
    assert str(feedback).startswith("2026-11-28 00:30")
