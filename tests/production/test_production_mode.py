"""The README's production recipe, run: DJANGO_DEBUG=0, collectstatic with the production storage, gunicorn
on a scratch PostGIS database loaded with `load_demo --small`, then every rider page, the admin login, the
analytics page, the API docs and the error pages over HTTP, and the static files as a browser gets them.

Before this test existed the recipe served 500 on every HTML page: collectstatic stopped at the vendored
Chart.js's missing source map, so no manifest was written (issue 13).
"""

import http.client
import json
import os
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import dj_database_url
import psycopg
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
HTTPS = {"X-Forwarded-Proto": "https"}  # as the documented proxy sends it
FOREVER = "max-age=315360000, public, immutable"
# Rider pages are every URL of these namespaces (and the home page), except the API-like Open311 ones.
RIDER_NAMESPACES = ("accounts", "stations", "housing", "reports", "partybranch")
NOT_PAGES = {
    "accounts:logout": "POST only",
    "accounts:session-end": "POST only",
    "stations:feedback": "POST only",
    "housing:offer-accept": "POST only",
    "housing:offer-decline": "POST only",
    "housing:withdraw": "POST only",
    "partybranch:activity-signup": "POST only",
    "partybranch:registration-cancel": "POST only",
    "partybranch:session-checkin": "street staff's page",
    "partybranch:scan": "an activity session's one-time QR token",
}
NOT_RIDER_ROUTES = ("^open311/", "accounts/staff/")  # Open311 is an API; staff sign in through the admin
# Run in the scratch database once the demo is loaded: session cookies and an object for each page with an id.
SETUP = """
import json
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice
from accounts.models import Role, User
from housing.models import Project
from partybranch.models import Activity, Registration
from reports.models import Report
from stations.models import Station

def cookie(user, device=None):
    client = Client()
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    if device is not None:  # the session has passed the staff second factor (accounts/staff_otp.py)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client.cookies["sessionid"].value

registration = Registration.objects.select_related("rider").order_by("pk").first()
rider = registration.rider
report = Report.objects.filter(reporter=rider).order_by("pk").first() or Report.objects.order_by("pk").first()
Report.objects.filter(pk=report.pk).update(reporter=rider)
station = Station.objects.exclude(status="defunct").order_by("pk").first()
analyst = User.objects.filter(role=Role.DISTRICT_STAFF, is_superuser=False).order_by("pk").first()
print(json.dumps({
    "rider": cookie(rider),
    "analyst": cookie(analyst, TOTPDevice.objects.create(user=analyst, name="authenticator", confirmed=True)),
    "args": {
        "stations:detail": [station.pk],
        "stations:qr_svg": [station.pk],
        "stations:qr_png": [station.pk],
        "stations:checkin": [station.code],
        "housing:project": [Project.objects.order_by("pk").first().pk],
        "housing:apply": [Project.objects.order_by("pk").first().pk],
        "reports:detail": [report.pk],
        "partybranch:activity-detail": [Activity.objects.filter(status="published").order_by("pk").first().pk],
        "partybranch:registration-detail": [registration.pk],
    },
}))
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run(
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def scratch_database_url() -> Iterator[str]:
    """A new, empty PostGIS database next to the test database (DATABASE_URL's server), dropped afterwards."""
    url = os.environ.get("DATABASE_URL", "")
    assert url.startswith(("postgis://", "postgres://", "postgresql://")), "the production test needs DATABASE_URL"
    config = dj_database_url.parse(url)
    name = f"prodcheck_{os.getpid()}"
    admin = psycopg.connect(
        dbname="postgres",
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        autocommit=True,
    )
    admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
    admin.execute(f'CREATE DATABASE "{name}"')
    parts = urlsplit(url)
    try:
        yield urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))
    finally:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


@pytest.fixture(scope="module")
def production_env(scratch_database_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("production")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST", "REDIS_URL"))}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=scratch_database_url,
        # No REDIS_URL: cache and broker are files under VAR_DIR, so nothing leaks into a shared Redis.
        VAR_DIR=str(tmp / "var"),
        STATIC_ROOT=str(tmp / "static"),
        MEDIA_ROOT=str(tmp / "media"),
        SMS_BACKEND="file",
        HEALTHZ_REQUIRE_WORKER="0",
        DEMO_PASSWORD=secrets.token_urlsafe(12),
    )
    return env


def _start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _finish(process: subprocess.Popen) -> str:
    output = process.communicate(timeout=180)[0]
    assert process.returncode == 0, f"{process.args!r} failed:\n{output}"
    return output


@pytest.fixture(scope="module")
def portal(production_env: dict[str, str]) -> Iterator[dict]:
    """collectstatic and check --deploy alongside migrate + load_demo --small + sessions, then gunicorn."""
    env = production_env
    collect, check = _start(["collectstatic", "--noinput", "-v0"], env), _start(["check", "--deploy"], env)
    _run(["migrate", "--noinput", "-v0"], env)
    _run(["load_demo", "--small"], env)
    output = _run(["shell", "-c", SETUP], env)
    setup = json.loads(next(line for line in output.splitlines() if line.startswith('{"rider"')))
    _finish(collect)
    setup["check_deploy"] = _finish(check)
    port = _free_port()
    log = open(Path(env["VAR_DIR"]) / "gunicorn.log", "w+b")  # noqa: SIM115 - closed at teardown
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "chaoyang_friendly.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{Path(log.name).read_text()}"
            try:
                if _get(port, "/healthz")[0].status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"gunicorn did not answer /healthz:\n{Path(log.name).read_text()}"
            time.sleep(0.2)
        yield {"port": port, "log": Path(log.name), **setup}
    finally:
        server.terminate()
        server.wait(timeout=15)
        log.close()


def _get(port: int, path: str, cookie: str = "", headers: dict[str, str] | None = None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    sent = {**HTTPS, "Accept-Language": "zh-CN,zh;q=0.9", **(headers or {})}
    if cookie:
        sent["Cookie"] = f"sessionid={cookie}"
    conn.request("GET", path, headers=sent)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response, body


def _rider_pages() -> dict[str, URLPattern]:
    """name → pattern, for every URL the rider may open, found in the URLconf."""

    def walk(patterns: list, prefix: str = "", namespace: str | None = None) -> Iterator[tuple[str, str, URLPattern]]:
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
            elif namespace in RIDER_NAMESPACES or (namespace is None and p.name == "home"):
                yield (f"{namespace}:{p.name}" if namespace else p.name), prefix + str(p.pattern), p

    return {
        name: p
        for name, route, p in walk(get_resolver().url_patterns)
        if name not in NOT_PAGES and not route.startswith(NOT_RIDER_ROUTES)
    }


def test_check_deploy_is_clean(portal):
    output = portal["check_deploy"]
    assert "System check identified no issues" in output, output
    assert "WARNINGS" not in output and "ERRORS" not in output, output


def test_every_rider_page_answers_200(portal):
    pages = _rider_pages()
    assert {"home", "accounts:login", "accounts:profile", "stations:nearby", "housing:index", "reports:new"} <= set(
        pages
    )
    missing = [name for name, p in pages.items() if p.pattern.converters and name not in portal["args"]]
    assert not missing, f"new rider pages with parameters: add them to SETUP's args or NOT_PAGES: {missing}"
    failures = {}
    for name in sorted(pages):
        path = reverse(name, args=portal["args"].get(name, []))
        response, body = _get(portal["port"], path, cookie=portal["rider"])
        if response.status != 200:
            failures[path] = (response.status, response.getheader("Location"), body[:300])
    assert not failures, f"{failures}\n{portal['log'].read_text()[-3000:]}"


@pytest.mark.parametrize(
    ("path", "who"),
    [("/admin/login/", ""), ("/analytics/", "analyst"), ("/api/docs/", "analyst"), ("/api/schema/", "analyst")],
)
def test_staff_pages_and_api_docs_answer_200(portal, path, who):
    response, body = _get(portal["port"], path, cookie=portal[who] if who else "")
    assert response.status == 200, (response.status, response.getheader("Location"), body[:500])


def test_a_missing_page_is_the_chinese_404(portal):
    response, body = _get(portal["port"], "/no-such-page/")
    html = body.decode()
    assert response.status == 404
    assert '<html lang="zh-hans">' in html and "找不到这个页面" in html and 'name="viewport"' in html
    response, body = _get(portal["port"], "/s/NO-SUCH-CODE")
    assert response.status == 404 and "这不是驿站的二维码" in body.decode()
    response, body = _get(portal["port"], "/api/v1/no-such-endpoint/")
    assert response.status == 404 and response.getheader("Content-Type") == "application/json"


def test_static_files_are_compressed_and_cached_for_ever(portal):
    port = portal["port"]
    urls = set()
    for page in ("/", "/stations/", "/api/docs/"):
        html = _get(port, page, cookie=portal["analyst"] if page == "/api/docs/" else "")[1].decode()
        urls |= set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html))
    assert any(u.endswith(".css") for u in urls) and any(u.endswith(".js") for u in urls), urls
    for url in sorted(urls):
        response, body = _get(port, url, headers={"Accept-Encoding": "gzip, deflate, br"})
        assert response.status == 200, url
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} is not a hashed name"
        assert response.getheader("Cache-Control") == FOREVER, url
        if url.endswith((".css", ".js")) and len(body) > 1024:
            assert response.getheader("Content-Encoding") in {"gzip", "br"}, url
            assert "Accept-Encoding" in (response.getheader("Vary") or ""), url


def test_favicon_ico_leads_to_the_hashed_icon(portal):
    response, _ = _get(portal["port"], "/favicon.ico")
    assert response.status == 302
    location = response.getheader("Location")
    icon, body = _get(portal["port"], location)
    assert icon.status == 200 and icon.getheader("Content-Type") in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert body[:4] == b"\x00\x00\x01\x00"
    assert icon.getheader("Cache-Control") == FOREVER
