"""The rider's login journey on a phone, through the pages only: the header's 登录, a malformed phone, a
wrong code, the right code; then the home that knows them and 我的, their hub."""

import pytest

from accounts.sms import read_sms_files
from tests.browser.conftest import in_viewport
from tests.browser.rider_pages import MAP_PAGES, rider_world, visit_every_page

pytestmark = pytest.mark.django_db(transaction=True)


def _code_from_sms(phone: str) -> str:
    text = read_sms_files(phone)[-1]["text"]
    return "".join(ch for ch in text.split("验证码是")[1] if ch.isdigit())[:6]


def test_a_rider_logs_in_by_sms_with_mistakes_and_lands_on_a_home_that_knows_them(
    streets, rider, rider_b, phone_page, live_server, shot
):
    rider_world(streets, rider, rider_b)
    page = phone_page
    page.goto(f"{live_server.url}/")
    assert page.get_by_role("heading", name="新就业群体友好服务").is_visible()
    assert in_viewport(page, "#login-invite")
    shot(page, "anonymous-home")

    login = page.locator("header").get_by_role("link", name="登录", exact=True)
    box = login.bounding_box()
    assert box is not None and box["width"] >= 44 and box["height"] >= 44  # it was 32×19
    login.tap()
    page.wait_for_selector("#id_phone")

    # a phone number with a digit missing: the error is under the field, on screen, and the field says so
    page.fill("#id_phone", "1391234567")
    page.get_by_role("button", name="获取验证码").tap()
    page.wait_for_selector("#phone-error")
    assert "请输入有效的中国大陆手机号码" in page.inner_text("#phone-error")
    assert in_viewport(page, "#phone-error")
    assert page.get_attribute("#id_phone", "aria-invalid") == "true"
    shot(page, "phone-malformed")

    page.fill("#id_phone", rider.phone)
    page.get_by_role("button", name="获取验证码").tap()
    page.wait_for_selector("#id_code")
    assert "验证码已发送" in page.inner_text(".messages")
    code = _code_from_sms(rider.phone)

    # a wrong code: a visible error, and the rider can type again at once
    page.fill("#id_code", "000000" if code != "000000" else "111111")
    page.get_by_role("button", name="登录", exact=True).tap()
    page.wait_for_selector("#code-error")
    assert "验证码错误" in page.inner_text("#code-error")
    assert in_viewport(page, "#code-error")
    assert page.get_attribute("#id_code", "aria-invalid") == "true"
    shot(page, "code-wrong")

    page.fill("#id_code", code)
    page.get_by_role("button", name="登录", exact=True).tap()
    page.wait_for_url(f"{live_server.url}/")

    # the home that knows them: what they wait for, first
    assert page.get_by_role("heading", name="王师傅，您好").is_visible()
    report = page.inner_text("#home-report")
    assert "信号灯故障" in report and "已派单" in report and "前到场" in report
    assert in_viewport(page, "#home-report")
    offer = page.inner_text("#home-offer")
    assert "六人间床位" in offer or "为您保留了" in offer
    assert "请在" in offer and "前答复" in offer
    assert "乐游北京家庭日" in page.inner_text("#home-activity")
    assert page.locator("#home-activity svg").is_visible()  # the check-in QR, ready to show at the door
    shot(page, "home-top")
    page.locator("#home-activity").scroll_into_view_if_needed()
    shot(page, "home-activity-qr")
    for name in ("我的上报", "我的住房", "我的报名", "志愿时长"):
        assert page.locator("#shortcuts").get_by_role("link", name=name).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # 我的 is the hub: the same shortcuts, and the profile form is still there
    page.locator("header").get_by_role("link", name="我的", exact=True).tap()
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    assert page.locator("#shortcuts").get_by_role("link", name="我的报名").is_visible()
    shot(page, "hub")
    profile = page.inner_text("#profile")
    assert "称呼：" in profile and "工作街道：" in profile and "称呼:" not in profile
    page.fill("#id_name", "王建国")
    page.get_by_role("button", name="保存").tap()
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    assert "已保存" in page.inner_text(".messages")
    page.locator("#shortcuts").get_by_role("link", name="我的上报").tap()
    page.wait_for_url(f"{live_server.url}/reports/mine/")


def test_a_rider_with_nothing_pending_is_told_so_and_sees_the_shortcuts(
    streets, rider_b, phone_page, login_rider, live_server, shot
):
    page = phone_page
    login_rider(page, rider_b.phone)
    assert page.get_by_role("heading", name="李师傅，您好").is_visible()
    assert "暂时没有待办" in page.inner_text("#nothing-pending")
    assert page.locator("#shortcuts").get_by_role("link", name="志愿时长").is_visible()
    shot(page, "home-nothing-pending")


def test_no_map_carries_leaflets_attribution_prefix(streets, rider, rider_b, phone_page, login_rider, live_server):
    pages = rider_world(streets, rider, rider_b)

    def attribution(page, name: str) -> str:
        page.wait_for_selector(".leaflet-control-attribution", state="attached")
        text = page.inner_text(".leaflet-control-attribution")
        links = page.locator(".leaflet-control-attribution a[href*=leafletjs]").count()
        return text + (" [link to leafletjs.com]" if links else "")

    phones = {"rider": rider.phone}
    found = visit_every_page(phone_page, live_server.url, pages, login_rider, phones, attribution, sorted(MAP_PAGES))
    assert len(found) == len(MAP_PAGES)
    assert {name: text for name, text in found.items() if "Leaflet" in text or "leafletjs" in text} == {}
