"""Journeys (issue 15): a rider finds a station on a 360×740 phone without location permission (by their
work street, a street picker, a name search) and with it (the "you are here" marker, pins linked to the
list, the radius and count); and checks in by QR: anonymous → SMS login → checked in without a second
tap. Driven through the pages only."""

from collections.abc import Callable, Iterator

import pytest
from django.contrib.gis.geos import Point
from playwright.sync_api import Browser, Page

from accounts.sms import read_sms_files
from jurisdictions.services import locate
from stations.models import Station, Visit

from .conftest import PHONE, PHONE_CONTEXT, in_viewport, local_page, wait_in_viewport

pytestmark = pytest.mark.django_db(transaction=True)

CHAOYANG = {"latitude": 39.92, "longitude": 116.46, "accuracy": 35}


@pytest.fixture
def phone_context(browser: Browser, live_server) -> Iterator[Callable[..., Page]]:
    """phone(permissions=[…], geolocation=…) → a 360×740 zh-CN touch page of a new context (map tiles are
    answered empty, like phone_page)."""
    pages: list[Page] = []

    def make(**options) -> Page:
        pages.append(local_page(browser, live_server.url, **{**PHONE_CONTEXT, **options}))
        return pages[-1]

    yield make
    for page in pages:
        page.context.close()


def _station(name: str, lng: float, lat: float, **fields) -> Station:
    point = Point(lng, lat, srid=4326)
    fields.setdefault("opening_hours", "24/7")
    return Station.objects.create(name=name, point=point, street=locate(point), **fields)


@pytest.fixture
def stations(streets) -> dict[str, Station]:
    """A few places round 双井 (the test rider's work street), round 三里屯, and round 39.92, 116.46."""
    sj, slt = streets["SJ"].centre, streets["SLT"].centre
    return {
        "sj": _station("双井桥小哥加油站", sj.x + 0.001, sj.y + 0.001, kind=Station.Kind.REFUEL),
        "sj_merchant": _station(
            "九龙山友好商户", sj.x - 0.004, sj.y, kind=Station.Kind.MERCHANT, address="广渠路甲1号"
        ),
        "slt": _station("三里屯太古里驿站", slt.x + 0.001, slt.y, address="三里屯路19号"),
        "here": _station("呼家楼全时驿站", 116.4610, 39.9210, kind=Station.Kind.ALL_HOURS),
        "here_parking": _station("金台路骑手停车点", 116.4650, 39.9190, kind=Station.Kind.PARKING),
        "here_closed": _station("团结湖驿站", 116.4570, 39.9230, opening_hours="Mo-Fr 00:00-00:01"),
    }


def _wait_for_list(page: Page) -> None:
    page.wait_for_function(
        "() => { const s = document.querySelector('#list-status'); return s && /个。|没有找到/.test(s.textContent); }"
    )


def _small_targets(page: Page) -> list[str]:
    """What a thumb can tap in the page's content (not the shared header) that is under 44×44 px."""
    return page.evaluate(
        """() => [...document.querySelectorAll(
              'main a, main button, main select, main textarea, main input:not([type=hidden]), main [tabindex="0"]')]
            .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; })
            .filter((el) => { const r = el.getBoundingClientRect(); return r.width < 44 || r.height < 44; })
            .map((el) => `${el.tagName} ${el.className} ${(el.textContent || '').trim().slice(0, 20)}`)"""
    )


def _list_names(page: Page) -> list[str]:
    return page.locator("#station-list .station-item .name").all_inner_texts()


def test_without_location_an_anonymous_rider_picks_a_street(phone_context, live_server, stations, shot):
    page = phone_context(permissions=[])
    page.goto(f"{live_server.url}/stations/")
    page.wait_for_function("() => document.querySelector('#loc-status').textContent.includes('未获得定位')")
    assert in_viewport(page, "#loc-status") and in_viewport(page, "#street-pick") and in_viewport(page, "#station-q")
    assert "请在上面选择街道" in page.inner_text("#list-status")
    assert _small_targets(page) == []
    shot(page, "denied")

    with page.expect_navigation():
        page.select_option("#street-pick", "SLT")
    _wait_for_list(page)
    assert "按您选的三里屯街道显示" in page.inner_text("#loc-status")
    assert _list_names(page)[0] == "三里屯太古里驿站"
    status = page.inner_text("#list-status")
    assert status.startswith("最近的在") and "内有 6 个。" in status
    assert page.locator(".origin-marker").count() == 1
    shot(page, "street_picked")


def test_without_location_a_logged_in_rider_sees_their_work_street(
    phone_context, live_server, stations, rider, login_rider, shot
):
    page = phone_context(permissions=[])
    login_rider(page, rider.phone)  # works in 双井
    page.goto(f"{live_server.url}/stations/")
    _wait_for_list(page)
    assert page.inner_text("#loc-status") == "未获得定位，按您的工作街道双井街道显示，距离从街道中心算起。"
    assert in_viewport(page, "#loc-status")
    assert _list_names(page)[:2] == ["双井桥小哥加油站", "九龙山友好商户"]
    assert page.inner_text("#station-list .station-item .dist >> nth=0").endswith("米")
    shot(page, "work_street")


def test_without_location_a_rider_searches_by_name_and_address(phone_context, live_server, stations, shot):
    page = phone_context(permissions=[])
    page.goto(f"{live_server.url}/stations/")
    page.wait_for_function("() => document.querySelector('#loc-status').textContent.includes('未获得定位')")
    page.fill("#station-q", "小哥加油站")
    with page.expect_navigation():
        page.click("#search-button")
    _wait_for_list(page)
    assert _list_names(page) == ["双井桥小哥加油站"]
    assert page.inner_text("#list-status") == "名称或地址含“小哥加油站”：找到 1 个。"
    shot(page, "by_name")

    page.fill("#station-q", "三里屯路")  # only in the address
    with page.expect_navigation():
        page.press("#station-q", "Enter")
    _wait_for_list(page)
    assert _list_names(page) == ["三里屯太古里驿站"]
    assert "三里屯路19号" in page.inner_text("#station-list")
    shot(page, "by_address")

    page.fill("#station-q", "没有这个驿站")
    with page.expect_navigation():
        page.click("#search-button")
    _wait_for_list(page)
    assert page.inner_text("#list-status") == "没有找到名称或地址含“没有这个驿站”的驿站。"
    assert in_viewport(page, "#list-status")
    assert page.locator("#station-list .station-item").count() == 0
    shot(page, "not_found")


def test_with_location_the_rider_is_marked_and_pins_link_to_the_list(phone_context, live_server, stations, shot):
    page = phone_context(permissions=["geolocation"], geolocation=CHAOYANG)
    page.goto(f"{live_server.url}/stations/")
    _wait_for_list(page)
    assert page.inner_text("#loc-status") == "按您的当前位置显示（误差约 35 米）。"
    names = _list_names(page)
    assert names[:3] == ["呼家楼全时驿站", "团结湖驿站", "金台路骑手停车点"]
    status = page.inner_text("#list-status")
    assert status.startswith("最近的在 1") and "米外" in status and "内有 6 个。" in status
    page.locator(".here-marker").wait_for()
    assert page.get_attribute(".here-marker", "title") == "您在这里"
    assert page.locator(".here-accuracy").count() == 1
    page.locator("#stations-map").scroll_into_view_if_needed()
    # Not a tap target (it lets taps through to the map), so: drawn inside the map, on screen.
    here, box = page.locator(".here-marker").bounding_box(), page.locator("#stations-map").bounding_box()
    assert here is not None and box is not None and page.locator(".here-marker").is_visible()
    assert box["x"] <= here["x"] and here["x"] + here["width"] <= box["x"] + box["width"]
    assert box["y"] <= here["y"] and here["y"] + here["height"] <= min(box["y"] + box["height"], PHONE["height"])
    # Pins by kind and state: the parking point and the closed station wear their own classes.
    assert page.locator(".pin.pin-parking").count() + page.locator(".pin-cluster").count() >= 1
    shot(page, "located")

    # From the list to its pin: the map comes into view with the station's popup.
    item = f"#station-list .station-item[data-id='{stations['here_closed'].pk}']"
    page.locator(f"{item} .show-on-map").click()
    popup = page.locator(".leaflet-popup")
    popup.wait_for()
    assert "团结湖驿站" in popup.inner_text() and "已关门" in popup.inner_text()
    assert page.locator(".pin.pin-closed").count() == 1
    assert wait_in_viewport(page, ".leaflet-popup-content")  # after the scroll and autoPan settle
    shot(page, "list_to_pin")

    # From the pin back to its list item.
    page.click(".leaflet-popup-content button.tap-link")
    page.wait_for_function(f"() => document.querySelector(\"{item}\").classList.contains('selected')")
    page.wait_for_function(
        f'() => {{ const r = document.querySelector("{item}").getBoundingClientRect(); '
        "return r.top >= 0 && r.bottom <= innerHeight; }"
    )
    assert in_viewport(page, item)
    shot(page, "pin_to_list")
    assert _small_targets(page) == []

    page.click(f"{item} a.station-link")
    page.wait_for_selector("#station-name")
    assert page.inner_text("#station-name") == "团结湖驿站"
    assert _small_targets(page) == []
    shot(page, "detail")


def test_anonymous_qr_scan_logs_in_and_comes_back_checked_in(phone_page, live_server, stations, rider, shot):
    station = stations["sj"]
    page = phone_page
    page.goto(f"{live_server.url}/s/{station.code}")
    assert in_viewport(page, "#login-to-checkin")
    shot(page, "scanned")

    page.click("#login-to-checkin")
    page.wait_for_selector("#id_phone")
    assert f"next=/s/{station.code}" in page.url
    assert "登录后会自动为您在“双井桥小哥加油站”签到。" in page.inner_text(".messages")
    page.fill("#id_phone", rider.phone)
    page.click("button[value=send]")
    page.wait_for_selector("#id_code")
    text = read_sms_files(rider.phone)[-1]["text"]
    page.fill("#id_code", "".join(ch for ch in text.split("验证码是")[1] if ch.isdigit())[:6])
    shot(page, "login")

    page.click("button[value=login]")  # the last tap: no 一键签到 after this
    page.wait_for_selector("#checkin-result")
    assert page.url == f"{live_server.url}/s/{station.code}"
    assert "签到成功" in page.inner_text("#checkin-result")
    assert in_viewport(page, "#checkin-result")
    assert Visit.objects.filter(station=station, rider=rider).count() == 1
    assert _small_targets(page) == []
    shot(page, "checked_in")

    page.goto(f"{live_server.url}/s/{station.code}")  # the intent is spent: the button, and no write
    page.wait_for_selector("#checkin-button")
    assert Visit.objects.count() == 1


def test_a_closed_or_unknown_qr_code_says_so(phone_page, live_server, stations, shot):
    page = phone_page
    page.goto(f"{live_server.url}/s/NOPE999")
    assert "没有找到这个签到码对应的驿站。" in page.inner_text("#checkin-error")
    assert in_viewport(page, "#checkin-error") and in_viewport(page, "#find-nearby")
    shot(page, "unknown")

    closed = stations["slt"]
    closed.status = Station.Status.TEMPORARILY_CLOSED
    closed.save(update_fields=["status"])
    page.goto(f"{live_server.url}/s/{closed.code}")
    assert "该驿站暂未开放，无法签到。" in page.inner_text("#checkin-error")
    assert in_viewport(page, "#checkin-error")
    assert page.locator("#login-to-checkin, #checkin-button").count() == 0
    shot(page, "closed")
