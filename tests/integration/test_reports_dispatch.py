"""The dispatch flow end to end: a real Celery worker process on Redis that knows only the API URL and a
dispatcher token (its DATABASE_URL points at a closed port), a local HTTP receiver as the team's system,
and the portal served by pytest-django's live_server."""

import json
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import Role, User
from accounts.services import api_token_create
from jurisdictions.models import Street
from reports.models import DeliveryAttempt, Report, ResponseTeam
from reports.services import categories_ensure
from reports.worker import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
SECRET = "dh-webhook-secret"
DH = (116.4690, 40.0130)


class Receiver:
    """A team's HTTP endpoint. `fail_every_other` answers 500 to every second request."""

    def __init__(self) -> None:
        self.hits: list[dict] = []
        self.fail_every_other = False
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    fail = receiver.fail_every_other and len(receiver.hits) % 2 == 0
                    receiver.hits.append(
                        {
                            "headers": dict(self.headers),
                            "body": body,
                            "status": 500 if fail else 200,
                            "at": time.monotonic(),
                        }
                    )
                self.send_response(500 if fail else 200)
                self.end_headers()
                self.wfile.write(b"fail" if fail else b"ok")

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def delivered(self) -> list[dict]:
        with self.lock:
            return [h for h in self.hits if h["status"] == 200]


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


def wait_for(predicate, timeout: float = 45.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


@pytest.fixture
def world(streets, receiver):
    categories_ensure()
    team = ResponseTeam.objects.create(
        street=streets["DH"], name="东湖街道应急队", webhook_url=receiver.url, webhook_secret=SECRET
    )
    member = User.objects.create_user(None, role=Role.TEAM_MEMBER, name="东湖队员", street=streets["DH"])
    team.members.add(member)
    ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True, sms_phone="13700000009")
    rider = User.objects.create_user("13900000001", role=Role.RIDER)
    dispatcher = User.objects.create_user(None, role=Role.DISPATCHER, name="dispatch")
    return {"team": team, "member": member, "rider": rider, "token": api_token_create(user=dispatcher)[1]}


@pytest.fixture
def worker(world, live_server, tmp_path):
    """A Celery worker subprocess: Redis broker, the API URL and token — and no reachable database."""
    env = {
        **os.environ,
        "DATABASE_URL": "postgis://nobody@127.0.0.1:1/no_database_for_workers",
        "API_BASE_URL": live_server.url,
        "DISPATCHER_TOKEN": world["token"],
        "REPORTS_WEBHOOK_ALLOW_PRIVATE": "1",  # the team's receiver listens on 127.0.0.1
        "REPORTS_DISPATCH_BACKOFF_BASE": "0.2",
        "REPORTS_DISPATCH_BACKOFF_MAX": "1",
        "SMS_BACKEND": "file",
        "SMS_FILE_DIR": str(tmp_path / "worker-sms"),
    }
    log = open(tmp_path / "worker.log", "wb")  # noqa: SIM115 - closed at teardown
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "chaoyang_friendly",
            "worker",
            "-Q",
            "dispatch,maintenance",  # the sweep task reaches the database only through the API
            "--pool=solo",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "-l",
            "INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    wait_for(lambda: b"ready" in (tmp_path / "worker.log").read_bytes() or proc.poll() is not None, timeout=60)
    assert proc.poll() is None, (tmp_path / "worker.log").read_text()
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
    log.close()


def _submit(world, **extra) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=world['rider'])[1]}")
    data = {"category": "traffic_light", "lng": str(DH[0]), "lat": str(DH[1]), "description": "信号灯全灭", **extra}
    response = client.post("/api/v1/reports/", data, format="multipart")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _kinds(report_id: int) -> list[str]:
    return list(Report.objects.get(pk=report_id).events.values_list("kind", flat=True))


def test_a_report_reaches_the_team_signed_and_the_timeline_completes(world, worker, receiver, tmp_path):
    started = time.monotonic()
    report_id = _submit(world)
    hit = wait_for(lambda: receiver.delivered() and receiver.delivered()[0])
    latency = hit["at"] - started
    headers = {k.lower(): v for k, v in hit["headers"].items()}
    signature = headers[SIGNATURE_HEADER.lower()].removeprefix("sha256=")
    assert verify(SECRET, headers[TIMESTAMP_HEADER.lower()], hit["body"], signature)
    assert not verify("wrong-secret", headers[TIMESTAMP_HEADER.lower()], hit["body"], signature)
    message = json.loads(hit["body"])
    assert message["event"] == "report.dispatched" and message["report"]["id"] == report_id
    assert message["report"]["street"]["code"] == "DH" and message["team"]["name"] == "东湖街道应急队"
    wait_for(lambda: "delivered" in _kinds(report_id))
    assert latency < 10, latency  # the benchmark measures the real figure

    team = APIClient()
    team.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=world['member'])[1]}")
    from tests.reports.factories import jpeg_upload

    for kind in ("acknowledge", "on_site"):
        assert team.post(f"/api/v1/reports/{report_id}/events/", {"kind": kind}, format="multipart").status_code == 200
    done = team.post(
        f"/api/v1/reports/{report_id}/events/", {"kind": "resolve", "photo": jpeg_upload()}, format="multipart"
    )
    assert done.status_code == 200
    assert _kinds(report_id) == ["submitted", "routed", "delivered", "acknowledged", "on_site", "resolved"]
    assert len(receiver.delivered()) == 1  # delivered once, never again

    # The rider sees the whole timeline; 双井's staff never see the report; an Open311 client reads it back.
    rider = APIClient()
    rider.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_create(user=world['rider'])[1]}")
    timeline = [e["kind"] for e in rider.get(f"/api/v1/reports/{report_id}/").json()["events"]]
    assert timeline == ["submitted", "routed", "delivered", "acknowledged", "on_site", "resolved"]
    sj_staff = User.objects.create_user(
        "13800000002", role=Role.STREET_STAFF, street=Street.objects.get(code="SJ"), is_staff=True
    )
    assert not Report.objects.for_user(sj_staff).filter(pk=report_id).exists()
    open311 = APIClient().get(f"/open311/v2/requests/{report_id}.json").json()[0]
    assert open311["status"] == "closed" and open311["agency_responsible"] == "东湖街道应急队"
    assert "ERROR" not in (tmp_path / "worker.log").read_text()


@pytest.fixture
def broker_down():
    """Point the web side's Celery producer at a closed port (the worker keeps the real Redis)."""
    from chaoyang_friendly.celery import app

    old = app.conf.broker_url

    def reset(url: str) -> None:
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    reset("redis://127.0.0.1:1/3")
    yield reset
    reset(old)


def test_a_report_saved_while_the_broker_is_down_is_dispatched_by_the_sweeper(world, worker, receiver, broker_down):
    from chaoyang_friendly.celery import app
    from reports.tasks import reports_sweep_task

    report_id = _submit(world)  # the enqueue after commit fails; the rider still gets 201
    assert Report.objects.get(pk=report_id).status == "submitted"
    broker_down(os.environ["REDIS_URL"])  # Redis is back
    time.sleep(1.0)  # a real pause: show nothing was delivered while the message was lost
    assert receiver.hits == []
    # A minute later the beat task runs (we send it now instead of waiting for beat).
    Report.objects.filter(pk=report_id).update(created_at=timezone.now() - timedelta(seconds=90))
    assert app.conf.broker_url == os.environ["REDIS_URL"]
    reports_sweep_task.delay()
    wait_for(lambda: receiver.delivered())
    wait_for(lambda: "delivered" in _kinds(report_id))
    assert _kinds(report_id) == ["submitted", "routed", "delivered"]


def test_retries_against_a_receiver_that_fails_half_the_time(world, worker, receiver):
    receiver.fail_every_other = True
    ids = [_submit(world) for _ in range(3)]
    wait_for(lambda: Report.objects.filter(pk__in=ids, status="delivered").count() == 3)
    delivered_ids = [json.loads(h["body"])["report"]["id"] for h in receiver.delivered()]
    assert sorted(delivered_ids) == sorted(ids)  # each exactly once
    failures = DeliveryAttempt.objects.filter(report_id__in=ids, outcome="failure").count()
    assert failures == len(receiver.hits) - 3 >= 1
    for report_id in ids:
        assert DeliveryAttempt.objects.filter(report_id=report_id, outcome="success").count() == 1
