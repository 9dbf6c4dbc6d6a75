"""A 双井 street clerk at a 1366×768 office screen keeps a station's hours with the weekday/time editor (and
is stopped by an impossible time range), and answers a rider's feedback; the rider, on a 360×740 phone, reads
the hours in plain Chinese and the street's reply on the station page (issue #15)."""

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import Page, expect

from stations.models import Feedback, Station
from tests.conftest import STAFF_PASSWORD

from .conftest import in_viewport

pytestmark = pytest.mark.django_db(transaction=True)


def _admin_login(page: Page, live_server, phone: str) -> None:
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", phone)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_clerk_edits_hours_with_the_editor_and_answers_feedback(
    clerk_page, phone_page, live_server, streets, staff_a, rider, login_rider, shot
):
    station = Station.objects.create(
        name="二十二院街小哥加油站",
        point=Point(116.4665, 39.8935, srid=4326),
        street=streets["SJ"],
        opening_hours="Mo-Su 10:00-22:00",
    )
    clerk = clerk_page
    _admin_login(clerk, live_server, staff_a.phone)
    shot(clerk, "admin_index")

    # The station's page in the admin: the editor shows the hours as days and times.
    clerk.goto(f"{live_server.url}/admin/stations/station/")
    clerk.click(f"text={station.name}")
    editor = clerk.locator(".hours-editor")
    editor.wait_for()
    group = editor.locator(".hours-group").first
    expect(group.locator(".hours-day[data-day='6']")).to_be_checked()
    expect(group.locator(".hours-start")).to_have_value("10:00")
    editor.scroll_into_view_if_needed()
    shot(clerk, "editor_loaded")

    # Weekdays only, 9:00 to 21:00, closed on public holidays.
    group.locator(".hours-day[data-day='5']").uncheck()
    group.locator(".hours-day[data-day='6']").uncheck()
    group.locator(".hours-start").fill("09:00")
    group.locator(".hours-end").fill("21:00")
    editor.locator(".hours-holiday-off").check()
    expect(clerk.locator("#id_opening_hours")).to_have_value("Mo-Fr 09:00-21:00; PH off")

    # Error path: an end before the start is pointed out beside the row, and saving stops there.
    group.locator(".hours-end").fill("08:00")
    error = group.locator(".hours-error")
    expect(error).to_be_visible()
    assert "早于开始时间" in error.inner_text()
    clerk.click("input[name=_save]")
    expect(error).to_be_visible()
    assert clerk.url.endswith(f"/admin/stations/station/{station.pk}/change/")
    assert in_viewport(clerk, ".hours-group .hours-error")
    assert clerk.evaluate("document.activeElement.classList.contains('hours-end')")
    shot(clerk, "editor_error")
    station.refresh_from_db()
    assert station.opening_hours == "Mo-Su 10:00-22:00"

    group.locator(".hours-end").fill("21:00")
    expect(error).to_be_hidden()
    expect(clerk.locator("#id_opening_hours")).to_have_value("Mo-Fr 09:00-21:00; PH off")
    shot(clerk, "editor_filled")
    clerk.click("input[name=_save]")
    clerk.wait_for_url(f"{live_server.url}/admin/stations/station/")
    expect(clerk.locator(".messagelist .success")).to_be_visible()
    shot(clerk, "saved")
    station.refresh_from_db()
    assert station.opening_hours == "Mo-Fr 09:00-21:00; PH off"

    # The rider reads the hours in plain Chinese and leaves feedback.
    phone = phone_page
    login_rider(phone, rider.phone)
    phone.goto(f"{live_server.url}/stations/{station.pk}/")
    hours = phone.locator("#station-hours")
    expect(hours).to_contain_text("周一至周五 9:00–21:00，节假日休息")
    assert "Mo-Fr" not in phone.inner_text("body")
    hours.scroll_into_view_if_needed()
    assert in_viewport(phone, "#station-hours")
    shot(phone, "rider_hours")

    phone.locator("input[name=kind][value=broken]").check()
    phone.fill("textarea[name=comment]", "充电插座坏了")
    phone.click("form[action$='/feedback/'] button")
    phone.wait_for_url(f"{live_server.url}/stations/{station.pk}/")
    expect(phone.locator("#my-feedback")).to_contain_text("待处理")
    shot(phone, "rider_feedback_sent")

    # The clerk finds it among the feedback to handle, marks it handled and replies.
    clerk.goto(f"{live_server.url}/admin/stations/feedback/?status__exact=pending")
    clerk.click("#result_list tbody tr th a")
    clerk.wait_for_selector("#id_status")
    assert "充电插座坏了" in clerk.inner_text("#content")
    clerk.select_option("#id_status", "handled")
    clerk.fill("#id_reply", "已安排换新插座，明天可以用了，谢谢您！")
    shot(clerk, "feedback_reply")
    clerk.click("input[name=_save]")
    clerk.wait_for_url(f"{live_server.url}/admin/stations/feedback/?status__exact=pending")
    expect(clerk.locator(".messagelist .success")).to_be_visible()
    shot(clerk, "feedback_handled")
    feedback = Feedback.objects.get()
    assert feedback.status == Feedback.Status.HANDLED and feedback.assignee == staff_a

    # The rider sees the answer on the station page.
    phone.reload()
    mine = phone.locator("#my-feedback")
    expect(mine).to_contain_text("已处理")
    expect(mine).to_contain_text("街道回复：已安排换新插座，明天可以用了，谢谢您！")
    mine.scroll_into_view_if_needed()
    assert in_viewport(phone, "#my-feedback .feedback-reply")
    shot(phone, "rider_sees_reply")
