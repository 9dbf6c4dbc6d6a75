"""Playwright driving Debian's Chromium (/usr/bin/chromium), never a downloaded browser.

Browser tests use pytest-django's live_server (a real threaded server on the test database) and are
marked `browser`. Playwright's sync API runs an event loop in the test thread, so Django's async-safety
check is relaxed for these tests only.
"""

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PHONE = {"width": 360, "height": 740}
CLERK = {"width": 1366, "height": 768}
# Every journey leaves its screenshots here (CI keeps the folder as the run's artifacts).
ARTIFACTS = Path(os.environ.get("TEST_ARTIFACTS_DIR", "var/test-artifacts")) / "screenshots"


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


PHONE_CONTEXT = {
    "viewport": PHONE,
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "zh-CN",
    "timezone_id": "Asia/Shanghai",
}


def local_page(browser: Browser, live_server_url: str, **options) -> Page:
    """A page of a new browser context with `options`; requests that leave the live server (map tiles) are
    answered empty. Close it with page.context.close()."""
    context = browser.new_context(**options)
    context.route(
        lambda url: not url.startswith(live_server_url),
        lambda route: route.fulfill(status=204, body=""),
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


@pytest.fixture
def phone_page(browser: Browser, live_server) -> Iterator[Page]:
    """A 360×740 zh-CN touch page."""
    page = local_page(browser, live_server.url, **PHONE_CONTEXT)
    yield page
    page.context.close()


@pytest.fixture
def desktop_page(browser: Browser, live_server) -> Iterator[Page]:
    page = local_page(browser, live_server.url, viewport={"width": 1280, "height": 900}, locale="zh-CN")
    yield page
    page.context.close()


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


@pytest.fixture
def clerk_page(browser: Browser, live_server) -> Iterator[Page]:
    """A street clerk's office screen: 1366×768, zh-CN, Beijing time."""
    page = local_page(browser, live_server.url, viewport=CLERK, locale="zh-CN", timezone_id="Asia/Shanghai")
    yield page
    page.context.close()


@pytest.fixture
def shot(request) -> Callable[[Page, str], Path]:
    """Save a screenshot of what the person sees now, named after the test and a step:
    `shot(page, "error")` → var/test-artifacts/screenshots/<test>__error_360x740.png."""

    def do(page: Page, step: str) -> Path:
        size = page.viewport_size or {"width": 0, "height": 0}
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{request.node.name}__{step}")
        path = ARTIFACTS / f"{name}_{size['width']}x{size['height']}.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path))
        return path

    return do


def in_viewport(page: Page, selector: str) -> bool:
    """True when the element is visible and at least partly inside the viewport, not under a fixed bar
    (the element at its centre point is the element or one of its children)."""
    return bool(
        page.evaluate(
            """(sel) => {
              const el = document.querySelector(sel);
              if (!el) return false;
              const r = el.getBoundingClientRect();
              if (r.width === 0 || r.height === 0) return false;
              const x = Math.min(Math.max(r.left + r.width / 2, 0), innerWidth - 1);
              const y = Math.min(Math.max(r.top + Math.min(r.height, 20) / 2, 0), innerHeight - 1);
              if (r.bottom <= 0 || r.top >= innerHeight) return false;
              const hit = document.elementFromPoint(x, y);
              return !!hit && (hit === el || el.contains(hit));
            }""",
            selector,
        )
    )


def wait_in_viewport(page: Page, selector: str, timeout_ms: int = 5000) -> bool:
    """in_viewport once scrolling and map pans have settled: polls until true or the timeout, then
    answers (a smooth scroll or Leaflet's autoPan moves the element for a few hundred ms)."""
    waited = 0
    while not in_viewport(page, selector) and waited < timeout_ms:
        page.wait_for_timeout(100)
        waited += 100
    return in_viewport(page, selector)
