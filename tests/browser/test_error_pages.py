"""The 404 and 429 pages on a 360×740 phone: readable, nothing wider than the screen, the way back a thumb's
tap away. Screenshots go to SCREENSHOT_DIR (var/screenshots) for a look. Before error_views.py both were
Django's bare English pages (no viewport: a desktop-width page shrunk to 360 px)."""

import os
from pathlib import Path

import pytest

SCREENSHOTS = Path(os.environ.get("SCREENSHOT_DIR", "var/screenshots"))
pytestmark = [pytest.mark.urls("tests.core.error_urls"), pytest.mark.django_db(transaction=True)]


def _assert_fits_the_phone(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    assert page.evaluate("document.documentElement.lang") == "zh-hans"
    box = page.locator("#error-home").bounding_box()
    assert box is not None and box["height"] >= 44 and box["y"] + box["height"] <= 740  # visible, tappable


def test_the_404_page_fits_a_phone_and_leads_home(phone_page, live_server):
    page = phone_page
    response = page.goto(f"{live_server.url}/no-such-page/", referer=f"{live_server.url}/stations/")
    assert response is not None and response.status == 404
    assert page.locator("h1").inner_text() == "找不到这个页面"
    _assert_fits_the_phone(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "error_404_360x740.png"))
    assert page.get_attribute("#error-back", "href") == f"{live_server.url}/stations/"
    page.click("#error-home")
    page.wait_for_url(f"{live_server.url}/")


def test_the_429_page_fits_a_phone(phone_page, live_server):
    page = phone_page
    page.goto(f"{live_server.url}/test-errors/limited/")
    response = page.goto(f"{live_server.url}/test-errors/limited/", referer=f"{live_server.url}/activities/")
    assert response is not None and response.status == 429
    assert page.locator("h1").inner_text() == "操作太频繁了"
    _assert_fits_the_phone(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / "error_429_360x740.png"))
