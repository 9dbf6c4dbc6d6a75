"""随手拍 journeys on a 360×740 phone, driven through the pages only (issue 15): a report with a photo
(shrunk in the browser, upload progress shown), without a category, without a location, a me-too on someone
else's report, following a report to resolved, and the 提交 bar never covered by the map."""

import io
import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image
from playwright.sync_api import Page, expect

from reports import services
from reports.models import Report, ResponseTeam
from reports.services import categories_ensure
from tests.browser.conftest import in_viewport

pytestmark = pytest.mark.django_db(transaction=True)

DH = {"longitude": 116.4690, "latitude": 40.0130}
RIDER = "13900000001"


def _jpeg(size: tuple[int, int] = (3000, 2000), noisy: bool = False) -> bytes:
    """A generated photo; `noisy` makes it big enough that its upload takes a while on a slow link."""
    image = Image.frombytes("RGB", size, os.urandom(size[0] * size[1] * 3)) if noisy else Image.new("RGB", size)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=90)
    return out.getvalue()


def _upload(data: bytes, name: str = "after.jpg"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def _located(page: Page, live_server) -> None:
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(DH)


def _open_form(page: Page, live_server, login_rider) -> None:
    login_rider(page, RIDER)
    page.goto(f"{live_server.url}/reports/")
    expect(page.locator("#submit")).to_be_enabled()


def _tap_submit(page: Page) -> None:
    """Tap where the 提交 button is on the screen (whatever is painted there receives the tap)."""
    box = page.locator("#submit").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _poll(page: Page) -> None:
    """Let the report page's 10-second poll run once and wait until its answer is drawn."""
    before = int(page.get_attribute("#report", "data-polls") or 0)
    page.clock.run_for(11_000)
    page.wait_for_function(f"() => Number(document.getElementById('report').dataset.polls || 0) > {before}")


def test_a_report_with_a_photo_is_shrunk_uploaded_with_progress_and_promises_an_arrival_time(
    phone_page, live_server, login_rider, streets, shot
):
    categories_ensure()
    page = phone_page
    _located(page, live_server)
    _open_form(page, live_server, login_rider)
    shot(page, "form")
    page.click("button.cat[data-code=manhole]")
    page.set_input_files("#photo", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _jpeg(noisy=True)}])
    page.wait_for_selector("#previews img")
    expect(page.locator("#loc-status")).to_contain_text("已定位")
    page.fill("#description", "井盖缺失，很危险")
    shot(page, "filled")

    # A slow uplink (≈ 3G): the rider sees how far the upload is, not a faded button.
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 150, "downloadThroughput": 200_000, "uploadThroughput": 60_000},
    )
    _tap_submit(page)
    progress = page.locator("#submit-progress-text")
    expect(progress).to_have_text(re.compile(r"正在上传 [1-9]\d?%"))
    assert in_viewport(page, "#submit-progress")
    expect(page.locator("#submit")).to_have_text("正在提交…")
    shot(page, "uploading")

    page.wait_for_url(f"{live_server.url}/reports/*/", timeout=60_000)
    cdp.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    report = Report.objects.get()
    photo = report.photos.get()
    assert (photo.width, photo.height) == (1280, 853)  # shrunk in the browser: 1280 px on the long side
    promise = page.locator("#promise")
    expect(promise).to_contain_text(re.compile(r"应急队预计 \d\d:\d\d 前到场"))
    assert in_viewport(page, "#promise")
    expect(page.locator("#status")).to_have_class(re.compile(r"\bsoon\b"))
    shot(page, "submitted")


def test_when_the_canvas_fails_the_original_photo_is_sent_and_the_server_shrinks_it(
    phone_page, live_server, login_rider, streets, shot
):
    categories_ensure()
    page = phone_page
    page.add_init_script("HTMLCanvasElement.prototype.getContext = function () { return null; };")
    _located(page, live_server)
    _open_form(page, live_server, login_rider)
    page.click("button.cat[data-code=manhole]")
    page.set_input_files("#photo", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    page.wait_for_selector("#previews img")
    expect(page.locator("#loc-status")).to_contain_text("已定位")
    _tap_submit(page)
    page.wait_for_url(f"{live_server.url}/reports/*/")
    shot(page, "submitted")
    photo = Report.objects.get().photos.get()
    assert max(photo.width, photo.height) == 2048  # the server's own cap, the original went up


def test_without_a_category_the_error_is_shown_where_the_rider_looks_and_nothing_is_saved(
    phone_page, live_server, login_rider, streets, shot
):
    categories_ensure()
    page = phone_page
    _located(page, live_server)
    _open_form(page, live_server, login_rider)
    expect(page.locator("#loc-status")).to_contain_text("已定位")
    page.fill("#description", "路口有坑")  # the rider has scrolled down to the last field
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    _tap_submit(page)

    error = page.locator("#category-error")
    expect(error).to_have_text("请选择问题类别。")
    assert in_viewport(page, "#category-error")
    assert page.evaluate("document.activeElement.classList.contains('cat')")
    shot(page, "error")
    assert Report.objects.count() == 0

    page.click("button.cat[data-code=obstacle]")
    expect(error).to_be_hidden()
    _tap_submit(page)
    page.wait_for_url(f"{live_server.url}/reports/*/")
    shot(page, "fixed")
    assert Report.objects.get().category.code == "obstacle"


def test_without_a_location_the_error_is_shown_and_a_pick_on_the_map_fixes_it(
    browser, live_server, login_rider, streets, shot
):
    categories_ensure()
    context = browser.new_context(
        viewport={"width": 360, "height": 740},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
        permissions=[],  # location denied
    )
    context.route(lambda url: not url.startswith(live_server.url), lambda route: route.fulfill(status=204, body=""))
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        _open_form(page, live_server, login_rider)
        expect(page.locator("#loc-status")).to_have_text("无法定位，请在地图上点选位置。")
        page.click("button.cat[data-code=waterlogging]")
        _tap_submit(page)
        error = page.locator("#location-error")
        expect(error).to_have_text("还没有位置，请在地图上点选。")
        assert in_viewport(page, "#location-error")
        shot(page, "error")
        assert Report.objects.count() == 0

        page.locator("#map").click(position={"x": 170, "y": 100})
        expect(page.locator("#loc-status")).to_contain_text("已选择位置")
        expect(error).to_be_hidden()
        shot(page, "picked")
        _tap_submit(page)
        page.wait_for_url(f"{live_server.url}/reports/*/")
        shot(page, "submitted")
        assert Report.objects.get().category.code == "waterlogging"
    finally:
        context.close()


def test_me_too_lists_someone_elses_report_with_category_photo_and_age_not_the_riders_own(
    phone_page, live_server, login_rider, streets, rider, rider_b, shot
):
    categories_ensure()
    theirs = services.report_submit(
        reporter=rider_b,
        category_code="waterlogging",
        lng=DH["longitude"] + 0.0005,
        lat=DH["latitude"],
        description="桥下积水",
        photos=[_upload(_jpeg((800, 600)), "before.jpg")],
    )
    own = services.report_submit(
        reporter=rider, category_code="waterlogging", lng=DH["longitude"], lat=DH["latitude"], description="我报的积水"
    )
    Report.objects.filter(pk=theirs.pk).update(created_at=timezone.now() - timedelta(minutes=12))
    page = phone_page
    _located(page, live_server)
    _open_form(page, live_server, login_rider)
    page.click("button.cat[data-code=waterlogging]")
    expect(page.locator("#loc-status")).to_contain_text("已定位")
    _tap_submit(page)

    candidates = page.locator("#nearby-list li")
    expect(candidates).to_have_count(1)
    card = candidates.first
    expect(card).to_contain_text("积水")
    expect(card).to_contain_text("12 分钟前")
    expect(card).to_contain_text("桥下积水")
    assert "我报的积水" not in page.inner_text("#nearby")
    thumb = card.locator("img.candidate-thumb")
    expect(thumb).to_be_visible()
    page.wait_for_function("img => img.complete", arg=thumb.element_handle())  # the picture loads after it shows
    assert thumb.evaluate("img => img.complete && img.naturalWidth > 0")
    assert in_viewport(page, "#nearby h2")
    shot(page, "candidates")

    card.locator("button.me-too").click()
    expect(page.locator("#nearby .msg.success")).to_contain_text("已附议")
    assert in_viewport(page, "#nearby .msg.success")
    shot(page, "supported")
    assert Report.objects.count() == 2  # no new report
    assert theirs.supporters.filter(pk=rider.pk).exists() and not own.supporters.exists()


def test_a_rider_follows_a_report_to_resolved_and_sees_the_after_photo(
    phone_page, live_server, login_rider, streets, rider, dispatcher, team_member, shot
):
    categories_ensure()
    ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True, sms_phone="13700000009")
    report = services.report_submit(
        reporter=rider, category_code="manhole", lng=DH["longitude"], lat=DH["latitude"], description="井盖缺失"
    )
    report = services.report_route(report_id=report.pk, actor=dispatcher)
    due = timezone.localtime(report.arrival_due_at)
    page = phone_page
    page.clock.install()
    login_rider(page, RIDER)
    page.goto(f"{live_server.url}/reports/mine/")
    shot(page, "mine")
    page.click(f"#my-reports a[href='/reports/{report.pk}/']")
    page.wait_for_url(f"{live_server.url}/reports/{report.pk}/")
    expect(page.locator("#promise")).to_have_text(f"应急队预计 {due:%H:%M} 前到场。")
    expect(page.locator("#status")).to_have_class(re.compile(r"\bsoon\b"))
    assert in_viewport(page, "#promise")
    back = page.locator("a.tap-link").bounding_box()
    assert back["height"] >= 44 and back["width"] >= 44
    first_render = page.inner_text("#timeline")
    shot(page, "open")

    _poll(page)  # while nothing changed: the same words, the same date format
    assert page.inner_text("#timeline") == first_render

    team_report = Report.objects.get(pk=report.pk)
    services.report_step(
        report=team_report,
        action="resolve",
        actor=team_member,
        reason="已更换井盖",
        photos=[_upload(_jpeg((640, 480)))],
    )
    _poll(page)
    expect(page.locator("#status")).to_have_text("已处置")
    expect(page.locator("#status")).to_have_class(re.compile(r"\bopen\b"))  # green, not the amber "soon"
    expect(page.locator("#promise")).to_be_hidden()
    expect(page.locator("#after-photos img")).to_have_count(1)
    expect(page.locator("#timeline li[data-kind=resolved]")).to_contain_text("已更换井盖")
    polled = page.inner_text("#timeline")
    page.locator("#after").scroll_into_view_if_needed()
    shot(page, "resolved")

    page.reload()  # the server's render and the script's are the same, word for word
    assert page.inner_text("#timeline") == polled
    assert re.search(r"\d\d-\d\d \d\d:\d\d", polled)
    expect(page.locator("#status")).to_have_class(re.compile(r"\bopen\b"))
    after = page.locator("#after-photos img")
    expect(after).to_be_visible()
    page.wait_for_function("img => img.complete", arg=after.element_handle())  # the picture loads after it shows
    assert after.evaluate("img => img.complete && img.naturalWidth > 0")
    shot(page, "resolved_reloaded")


def test_the_submit_bar_is_never_covered_by_the_map(phone_page, live_server, login_rider, streets, shot):
    categories_ensure()
    page = phone_page  # location not granted: a tap that reached the map would pick a location
    _open_form(page, live_server, login_rider)
    expect(page.locator("#submit-progress")).to_be_hidden()  # no empty progress bar before a submission
    link = page.locator("h1 + a.tap-link").bounding_box()
    assert link["height"] >= 44 and link["width"] >= 44
    # Scroll until the map lies under the fixed bar.
    page.evaluate(
        """() => {
          const map = document.getElementById('map').getBoundingClientRect();
          const bar = document.querySelector('.bottom-bar').getBoundingClientRect();
          window.scrollBy(0, map.top + map.height / 2 - (bar.top + bar.height / 2));
        }"""
    )
    under = page.evaluate(
        """() => {
          const b = document.getElementById('submit').getBoundingClientRect();
          const map = document.getElementById('map').getBoundingClientRect();
          const x = b.left + b.width / 2, y = b.top + b.height / 2;
          return { mapUnder: map.top < y && map.bottom > y, hit: document.elementFromPoint(x, y).id };
        }"""
    )
    assert under == {"mapUnder": True, "hit": "submit"}
    shot(page, "map_under_bar")
    _tap_submit(page)
    expect(page.locator("#category-error")).to_have_text("请选择问题类别。")  # the button got the tap
    assert "已选择位置" not in page.inner_text("#loc-status")
    assert in_viewport(page, "#category-error")
    shot(page, "tapped")
