"""The submit page retries a lost submission with the same Idempotency-Key: one report, never two."""

import os
from pathlib import Path

import pytest

from reports.models import Report
from reports.services import categories_ensure

from .test_reports import DH, _photo

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))


@pytest.mark.django_db(transaction=True)
def test_a_submission_whose_answer_is_lost_is_retried_and_saved_once(phone_page, live_server, login_rider, streets):
    categories_ensure()
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(DH)
    posts: list[dict] = []

    def drop_the_first_answer(route) -> None:
        request = route.request
        if request.method != "POST":
            route.continue_()
            return
        posts.append({"key": request.header_value("idempotency-key")})
        if len(posts) == 1:
            response = route.fetch()  # the server saves the report…
            posts[0]["status"] = response.status
            route.abort()  # …and the rider's phone never hears back
            return
        route.continue_()

    page.route(f"{live_server.url}/api/v1/reports/", drop_the_first_answer)
    login_rider(page, "13900000001")
    page.goto(f"{live_server.url}/reports/")
    page.click("button.cat[data-code=manhole]")
    page.set_input_files("#photo", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.wait_for_selector("#previews img")
    page.wait_for_function("() => document.getElementById('loc-status').textContent.includes('已定位')")
    page.fill("#description", "井盖缺失")
    page.click("#submit")

    retrying = page.locator("#submit-retrying")
    retrying.wait_for(state="visible")
    assert "网络不稳定，正在重试" in retrying.inner_text()
    assert page.locator("#submit").is_disabled()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "reports_submit_retrying_360x740.png"))

    page.wait_for_url(f"{live_server.url}/reports/*/")
    report = Report.objects.get()  # exactly one, although the server answered twice
    assert page.url.endswith(f"/reports/{report.pk}/")
    assert posts[0]["status"] == 201 and len(posts) == 2
    assert posts[0]["key"] and posts[1]["key"] == posts[0]["key"] == report.submit_key
    assert report.photos.count() == 1 and report.description == "井盖缺失"
