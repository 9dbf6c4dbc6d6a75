"""Issue 15, the 党建 pages as a rider and a clerk meet them: what the page offers, says and refuses."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.utils import timezone

from partybranch.models import Activity, Attendance, AuditEvent, Registration, VolunteerHours
from partybranch.services import attendance_mark_present, registration_cancel, registration_create

from .factories import ActivityFactory, RiderFactory, child, me, spouse

APP = Path(__file__).resolve().parents[2] / "partybranch"


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _rendered_form(html: str) -> dict[str, str]:
    """The fields a browser would send for the sign-up form as rendered (hidden ones included)."""
    form = html[html.index('id="signup"') : html.index("</form>", html.index('id="signup"'))]
    form = re.sub(r"<template.*?</template>", "", form, flags=re.S)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        if not name or " disabled" in tag:
            continue
        value = re.search(r'value="([^"]*)"', tag)
        data[name.group(1)] = value.group(1) if value else ""
    return data


def _days(n: int, hour: int = 19, length: int = 2):
    start = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=n)
    return (start, start + timedelta(hours=length))


@pytest.fixture
def red_class(streets):
    return ActivityFactory(
        street=streets["TJH"],
        kind=Activity.Kind.CLASS,
        title="红驿课堂：骑手安全",
        family_allowed=False,
        child_min_age=None,
        child_max_age=None,
        capacity=2,
    )


# 1. Sign-up for an activity without family places ------------------------------------------------


def test_non_family_signup_posts_what_the_page_renders_and_is_confirmed(client, red_class, rider):
    _login(client, rider)
    html = client.get(f"/activities/{red_class.pk}/").content.decode()
    data = _rendered_form(html)
    assert "family-TOTAL_FORMS" not in data  # no family places: no family formset at all
    data["age"] = "31"
    response = client.post(f"/activities/{red_class.pk}/signup/", data)
    registration = Registration.objects.get(rider=rider)
    assert response.status_code == 302 and response["Location"] == registration.get_absolute_url()
    assert registration.status == "confirmed" and registration.people == 1


def test_non_family_signup_ignores_a_stray_family_formset(client, red_class, rider):
    _login(client, rider)
    response = client.post(f"/activities/{red_class.pk}/signup/", {"age": "31"})
    assert response.status_code == 302 and Registration.objects.get(rider=rider).status == "confirmed"


def test_a_form_error_is_summed_up_above_the_form_and_the_page_brings_it_into_view(client, red_class, rider):
    _login(client, rider)
    response = client.post(f"/activities/{red_class.pk}/signup/", {"age": "300"})
    html = response.content.decode()
    assert response.status_code == 400
    summary = html[html.index('id="signup-errors"') : html.index("</div>", html.index('id="signup-errors"'))]
    assert 'role="alert"' in html and "报名没有成功：" in summary and "本人年龄：" in summary
    js = (APP / "static/partybranch/signup.js").read_text()
    assert "signup-errors" in js and "scrollIntoView" in js and ".focus(" in js


def test_a_family_member_error_says_which_member(client, streets, rider):
    activity = ActivityFactory(street=streets["AYC"], capacity=10)
    _login(client, rider)
    form = {
        "family-TOTAL_FORMS": "2",
        "family-INITIAL_FORMS": "0",
        "family-0-name": "小明",
        "family-0-relationship": "child",
        "family-0-age": "8",
        "family-1-name": "",
        "family-1-relationship": "spouse",
    }
    html = client.post(f"/activities/{activity.pk}/signup/", form).content.decode()
    assert "家属 2 · 姓名：" in html and not Registration.objects.exists()


def test_signing_up_twice_says_so_with_a_way_to_the_first_sign_up(client, red_class, rider):
    registration_create(activity=red_class, rider=rider, people=[me(rider)], actor=rider)
    _login(client, rider)
    response = client.post(f"/activities/{red_class.pk}/signup/", {"age": "31"})
    html = response.content.decode()
    assert response.status_code == 409 and "您已报名该活动。" in html
    assert 'id="signup-errors"' in html and 'id="mine"' in html
    assert Registration.objects.filter(rider=rider).count() == 1


# 2. Upcoming first, past ones apart and closed -------------------------------------------------------


def test_upcoming_soonest_first_by_next_meeting_and_past_ones_in_their_own_section(client, streets):
    series = ActivityFactory(
        street=streets["TJH"], title="每周红驿课堂", sessions=[_days(-13), _days(-6), _days(5), _days(12)]
    )
    soon = ActivityFactory(street=streets["TJH"], title="明后天的家庭日", sessions=[_days(2, 9)])
    over = ActivityFactory(street=streets["TJH"], title="上周的家庭日", sessions=[_days(-7, 9)])
    html = client.get("/activities/").content.decode()
    upcoming = html[html.index('id="activities"') : html.index("</ul>", html.index('id="activities"'))]
    past = html[html.index('id="past-activities"') :]
    assert upcoming.index(soon.title) < upcoming.index(series.title)
    assert over.title not in upcoming and over.title in past and "已结束" in past
    assert html.index('id="activities"') < html.index('id="past-activities"')


def test_a_past_activity_page_has_no_signup_form_and_says_it_has_ended(client, streets, rider):
    over = ActivityFactory(street=streets["TJH"], title="上周的家庭日", sessions=[_days(-7, 9)])
    _login(client, rider)
    html = client.get(f"/activities/{over.pk}/").content.decode()
    assert 'id="signup"' not in html and "该活动已结束，不再接受报名。" in html and "余 " not in html
    response = client.post(f"/activities/{over.pk}/signup/", {"age": "30"})
    assert response.status_code == 400 and "该活动已结束" in response.content.decode()
    assert not Registration.objects.exists()


def test_a_series_under_way_still_takes_sign_ups_for_its_next_meetings(client, streets, rider):
    series = ActivityFactory(street=streets["TJH"], sessions=[_days(-6), _days(1)])
    _login(client, rider)
    html = client.get(f"/activities/{series.pk}/").content.decode()
    assert 'id="signup"' in html and 'class="over"' in html


# 3. A family larger than the places left ---------------------------------------------------------


@pytest.fixture
def two_left(streets):
    activity = ActivityFactory(street=streets["AYC"], title="鸟巢家庭日", capacity=3)
    holder = RiderFactory()
    registration_create(activity=activity, rider=holder, people=[me(holder)], actor=holder)
    return activity


FAMILY_OF_3 = {
    "age": "35",
    "family-TOTAL_FORMS": "2",
    "family-INITIAL_FORMS": "0",
    "family-0-name": "小明",
    "family-0-relationship": "child",
    "family-0-age": "8",
    "family-1-name": "刘女士",
    "family-1-relationship": "spouse",
    "family-1-age": "34",
}


def test_the_form_says_how_many_places_are_left(client, two_left, rider):
    _login(client, rider)
    html = client.get(f"/activities/{two_left.pk}/").content.decode()
    assert "本活动还剩 <strong>2</strong> 个名额。" in html and 'id="family-warning"' in html
    js = (APP / "static/partybranch/signup.js").read_text()
    assert 'getAttribute("data-remaining")' in js and "全家加入候补" in js  # warned live, before submitting


def test_a_family_too_large_is_warned_before_anyone_is_waitlisted(client, two_left, rider):
    _login(client, rider)
    response = client.post(f"/activities/{two_left.pk}/signup/", FAMILY_OF_3)
    html = response.content.decode()
    assert response.status_code == 200 and not Registration.objects.filter(rider=rider).exists()
    assert "只剩 2 个名额，您这次报名共 3 人，放不下全家。" in html
    warning = html[html.index('id="family-warning"') :]
    assert ">只报本人</button>" in warning and 'name="waitlist_ok" value="1" id="waitlist-ok">' in warning
    assert 'value="小明"' in html and 'value="刘女士"' in html  # what they typed is kept


def test_only_me_confirms_the_rider_alone(client, two_left, rider):
    _login(client, rider)
    response = client.post(f"/activities/{two_left.pk}/signup/", {**FAMILY_OF_3, "only_me": "1"})
    registration = Registration.objects.get(rider=rider)
    assert response.status_code == 302 and registration.status == "confirmed" and registration.people == 1
    assert [p.relationship for p in registration.persons.all()] == ["self"]


def test_the_whole_family_waitlisted_knowingly_sees_the_true_reason_and_the_position(client, two_left, rider):
    _login(client, rider)
    response = client.post(f"/activities/{two_left.pk}/signup/", {**FAMILY_OF_3, "waitlist_ok": "1"})
    registration = Registration.objects.get(rider=rider)
    assert registration.status == "waitlisted" and registration.people == 3
    html = client.get(response["Location"]).content.decode()
    assert "候补第 1 位" in html
    assert "报名时只剩 2 个名额，不够您这次报名的 3 人，所以全家一起候补。" in html
    assert "名额已满" not in html


def test_waitlist_positions_move_up_when_someone_ahead_cancels(client, streets, rider, rider_b):
    full = ActivityFactory(street=streets["AYC"], capacity=2)
    holder = RiderFactory()
    registration_create(activity=full, rider=holder, people=[me(holder), spouse()], actor=holder)
    first = registration_create(activity=full, rider=rider_b, people=[me(rider_b), spouse()], actor=rider_b)
    mine = registration_create(activity=full, rider=rider, people=[me(rider)], actor=rider)
    _login(client, rider)
    html = client.get(mine.get_absolute_url()).content.decode()
    assert "候补第 2 位" in html and "报名时名额已满。" in html
    registration_cancel(registration=first, actor=rider_b)
    assert "候补第 1 位" in client.get(mine.get_absolute_url()).content.decode()
    holder_reg = Registration.objects.get(rider=holder)
    registration_cancel(registration=holder_reg, actor=holder)  # a place: the first in line moves up
    html = client.get(mine.get_absolute_url()).content.decode()
    assert "已确认" in html and 'id="qr"' in html


# 4. The clerk's manual 到场 on the check-in sheet -----------------------------------------------------


@pytest.fixture
def sj_today(streets, rider):
    now = timezone.now()
    activity = ActivityFactory(
        street=streets["SJ"], title="双井家庭日", sessions=[(now - timedelta(minutes=30), now + timedelta(hours=2))]
    )
    registration = registration_create(activity=activity, rider=rider, people=[me(rider), child()], actor=rider)
    return activity, registration


def test_the_sheet_offers_a_manual_present_button_that_marks_one_person(admin_client_for, staff_a, sj_today):
    activity, registration = sj_today
    session = activity.sessions.get()
    kid = registration.persons.get(relationship="child")
    client = admin_client_for(staff_a)
    url = f"/admin/partybranch/session/{session.pk}/sheet/"
    html = client.get(url).content.decode()
    assert html.count(">到场</button>") == 2 and "已到 0 / 2 人" in html
    response = client.post(url, {"person": kid.pk})
    assert response.status_code == 302 and response["Location"] == url
    attendance = Attendance.objects.get()
    assert attendance.person == kid and attendance.by == staff_a
    html = client.get(url).content.decode()
    assert "已到 1 / 2 人" in html and "已标记到场：小明。" in html and html.count(">到场</button>") == 1
    assert client.post(url, {"person": kid.pk}).status_code == 302 and Attendance.objects.count() == 1
    event = AuditEvent.objects.get(verb="checked_in")
    assert event.detail == {"session": session.pk, "people": 1, "manual": True}


def test_only_the_streets_clerks_may_mark_present(admin_client_for, staff_b, analyst, sj_today):
    activity, registration = sj_today
    session = activity.sessions.get()
    person = registration.persons.first()
    url = f"/admin/partybranch/session/{session.pk}/sheet/"
    assert admin_client_for(staff_b).post(url, {"person": person.pk}).status_code == 404
    html = admin_client_for(analyst).get(url).content.decode()
    assert ">到场</button>" not in html
    assert admin_client_for(analyst).post(url, {"person": person.pk}).status_code == 403
    assert not Attendance.objects.exists()


def test_manual_present_for_a_volunteer_records_staff_hours(streets, rider, staff_a):
    start, end = _days(-1, 11)
    service = ActivityFactory(
        street=streets["SJ"], kind=Activity.Kind.VOLUNTEER, family_allowed=False, sessions=[(start, end)]
    )
    with time_machine.travel(start - timedelta(hours=1), tick=False):
        registration = registration_create(activity=service, rider=rider, people=[me(rider)], actor=rider)
    session = service.sessions.get()
    attendance_mark_present(session=session, person=registration.persons.get(), actor=staff_a)
    hours = VolunteerHours.objects.get()
    assert (hours.source, hours.status, hours.hours, hours.reviewed_by) == ("staff", "approved", 2, staff_a)


def test_manual_present_is_refused_before_the_check_in_window(streets, rider, staff_a):
    activity = ActivityFactory(street=streets["SJ"], sessions=[_days(3, 9)])
    registration = registration_create(activity=activity, rider=rider, people=[me(rider)], actor=rider)
    from chaoyang_friendly.errors import ApplicationError

    with pytest.raises(ApplicationError, match="签到时间"):
        attendance_mark_present(session=activity.sessions.get(), person=registration.persons.get(), actor=staff_a)


# 5. Admin: readable events, Beijing times ------------------------------------------------------------


def test_registration_admin_shows_its_events_in_words_and_beijing_time(admin_client_for, staff_a, streets, rider):
    activity = ActivityFactory(street=streets["SJ"], capacity=10)
    with time_machine.travel(datetime(2026, 5, 1, 1, 30, tzinfo=UTC), tick=False):
        registration = registration_create(activity=activity, rider=rider, people=[me(rider), child()], actor=rider)
    event = AuditEvent.objects.get(registration=registration)
    assert str(event).startswith("2026-05-01 09:30")
    html = admin_client_for(staff_a).get(f"/admin/partybranch/registration/{registration.pk}/change/").content.decode()
    assert "操作记录" in html and "2026年5月1日 09:30" in html
    assert "人数：2；报名时剩余名额：10" in html
    assert '{"people"' not in html and "&quot;people&quot;" not in html and "01:30" not in html


# 6. Words and tap targets ------------------------------------------------------------------------------

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


def test_partybranch_js_has_no_chinese_outside_the_catalog():
    for path in (APP / "static/partybranch").glob("*.js"):
        code = re.sub(r"//[^\n]*", "", path.read_text())
        code = re.sub(r'gettext\("(?:[^"\\]|\\.)*"\)', "", code)
        assert not CJK.search(code), f"{path.name}: {CJK.findall(code)[:10]}"


def test_partybranch_templates_use_full_width_punctuation_after_chinese():
    bad = re.compile(r"[\u4e00-\u9fff][,.:;!?()]")
    for path in (APP / "templates").rglob("*.html"):
        text = re.sub(
            r"\{[{%].*?[%}]\}", lambda m: "" if "translate" not in m.group(0) else m.group(0), path.read_text()
        )
        assert not bad.search(text), f"{path.name}: {bad.findall(text)}"


def test_datetime_inputs_keep_their_value_and_are_styled_large(client, rider):
    _login(client, rider)
    response = client.post("/activities/hours/", {"start": "2026-05-01T09:00", "end": "bad"})
    html = response.content.decode()
    assert response.status_code == 400 and 'type="datetime-local"' in html and 'value="2026-05-01T09:00"' in html
    assert "服务队：</label>" in html and "开始：</label>" in html
    css = (APP / "static/partybranch/partybranch.css").read_text()
    assert "input[type=datetime-local]" in css and ".back" in css
