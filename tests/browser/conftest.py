"""Playwright driving Debian's Chromium (/usr/bin/chromium), never a downloaded browser.

Browser tests use pytest-django's live_server (a real threaded server on the test database) and are
marked `browser`. Playwright's sync API runs an event loop in the test thread, so Django's async-safety
check is relaxed for these tests only.
"""

import os
from collections.abc import Callable, Iterator

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def phone_page(browser: Browser, live_server) -> Iterator[Page]:
    """A 360×740 touch page; requests that leave the live server (map tiles) are answered empty."""
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="zh-CN",
        timezone_id="Asia/Shanghai",
    )
    context.route(
        lambda url: not url.startswith(live_server.url),
        lambda route: route.fulfill(status=204, body=""),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Browser, live_server) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    context.route(
        lambda url: not url.startswith(live_server.url),
        lambda route: route.fulfill(status=204, body=""),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def login_rider(live_server, settings) -> Callable[[Page, str], None]:
    """Log a rider in through the real SMS page, reading the code from the file SMS backend."""
    from accounts.sms import read_sms_files

    def do(page: Page, phone: str) -> None:
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_phone", phone)
        page.click("button[value=send]")
        page.wait_for_selector("#id_code")
        text = read_sms_files(phone)[-1]["text"]
        code = "".join(ch for ch in text.split("验证码是")[1] if ch.isdigit())[:6]
        page.fill("#id_code", code)
        page.click("button[value=login]")
        page.wait_for_url(f"{live_server.url}/")

    return do
