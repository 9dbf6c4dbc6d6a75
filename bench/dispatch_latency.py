"""Submit → webhook latency of the 随手拍 dispatch flow (not part of the test suite).

Starts, on a scratch PostGIS database: gunicorn serving the portal, a Celery dispatch worker that knows only
the API URL and a dispatcher token, and a local HTTP receiver as 东湖's team webhook. Submits N reports
through the API at a fixed rate and measures, per report, the time from the start of the POST to the signed
webhook arriving. For comparison it also measures the bare Celery round trip (enqueue → worker → the same
receiver, no API calls). Prints p50/p95 and ends with `p95_ms=<x>`.

    .venv/bin/python bench/dispatch_latency.py --n 200 --rate 20
Needs PostgreSQL/PostGIS on 127.0.0.1:5432 (user postgres) and Redis on 127.0.0.1:6379.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgis://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "bench_reports")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/3")
SECRET = "bench-secret"  # noqa: S105 - a throwaway webhook secret for a local receiver
DH = (116.4690, 40.0130)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                now = time.monotonic()
                message = json.loads(body)
                key = (
                    f"ping:{message['sent_at']}" if message["event"] == "ping" else f"report:{message['report']['id']}"
                )
                with outer.lock:
                    outer.arrivals.setdefault(key, now)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def setup_database(receiver_url: str) -> tuple[str, str]:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}", autocommit=True) as conn:
        conn.execute("SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis")
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ["REDIS_URL"] = REDIS
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User
    from accounts.services import api_token_create
    from jurisdictions.models import Street
    from jurisdictions.services import streets_load
    from reports.models import ResponseTeam
    from reports.services import categories_ensure

    streets_load()
    categories_ensure()
    ResponseTeam.objects.create(
        street=Street.objects.get(code="DH"), name="东湖街道应急队", webhook_url=receiver_url, webhook_secret=SECRET
    )
    ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True, sms_phone="13700009999")
    rider = User.objects.create_user("13900000001", role=Role.RIDER)
    dispatcher = User.objects.create_user(None, role=Role.DISPATCHER, name="bench-dispatcher")
    return api_token_create(user=rider)[1], api_token_create(user=dispatcher)[1]


def wait_http(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--rate", type=float, default=20.0)
    parser.add_argument("--pings", type=int, default=50)
    parser.add_argument("--worker-concurrency", type=int, default=24)
    parser.add_argument("--worker-pool", default="threads", choices=["threads", "prefork", "gevent"])
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--web-threads", type=int, default=8)
    args = parser.parse_args()

    receiver = Receiver()
    rider_token, dispatcher_token = setup_database(receiver.url)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Production-like web settings (DEBUG off); rate limits off so one rider can submit at 20/s.
    env = {
        **os.environ,
        "RATELIMIT_ENABLE": "0",
        "LOG_LEVEL": "WARNING",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
        "DJANGO_SECURE_SSL_REDIRECT": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    }
    procs = []
    try:
        procs.append(
            subprocess.Popen(
                [
                    str(ROOT / ".venv/bin/gunicorn"),
                    "chaoyang_friendly.wsgi",
                    "-b",
                    f"127.0.0.1:{port}",
                    "-w",
                    str(args.web_workers),
                    "--threads",
                    str(args.web_threads),
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env=env,
            )
        )
        worker_env = {
            **env,
            "DATABASE_URL": "postgis://nobody@127.0.0.1:1/none",
            "API_BASE_URL": base,
            "DISPATCHER_TOKEN": dispatcher_token,
        }
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "chaoyang_friendly",
                    "worker",
                    "-Q",
                    "dispatch",
                    f"--pool={args.worker_pool}",
                    f"--concurrency={args.worker_concurrency}",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "WARNING",
                ],
                cwd=ROOT,
                env=worker_env,
            )
        )
        wait_http(f"{base}/healthz")
        import requests

        from chaoyang_friendly.celery import app
        from reports.tasks import webhook_ping_task

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("dispatch")
        time.sleep(3)  # let the worker finish starting

        # Bare Celery round trip: enqueue → worker → signed POST to the receiver, no API calls.
        ping_lat = []
        for i in range(args.pings):
            sent = time.monotonic()
            webhook_ping_task.delay(receiver.url, SECRET, sent_at=i)
            deadline = sent + 10
            while f"ping:{i}" not in receiver.arrivals and time.monotonic() < deadline:
                time.sleep(0.001)
            if f"ping:{i}" in receiver.arrivals:
                ping_lat.append((receiver.arrivals[f"ping:{i}"] - sent) * 1000)

        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {rider_token}"
        started: dict[int, float] = {}
        errors = []

        def submit(i: int, at: float) -> None:
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            t = time.monotonic()
            data = {
                "category": "traffic_light",
                "lng": str(DH[0] + (i % 7) * 1e-4),
                "lat": str(DH[1]),
                "description": f"bench {i}",
            }
            response = session.post(f"{base}/api/v1/reports/", data=data, timeout=30)
            if response.status_code != 201:
                errors.append(response.status_code)
                return
            started[response.json()["id"]] = t

        t0 = time.monotonic() + 0.5
        with ThreadPoolExecutor(max_workers=16) as pool:
            for i in range(args.n):
                pool.submit(submit, i, t0 + i / args.rate)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(f"report:{rid}" in receiver.arrivals for rid in started):
            time.sleep(0.05)
        latencies = [
            (receiver.arrivals[f"report:{rid}"] - t) * 1000
            for rid, t in started.items()
            if f"report:{rid}" in receiver.arrivals
        ]
        lost = len(started) - len(latencies)
        elapsed = max(started.values()) - min(started.values()) if started else 0
        print(
            f"submitted={len(started)} errors={len(errors)} undelivered_after_60s={lost} "
            f"achieved_rate={len(started) / elapsed if elapsed else 0:.1f}/s"
        )
        if ping_lat:
            print(
                f"celery_round_trip_ms p50={statistics.median(ping_lat):.1f} p95={pct(ping_lat, 0.95):.1f} (n={len(ping_lat)})"
            )
        print(
            f"submit_to_webhook_ms p50={statistics.median(latencies):.1f} p95={pct(latencies, 0.95):.1f} "
            f"max={max(latencies):.1f} (n={len(latencies)})"
        )
        # Where the time goes, from the timeline (server clock): queue wait + routing, then sending.
        from reports.models import ReportEvent

        at: dict[tuple[int, str], float] = {
            (e.report_id, e.kind): e.at.timestamp()
            for e in ReportEvent.objects.filter(
                report_id__in=list(started), kind__in=["submitted", "routed", "delivered"]
            )
        }
        to_route = [(at[(r, "routed")] - at[(r, "submitted")]) * 1000 for r in started if (r, "routed") in at]
        to_deliver = [(at[(r, "delivered")] - at[(r, "routed")]) * 1000 for r in started if (r, "delivered") in at]
        if to_route and to_deliver:
            print(
                f"breakdown_ms submitted→routed p50={statistics.median(to_route):.1f} p95={pct(to_route, 0.95):.1f}; "
                f"routed→delivered p50={statistics.median(to_deliver):.1f} p95={pct(to_deliver, 0.95):.1f}"
            )
        print(f"p95_ms={pct(latencies, 0.95):.0f}")
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


if __name__ == "__main__":
    main()
