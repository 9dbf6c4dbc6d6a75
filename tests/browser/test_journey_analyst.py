"""A district analyst on a 1366×768 screen, through the pages only (issue 15): log in at /admin/login/, open the
dashboard from the admin index, read the map's legend and a popup, download riders.csv from the analytics
page and find its header and its occupations readable; a bad date range is said in words; log out."""

import csv
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone
from playwright.sync_api import expect

from accounts.models import RiderProfile, Role, User
from reports.services import categories_ensure
from tests.browser.conftest import in_viewport
from tests.conftest import STAFF_PASSWORD
from tests.reports.factories import ReportFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_analyst_reads_the_dashboard_and_downloads_a_readable_export(
    streets, rider, analyst, clerk_page, live_server, shot, tmp_path
):
    analyst.user_permissions.add(Permission.objects.get(codename="export_personal_data"))
    for i, (occupation, code) in enumerate([("courier", "SJ"), ("ride_hailing", "DH")]):
        user = User.objects.create_user(f"1350000000{i}", role=Role.RIDER, name=f"骑手{i}")
        RiderProfile.objects.create(user=user, occupation=occupation, platform="顺丰", work_street=streets[code])
    manhole = next(c for c in categories_ensure() if c.code == "manhole")
    for _ in range(3):
        ReportFactory(reporter=rider, street=streets["SJ"], category=manhole, point=streets["SJ"].centre)
    page = clerk_page

    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", analyst.phone)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    expect(page.locator("#user-tools")).to_contain_text("区分析员")
    expect(page.locator("#user-tools")).to_contain_text("全区")
    shot(page, "index")

    # The dashboard from the index: its own header, the user, 退出; the map with a legend and popups.
    page.get_by_role("link", name="统计看板").click()
    page.wait_for_url("**/analytics/dashboard/")
    expect(page.locator("#site-name")).to_have_text("友好朝阳 数据分析")
    expect(page.locator("#user-tools")).to_contain_text("区分析员")
    expect(page.locator("#logout-form button")).to_have_text("退出")
    page.wait_for_selector("#an-map[data-drawn='1']")
    page.locator("#an-map").scroll_into_view_if_needed()
    legend = page.locator(".an-legend")
    expect(legend).to_contain_text("图例")
    expect(legend).to_contain_text("15分钟服务圈未覆盖的区域")
    expect(legend).to_contain_text("随手拍热点")
    assert in_viewport(page, ".an-legend")
    page.wait_for_selector("#an-map[data-gaps-drawn='1']")
    page.locator('#an-map path.leaflet-interactive[stroke="#1a73e8"]').first.click()
    expect(page.locator(".leaflet-popup-content")).to_contain_text("这里附近有 3 条随手拍")
    shot(page, "dashboard_hotspot_popup")
    page.locator('#an-map path.leaflet-interactive[stroke="#d93025"]').last.click(force=True)
    expect(page.locator(".leaflet-popup-content").last).to_contain_text("覆盖率：")
    shot(page, "dashboard_map")

    # The exports page: a date range the wrong way round is refused in words, not a blank download.
    page.get_by_role("link", name="统计分析", exact=True).click()
    page.wait_for_url("**/analytics/")
    today = timezone.localdate()
    page.fill("input[name=date_from]", today.isoformat())
    page.fill("input[name=date_to]", (today - timedelta(days=7)).isoformat())
    page.dispatch_event("#export-filters", "change")
    page.get_by_role("link", name="riders.csv").click()
    expect(page.locator("#export-error")).to_contain_text("开始日期（date_from）不能晚于结束日期（date_to）。")
    assert in_viewport(page, "#export-error")
    shot(page, "bad_range")

    # riders.csv through the page: a header and occupations people read.
    page.fill("input[name=date_from]", "")
    page.fill("input[name=date_to]", "")
    page.dispatch_event("#export-filters", "change")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="riders.csv").click()
    download = download_info.value
    assert download.suggested_filename.startswith("riders-") and download.suggested_filename.endswith(".csv")
    target = tmp_path / "riders.csv"
    download.save_as(target)
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    assert rows[0] == ["编号", "手机号", "称呼", "职业", "平台/雇主", "工作街道", "登记时间"]
    occupations = {r[3] for r in rows[1:]}
    assert {"快递员", "网约车司机"} <= occupations and not occupations & {"courier", "ride_hailing"}
    assert "13500000000" in {r[1] for r in rows[1:]}  # the export permission unmasks phones
    shot(page, "exports")

    # 退出 is a POST form; afterwards the pages ask for a login again.
    page.click("#logout-form button")
    expect(page.locator("body")).to_contain_text("登录")
    page.goto(f"{live_server.url}/analytics/")
    expect(page.locator("#id_username")).to_be_visible()
    shot(page, "logged_out")
