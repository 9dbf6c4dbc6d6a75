"""Page weight: what a rider's phone downloads to open each rider page for the first time (empty cache),
compressed, against the budget: under 100 KB, map pages under 250 KB (issue 15).

    .venv/bin/python bench/page_weight.py [--full]

Like bench/capacity.py it builds a scratch PostGIS database (the small demo, or the full one with --full),
starts its own redis-server on a spare port and gunicorn in production mode (DJANGO_DEBUG=0: hashed,
collected static files), plus the rows of tests/browser/rider_pages.py for two new riders, so that every
page shows a rider's normal day (an open report, a housing offer, a confirmed sign-up). Then Debian's
Chromium opens each page at 360×740 in a fresh context (no cache), signed in where the page needs it,
and records every response from the portal until the network is idle: the HTML, CSS, JS (the JavaScript
catalog included), images, fonts, and the JSON the page scripts fetch. Text is weighed gzipped (level 6,
what a front proxy sends; brotli would be ≈15 % less), images and fonts as they are. Map tiles come from
the tile server, not the portal, and are not counted (the budget is the portal's own weight).

It prints one row per page: the weight per kind, the total, the limit and total/limit (over 1.00 fails),
and ends with `pages=<n> over_budget=<names>`; a page that asked the portal for something it does not
have (a 404, such as a map's marker image) is named on `missing=`. Not part of `make test`.
"""

import argparse
import gzip
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests
from playwright.sync_api import Error as PlaywrightError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from capacity import free_port, manage  # noqa: E402

PY = str(ROOT / ".venv/bin/python")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
DB = f"page_weight_{os.getpid()}"
KB = 1024
LIMIT = 100 * KB
MAP_LIMIT = 250 * KB
TEXT_TYPES = ("text/", "javascript", "json", "xml", "svg")
KINDS = {"document": "html", "stylesheet": "css", "script": "js", "image": "img", "font": "font"}
COLUMNS = ["html", "css", "js", "img", "font", "data"]

# Run inside `manage.py shell`: two new riders, the rows of every rider page, and a signed-in session each.
SETUP = """
import json
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.utils.module_loading import import_string
from accounts.models import RiderProfile, Role, User
from jurisdictions.models import Street
from tests.browser import rider_pages

streets = {s.code: s for s in Street.objects.all()}
riders = []
for phone, name, street in (("13912340001", "王师傅", "SJ"), ("13912340002", "李师傅", "SLT")):
    user = User.objects.create_user(phone, role=Role.RIDER, name=name)
    RiderProfile.objects.create(user=user, occupation="food_delivery", platform="美团", work_street=streets[street])
    riders.append(user)
pages = rider_pages.rider_world(streets, *riders)
sessions = {}
for who, user in zip(("rider", "rider_b"), riders, strict=True):
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    sessions[who] = store.session_key
print(json.dumps({"pages": pages, "sessions": sessions, "cookie": settings.SESSION_COOKIE_NAME}))
"""


def weigh(body: bytes, content_type: str) -> int:
    if any(t in content_type for t in TEXT_TYPES):
        return len(gzip.compress(body, 6))
    return len(body)


def measure(browser, base: str, path: str, cookie: dict | None) -> tuple[dict[str, int], list[str]]:
    """The page's weight per kind, and the portal URLs it asked for that were not found."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    context.route(lambda url: not url.startswith(base), lambda route: route.fulfill(status=204, body=""))
    if cookie:
        context.add_cookies([cookie])
    weights = dict.fromkeys(COLUMNS, 0)
    missing = []
    responses = []
    page = context.new_page()
    page.on("response", lambda r: responses.append(r) if r.url.startswith(base) else None)
    page.goto(f"{base}{path}", wait_until="networkidle")
    for response in responses:
        if response.status >= 400:
            missing.append(f"{response.status} {response.url.removeprefix(base)}")
        if response.status in (204, 301, 302, 304):
            continue
        try:
            body = response.body()
        except PlaywrightError:  # a response the page dropped (a cancelled fetch): nothing arrived
            body = b""
        content_type = response.headers.get("content-type", "")
        kind = KINDS.get(response.request.resource_type, "img" if content_type.startswith("image/") else "data")
        weights[kind] += weigh(body, content_type)
    context.close()
    return weights, missing


def main() -> None:
    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(ROOT))
    from tests.browser.rider_pages import MAP_PAGES, PAGE_NAMES

    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="the full demo (about 4,000 stations): slower to build")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="page-weight-"))
    redis_port = free_port()
    subprocess.run(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no", "--daemonize", "yes",
         "--dir", str(work), "--logfile", str(work / "redis.log")],
        check=True,
    )  # fmt: skip
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}", autocommit=True) as conn:
        conn.execute("SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_TEST")}
    env.update(
        {
            "DATABASE_URL": f"postgis://postgres@127.0.0.1:5432/{DB}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "VAR_DIR": str(work),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "page-weight-" + "x" * 60,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "RATELIMIT_ENABLE": "0",
            "HEALTHZ_REQUIRE_WORKER": "0",
            "SMS_BACKEND": "file",
            "LOG_LEVEL": "WARNING",
        }
    )
    web = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_demo", *([] if args.full else ["--small"]))
        manage(env, "collectstatic", "--noinput", "-v0")
        shell = subprocess.run(
            [PY, "manage.py", "shell", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if shell.returncode:
            sys.exit(f"setting up the pages failed:\n{shell.stderr[-3000:]}")
        setup = json.loads(shell.stdout.strip().splitlines()[-1])
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        log = (work / "web.log").open("w")  # the access log, out of the table's way
        web = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "chaoyang_friendly.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", "2", "--threads", "4", "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)

        def cookie(who: str) -> dict | None:
            if who == "anon":
                return None
            return {"name": setup["cookie"], "value": setup["sessions"][who], "url": base}

        over, missing = [], []
        print(f"{'page':24} " + " ".join(f"{c:>6}" for c in COLUMNS) + f" {'total':>7} {'limit':>6} {'ratio':>5}")
        print("(KB, gzip -6)")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=["--no-sandbox"])
            for name in PAGE_NAMES:
                path, who = setup["pages"][name]
                weights, not_found = measure(browser, base, path, cookie(who))
                missing += [f"{name}: {m}" for m in not_found]
                total = sum(weights.values())
                limit = MAP_LIMIT if name in MAP_PAGES else LIMIT
                ratio = total / limit
                if ratio > 1:
                    over.append(name)
                cells = " ".join(f"{weights[c] / KB:6.1f}" for c in COLUMNS)
                flag = "  OVER" if ratio > 1 else ""
                print(f"{name:24} {cells} {total / KB:7.1f} {limit // KB:6d} {ratio:5.2f}{flag}")
            browser.close()
        print(f"pages={len(PAGE_NAMES)} over_budget={','.join(over) or 'none'}")
        if missing:
            print("missing=" + "; ".join(missing))
    finally:
        if web is not None:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], check=False, capture_output=True)
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
