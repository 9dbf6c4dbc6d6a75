"""Issue 15: the 党建与家庭活动 journeys in Chromium, through the pages only. A rider on a phone (360×740)
signs up with and without family, meets the family-too-large warning, the waitlist and a second sign-up;
declares volunteer hours; a street clerk (1366×768, /admin/) approves them and marks 到场 by hand."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from partybranch.models import Activity, Attendance, Registration, RegistrationPerson, VolunteerHours
from partybranch.services import registration_create
from tests.browser.conftest import in_viewport
from tests.conftest import STAFF_PASSWORD
from tests.partybranch.factories import ActivityFactory, RiderFactory, TeamFactory, child, me, spouse

pytestmark = pytest.mark.django_db(transaction=True)


def _days(n: int, hour: int = 19, length: int = 2):
    start = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0) + timedelta(days=n)
    return [(start, start + timedelta(hours=length))]


def _visible_text(page: Page, selector: str) -> str:
    assert in_viewport(page, selector), f"{selector} is not where the person looks"
    return page.inner_text(selector)


def _tap_targets_under_44(page: Page, selector: str) -> list[str]:
    return page.evaluate(
        """(sel) => [...document.querySelectorAll(sel)].filter(el => {
              const r = el.getBoundingClientRect();
              return r.width > 0 && (r.width < 43.5 || r.height < 43.5);
           }).map(el => el.outerHTML.slice(0, 80) + ' ' + el.getBoundingClientRect().height)""",
        selector,
    )


def _clerk_login(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", user.phone)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit], button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")


def test_family_signup_on_a_phone(streets, rider, phone_page, login_rider, live_server, shot):
    series = ActivityFactory(
        street=streets["AYC"],
        kind=Activity.Kind.CLASS,
        title="每周红驿课堂",
        family_allowed=False,
        sessions=_days(-13) + _days(-6) + _days(5),
    )
    family_day = ActivityFactory(
        street=streets["AYC"], title="乐游北京·鸟巢家庭日", capacity=10, sessions=_days(2, 9, 6)
    )
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/activities/")
    titles = page.locator("#activities li strong").all_inner_texts()
    assert titles.index(family_day.title) < titles.index(series.title)  # soonest first, by the next meeting
    shot(page, "list")
    page.click(f"text={family_day.title}")
    page.wait_for_selector("#signup")
    assert "本活动还剩 10 个名额。家属也占名额。" in page.inner_text("#places-left")
    assert not _tap_targets_under_44(page, "a.back, #add-person, #signup-submit, .nav-links a")
    page.fill("#id_age", "36")
    page.click("#add-person")
    page.fill("#id_family-0-name", "王小明")
    page.select_option("#id_family-0-relationship", "child")
    page.fill("#id_family-0-age", "8")
    page.click("#add-person")
    page.fill("#id_family-1-name", "刘女士")
    page.select_option("#id_family-1-relationship", "spouse")
    assert page.inner_text("#family .person:nth-child(2) legend") == "家属 2"
    assert page.locator("#family-warning").is_hidden()  # three people, ten places: nothing to warn about
    page.locator("#signup-submit").scroll_into_view_if_needed()
    assert page.inner_text("#signup-submit") == "提交报名" and page.is_enabled("#signup-submit")
    shot(page, "family_filled")
    page.click("#signup-submit")
    page.wait_for_selector("#qr svg")
    assert "报名成功" in _visible_text(page, ".messages")
    assert _visible_text(page, "#status") == "已确认"
    assert "王小明" in page.inner_text("#persons") and "刘女士" in page.inner_text("#persons")
    shot(page, "confirmed_qr")
    registration = Registration.objects.get(rider=rider)
    assert (registration.activity, registration.people, registration.status) == (family_day, 3, "confirmed")


def test_non_family_signup_past_activity_closed_and_signing_up_twice(
    streets, rider, phone_page, login_rider, live_server, shot
):
    over = ActivityFactory(street=streets["TJH"], title="上周的红驿课堂", family_allowed=False, sessions=_days(-7))
    red_class = ActivityFactory(
        street=streets["TJH"],
        kind=Activity.Kind.CLASS,
        title="红驿课堂：骑手安全与法律权益",
        family_allowed=False,
        child_min_age=None,
        child_max_age=None,
        capacity=40,
        sessions=_days(1),
    )
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/activities/")
    assert over.title not in page.inner_text("#activities")
    page.locator("#past-activities").scroll_into_view_if_needed()
    assert over.title in _visible_text(page, "#past-activities")
    shot(page, "past_section")
    page.click(f"#past-activities >> text={over.title}")
    page.wait_for_selector("#signup-closed")
    shot(page, "past_closed")
    assert "该活动已结束，不再接受报名。" in _visible_text(page, "#signup-closed")
    assert page.locator("#signup").count() == 0

    page.goto(f"{live_server.url}/activities/{red_class.pk}/")
    page.wait_for_selector("#signup")
    assert page.locator("#add-person").count() == 0  # no family places, no family form
    other_tab = page.context.new_page()  # the same page left open in a second tab
    other_tab.goto(f"{live_server.url}/activities/{red_class.pk}/")
    page.fill("#id_age", "29")
    shot(page, "form")
    page.click("#signup-submit")
    page.wait_for_selector("#qr svg")
    assert "报名成功" in _visible_text(page, ".messages") and _visible_text(page, "#status") == "已确认"
    shot(page, "confirmed")

    # Error path: the old tab submits again.
    other_tab.set_viewport_size({"width": 360, "height": 740})
    other_tab.fill("#id_age", "29")
    other_tab.click("#signup-submit")
    other_tab.wait_for_selector("#signup-errors")
    assert "您已报名该活动。" in _visible_text(other_tab, "#signup-errors")
    assert other_tab.evaluate("document.activeElement.id") == "signup-errors"
    assert other_tab.is_visible("#mine")
    shot(other_tab, "signed_up_twice")
    other_tab.click("#mine")
    other_tab.wait_for_selector("#qr svg")
    assert Registration.objects.filter(rider=rider).count() == 1


def test_family_too_large_is_warned_and_only_me_is_offered(streets, rider, phone_page, login_rider, live_server, shot):
    activity = ActivityFactory(street=streets["AYC"], title="鸟巢水立方家庭日", capacity=3)
    holder = RiderFactory()
    registration_create(activity=activity, rider=holder, people=[me(holder)], actor=holder)
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/activities/{activity.pk}/")
    page.wait_for_selector("#signup")
    page.locator("#places-left").scroll_into_view_if_needed()
    assert "本活动还剩 2 个名额。" in _visible_text(page, "#places-left")
    page.fill("#id_age", "35")
    page.click("#add-person")
    page.fill("#id_family-0-name", "小明")
    page.select_option("#id_family-0-relationship", "child")
    page.fill("#id_family-0-age", "8")
    assert page.locator("#family-warning").is_hidden()
    page.click("#add-person")
    page.fill("#id_family-1-name", "刘女士")
    page.select_option("#id_family-1-relationship", "spouse")
    page.locator("#signup-submit").scroll_into_view_if_needed()
    warning = _visible_text(page, "#family-warning")
    assert "只剩 2 个名额，您这次报名共 3 人，放不下全家。" in warning
    assert page.is_visible("#only-me") and page.inner_text("#only-me") == "只报本人"
    assert page.inner_text("#signup-submit") == "全家加入候补"
    # the warning sits above the buttons, where the thumb goes
    assert page.locator("#family-warning").bounding_box()["y"] < page.locator("#signup-submit").bounding_box()["y"]
    shot(page, "warning")
    page.click("#family .person:nth-child(2) .remove-person")
    assert page.locator("#family-warning").is_hidden() and page.inner_text("#signup-submit") == "提交报名"
    page.click("#add-person")
    page.fill("#id_family-1-name", "刘女士")
    page.select_option("#id_family-1-relationship", "spouse")
    assert page.is_visible("#family-warning")
    page.click("#only-me")
    page.wait_for_selector("#qr svg")
    assert _visible_text(page, "#status") == "已确认"
    assert page.locator("#persons li").count() == 1  # the rider alone
    shot(page, "only_me_confirmed")
    registration = Registration.objects.get(rider=rider)
    assert (registration.people, registration.status) == (1, "confirmed")


def test_full_activity_waitlist_with_position_then_a_cancellation_moves_it_up(
    streets, rider, rider_b, browser, phone_page, login_rider, live_server, shot
):
    activity = ActivityFactory(street=streets["AYC"], title="故宫一日游", capacity=2)
    registration_create(activity=activity, rider=rider_b, people=[me(rider_b), spouse()], actor=rider_b)
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/activities/")
    assert "已满·可候补" in page.inner_text("#activities")
    page.click("text=故宫一日游")
    page.wait_for_selector("#signup")
    assert "名额已满，提交后进入候补" in page.inner_text("#places-left")
    page.fill("#id_age", "40")
    page.locator("#signup-submit").scroll_into_view_if_needed()
    assert page.inner_text("#signup-submit") == "加入候补"
    shot(page, "full")
    page.click("#signup-submit")
    page.wait_for_selector("#waitlist")
    assert _visible_text(page, "#status") == "候补中"
    waitlist = _visible_text(page, "#waitlist")
    assert "候补第 1 位" in waitlist and "报名时名额已满。" in waitlist
    shot(page, "waitlisted")

    # rider_b, on another phone, cancels; the place goes to the first in line
    other = browser.new_context(viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True, locale="zh-CN")
    try:
        b_page = other.new_page()
        login_rider(b_page, rider_b.phone)
        b_page.goto(f"{live_server.url}/activities/mine/")
        b_page.click("text=故宫一日游")
        b_page.on("dialog", lambda dialog: dialog.accept())
        b_page.click("text=取消报名")
        b_page.wait_for_url(f"{live_server.url}/activities/mine/")
        assert "已取消报名。" in _visible_text(b_page, ".messages")
        shot(b_page, "other_cancelled")
    finally:
        other.close()

    page.reload()
    page.wait_for_selector("#qr svg")
    assert _visible_text(page, "#status") == "已确认"
    shot(page, "moved_up")
    # and the rider can step back too
    page.on("dialog", lambda dialog: dialog.accept())
    page.click("text=取消报名")
    page.wait_for_url(f"{live_server.url}/activities/mine/")
    assert "已取消" in page.inner_text(".list")
    shot(page, "cancelled")


def test_volunteer_hours_declared_by_the_rider_and_approved_by_the_clerk(
    streets, rider, staff_a, phone_page, clerk_page, login_rider, live_server, shot
):
    TeamFactory(street=streets["SJ"], name="双井骑手团")
    yesterday = timezone.localtime() - timedelta(days=1)
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/activities/hours/")
    assert "还没有服务记录。" in page.inner_text(".list")
    assert not _tap_targets_under_44(page, "#declare input:not([type=hidden]), #declare select, #declare button")
    shot(page, "empty")
    page.select_option("#id_team", label="双井骑手团")
    page.fill("#id_start", yesterday.strftime("%Y-%m-%dT12:00"))
    page.fill("#id_end", yesterday.strftime("%Y-%m-%dT09:00"))
    page.fill("#id_note", "老年食堂送餐")
    page.click("#declare button")
    # Error path: the end before the start is said next to the form, in view
    page.wait_for_selector("#declare .errorlist")
    assert "结束时间必须晚于开始时间。" in _visible_text(page, "#declare .errorlist")
    shot(page, "end_before_start")
    page.fill("#id_start", yesterday.strftime("%Y-%m-%dT09:00"))
    page.fill("#id_end", yesterday.strftime("%Y-%m-%dT12:00"))
    page.click("#declare button")
    page.wait_for_selector(".messages")
    assert "已提交，审核通过后计入服务时长。" in _visible_text(page, ".messages")
    assert "另有 3 小时待审核" in _visible_text(page, "#totals")
    assert "待审核" in page.inner_text(".list")
    shot(page, "pending")

    clerk = clerk_page
    _clerk_login(clerk, live_server, staff_a)
    clerk.goto(f"{live_server.url}/admin/partybranch/volunteerhours/?queue=1")
    assert "王师傅" in clerk.inner_text("#result_list")
    shot(clerk, "queue")
    clerk.check("#result_list input.action-select")
    clerk.select_option("select[name=action]", "approve_selected")
    clerk.click("button[name=index], input[name=index]")
    shot(clerk, "approved")
    assert "已通过 1 条服务时长。" in _visible_text(clerk, ".messagelist")
    hours = VolunteerHours.objects.get()
    assert (hours.status, hours.reviewed_by) == ("approved", staff_a)
    clerk.goto(f"{live_server.url}/admin/partybranch/volunteerhours/{hours.pk}/change/")
    assert "时长审核通过" in clerk.inner_text("body") and '{"' not in clerk.inner_text("body")

    page.reload()
    assert "3 小时（已认定）" in _visible_text(page, "#totals")
    assert "已通过" in page.inner_text(".list")
    shot(page, "approved")


def test_clerk_marks_present_by_hand_on_the_check_in_sheet(streets, rider, staff_a, clerk_page, live_server, shot):
    now = timezone.now()
    activity = ActivityFactory(
        street=streets["SJ"], title="双井家庭日", sessions=[(now - timedelta(minutes=30), now + timedelta(hours=2))]
    )
    registration_create(activity=activity, rider=rider, people=[me(rider), child("小明", 8)], actor=rider)
    session = activity.sessions.get()
    page = clerk_page
    _clerk_login(page, live_server, staff_a)
    page.goto(f"{live_server.url}/admin/partybranch/activity/{activity.pk}/change/")
    local_start = timezone.localtime(session.start)
    assert f"{local_start:%m-%d %H:%M}" in page.inner_text("#sessions-group")  # the inline title in Beijing time
    page.click("#sessions-group a:has-text('签到表')")
    page.wait_for_selector("#sheet")
    assert "已到 0 / 2 人" in _visible_text(page, "#sheet-count")
    shot(page, "sheet")
    kid = RegistrationPerson.objects.get(name="小明")
    page.click(f"#person-{kid.pk} button")
    shot(page, "marked")
    assert "已标记到场：小明。" in _visible_text(page, ".messagelist")
    assert "已到 1 / 2 人" in page.inner_text("#sheet-count")
    assert "✓" in page.inner_text(f"#person-{kid.pk}")
    assert Attendance.objects.get().by == staff_a
    # The registration's history reads as words, in Beijing time
    page.goto(f"{live_server.url}/admin/partybranch/registration/{Registration.objects.get().pk}/change/")
    text = page.inner_text("body")
    assert "人数：2；报名时剩余名额：10" in text and "方式：工作人员手动标记" in text and '{"' not in text
    page.locator("#events-group").scroll_into_view_if_needed()
    assert in_viewport(page, "#events-group")
    shot(page, "history")
