"""A street clerk's morning on a 1366×768 office screen, through the pages only (issue 15): log in at
/admin/login/ (a wrong password first), read the work counts on the index, open the overdue 随手拍 from its
count, see the overdue report first with a red 已超时 mark and the others with 剩余 minutes, and never see
another street's reports."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from reports.models import Report, ResponseTeam
from reports.services import categories_ensure
from tests.browser.conftest import in_viewport
from tests.conftest import STAFF_PASSWORD
from tests.reports.factories import ReportFactory

pytestmark = pytest.mark.django_db(transaction=True)


def _report(streets, rider, category, code: str, minutes_ago: int, description: str) -> Report:
    created = timezone.now() - timedelta(minutes=minutes_ago)
    report = ReportFactory(
        reporter=rider,
        street=streets[code],
        category=category,
        point=streets[code].centre,
        description=description,
        status=Report.Status.ROUTED,
        routed_at=created,
        arrival_due_at=created + timedelta(minutes=category.arrival_sla_minutes),
        resolve_due_at=created + timedelta(minutes=category.resolution_sla_minutes),
    )
    Report.objects.filter(pk=report.pk).update(created_at=created)
    return report


def test_a_street_clerk_works_the_overdue_queue_first(streets, rider, staff_a, clerk_page, live_server, shot):
    categories = {c.code: c for c in categories_ensure()}
    on_time = _report(streets, rider, categories["road_damage"], "SJ", 5, "双井路面坑洼")
    overdue = _report(streets, rider, categories["manhole"], "SJ", 50, "双井井盖缺失")
    elsewhere = _report(streets, rider, categories["manhole"], "SLT", 90, "三里屯井盖缺失")
    team = ResponseTeam.objects.create(street=streets["SJ"], name="双井街道应急队", sms_phone="13700000002")
    page = clerk_page

    # A wrong password: the error is on screen, next to the form.
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", staff_a.phone)
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    error = page.locator(".errornote")
    expect(error).to_be_visible()
    assert in_viewport(page, ".errornote")
    shot(page, "wrong_password")

    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")

    # The index: greeted by name, street and role; the work counts first, on screen.
    tools = page.locator("#user-tools")
    expect(tools).to_contain_text("双井工作人员")
    expect(tools).to_contain_text("双井街道 · 街道工作人员")
    assert staff_a.phone not in tools.inner_text()
    count = page.locator("#work-reports_overdue")
    expect(count).to_contain_text("超时未处置的随手拍")
    expect(count.locator(".n")).to_have_text("1")  # 三里屯's overdue report is not 双井's work
    assert in_viewport(page, "#work-reports_overdue")
    expect(page.get_by_role("link", name="驿站二维码打印页")).to_be_visible()
    shot(page, "index_counts")

    # From the count to the overdue list: the overdue report, red, with how late it is.
    count.click()
    page.wait_for_url("**/admin/reports/report/?overdue=yes")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(1)
    mark = rows.first.locator(".report-sla-overdue")
    expect(mark).to_contain_text("已超时")
    expect(mark).to_contain_text("分钟")
    assert mark.evaluate("el => getComputedStyle(el).color") == "rgb(197, 34, 31)"
    assert in_viewport(page, "#result_list tbody tr .report-sla-overdue")
    shot(page, "overdue_list")

    # The whole queue: overdue first, then the least time left; the list on screen, the map folded below.
    page.goto(f"{live_server.url}/admin/reports/report/")
    rows = page.locator("#result_list tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text(f"{overdue.pk}")
    expect(rows.nth(0).locator(".report-sla-overdue")).to_be_visible()
    expect(rows.nth(1)).to_contain_text(f"{on_time.pk}")
    expect(rows.nth(1).locator(".report-sla-left")).to_contain_text(re.compile(r"剩余 \d+ 分钟"))
    assert in_viewport(page, "#result_list tbody tr:nth-child(2)")
    assert "三里屯" not in page.locator("#result_list").inner_text()
    options = page.locator("select[name=action] option").all_inner_texts()
    assert not [o for o in options if "删除" in o], options
    expect(page.locator("#reports-map-fold")).not_to_have_attribute("open", "")
    shot(page, "queue")

    # The map unfolds on demand, with its legend.
    page.click("#reports-map-fold summary")
    page.wait_for_selector("#reports-queue-map[data-drawn='1']")
    expect(page.locator(".reports-map-legend")).to_contain_text("已超时")
    shot(page, "queue_map")

    # Another street's report, typed into the address bar: not shown.
    page.goto(f"{live_server.url}/admin/reports/report/{elsewhere.pk}/change/")
    assert "三里屯井盖缺失" not in page.content()
    expect(page.locator(".messagelist")).to_be_visible()
    shot(page, "other_street")

    # The street's response team: the two-box category picker speaks Chinese.
    page.goto(f"{live_server.url}/admin/reports/responseteam/{team.pk}/change/")
    picker = page.locator(".selector").first
    expect(picker).to_contain_text("全部选择")
    expect(picker).to_contain_text("可用")
    assert "Choose" not in picker.inner_text() and "Remove" not in picker.inner_text()
    shot(page, "team_categories")
