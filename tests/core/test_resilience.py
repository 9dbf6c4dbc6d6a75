"""Submissions do not depend on Redis or the broker (DESIGN.md, dispatch flow; issue 12 items 1 and 3)."""

import threading
import time
from collections.abc import Iterator

import pytest
from django.core.cache import cache, caches
from django_ratelimit.core import is_ratelimited
from kombu.exceptions import OperationalError

from chaoyang_friendly import broker
from chaoyang_friendly.celery import HEARTBEAT_KEY, WorkerHeartbeat, heartbeat_write
from reports.models import Report
from reports.services import categories_ensure, report_dispatch_enqueue
from reports.tasks import report_dispatch_task

CLOSED = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused
DH = ("116.4690", "40.0130")  # inside 东湖


def _wait_until(condition, tries: int = 1000) -> None:
    for _ in range(tries):
        if condition():
            return
        time.sleep(0.01)


def _submit(client):
    data = {"category": "traffic_light", "lng": DH[0], "lat": DH[1], "description": "红绿灯不亮"}
    return client.post("/api/v1/reports/", data, format="multipart")


# --- cache ----------------------------------------------------------------------------------------


def test_a_report_is_saved_while_redis_is_away(redis_away, rider, api):
    categories_ensure()
    response = _submit(api(rider))
    assert response.status_code == 201, response.content
    assert Report.objects.get(pk=response.json()["id"]).status == Report.Status.SUBMITTED


def test_rate_limits_fail_open_through_the_cache_alone(redis_away, settings, rf):
    settings.RATELIMIT_FAIL_OPEN = False  # the cache must not depend on django-ratelimit's switch
    request = rf.post("/api/v1/reports/")
    assert not is_ratelimited(request, group="t", key="ip", rate="1/h", increment=True)
    assert not is_ratelimited(request, group="t", key="ip", rate="1/h", increment=True)


def test_the_cache_answers_like_a_miss_while_redis_is_away(redis_away):
    assert cache.get("k", "default") == "default"
    cache.set("k", 1)
    assert cache.add("k", 1) is True
    assert cache.get_or_set("k", 7) == 7
    assert cache.get_many(["k"]) == {}
    assert cache.delete("k") is False
    assert "k" not in cache
    with pytest.raises(ValueError):
        cache.incr("k")


def test_after_a_failure_the_cache_skips_redis_for_a_while(redis_away, monkeypatch):
    client = caches["default"]._cache
    calls = []
    original = client.get_client

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(client, "get_client", counting)
    assert cache.get("a") is None
    assert cache.get("b") is None
    assert cache.add("c", 1) is True
    assert len(calls) == 1


def test_the_cache_still_works_when_redis_answers():
    assert cache.add("resilience:k", 1, timeout=10) is True
    assert cache.add("resilience:k", 1, timeout=10) is False
    assert cache.incr("resilience:k") == 2


# --- broker ---------------------------------------------------------------------------------------


@pytest.fixture
def broker_away(settings) -> Iterator[None]:
    from chaoyang_friendly.celery import app

    def point_at(url: str) -> None:
        # Drop the pooled connections too: app.close() leaves the producer pool (bound to the old URL)
        # and deregisters the app, so every later publish in this process went to the closed port.
        app.conf.broker_url = url
        app._pool = None
        app.amqp._producer_pool = None

    original = app.conf.broker_url
    point_at(CLOSED)
    yield
    point_at(original)


def test_the_enqueue_gives_up_on_a_closed_broker_and_the_report_stays_submitted(
    broker_away, rider, api, monkeypatch, django_capture_on_commit_callbacks
):
    categories_ensure()
    finished = threading.Event()
    publish = report_dispatch_task.apply_async

    def tracked(*args, **kwargs):
        try:
            return publish(*args, **kwargs)
        finally:
            finished.set()

    monkeypatch.setattr(report_dispatch_task, "apply_async", tracked)
    with django_capture_on_commit_callbacks(execute=True):
        response = _submit(api(rider))  # runs report_dispatch_enqueue after commit; must not raise
    assert response.status_code == 201
    report = Report.objects.get(pk=response.json()["id"])
    broker.breaker_reset()
    assert report_dispatch_enqueue(report_id=report.pk) is False
    assert finished.wait(30)  # let the background publish fail before the broker URL is restored
    report.refresh_from_db()
    assert report.status == Report.Status.SUBMITTED


def test_the_enqueue_returns_while_a_hung_publish_is_still_running(monkeypatch, settings):
    settings.BROKER_ENQUEUE_TIMEOUT_SECONDS = 0.05
    release, finished = threading.Event(), threading.Event()

    def hung(*args, **kwargs):
        release.wait(10)
        finished.set()

    monkeypatch.setattr(report_dispatch_task, "apply_async", hung)
    assert report_dispatch_enqueue(report_id=1) is False
    assert not finished.is_set()  # the caller was let go before the publish ended
    release.set()
    assert finished.wait(10)


def test_after_a_failed_publish_the_broker_is_skipped_for_a_while(monkeypatch, settings):
    settings.BROKER_ENQUEUE_TIMEOUT_SECONDS = 5  # see the failure within the call
    attempts = []

    def failing(*args, **kwargs):
        attempts.append(args)
        raise OperationalError("Error 111 connecting to 127.0.0.1:1. Connection refused.")

    monkeypatch.setattr(report_dispatch_task, "apply_async", failing)
    assert report_dispatch_enqueue(report_id=1) is False
    assert report_dispatch_enqueue(report_id=2) is False
    assert len(attempts) == 1
    broker.breaker_reset()
    assert report_dispatch_enqueue(report_id=3) is False
    assert len(attempts) == 2


def test_a_slow_publish_does_not_open_the_breaker_and_completes_in_the_background(monkeypatch, settings):
    settings.BROKER_ENQUEUE_TIMEOUT_SECONDS = 0.01
    release, published = threading.Event(), []

    def slow(*args, **kwargs):
        release.wait(10)
        published.append(kwargs)

    monkeypatch.setattr(report_dispatch_task, "apply_async", slow)
    assert report_dispatch_enqueue(report_id=1) is False  # the caller does not wait
    assert not broker.breaker_open()  # slow is not down: the next report is still enqueued
    release.set()
    _wait_until(lambda: published)
    assert published == [{"args": [1], "kwargs": {}, "retry": False}]


def test_a_slow_publish_that_then_fails_opens_the_breaker(monkeypatch, settings):
    settings.BROKER_ENQUEUE_TIMEOUT_SECONDS = 0.01
    release = threading.Event()

    def slow_then_refused(*args, **kwargs):
        release.wait(10)
        raise OperationalError("Error 110 connecting to 10.0.0.1:6379. Timed out.")

    monkeypatch.setattr(report_dispatch_task, "apply_async", slow_then_refused)
    assert report_dispatch_enqueue(report_id=1) is False
    assert not broker.breaker_open()
    release.set()
    _wait_until(broker.breaker_open)  # the done-callback runs on the pool thread
    assert broker.breaker_open()


def test_a_backlog_beyond_max_pending_is_left_to_the_sweeper(monkeypatch, settings):
    settings.BROKER_ENQUEUE_TIMEOUT_SECONDS = 0.01
    monkeypatch.setattr(broker, "MAX_PENDING", 2)
    release, attempts = threading.Event(), []

    def hung(**kwargs):
        attempts.append(kwargs)
        release.wait(10)

    monkeypatch.setattr(report_dispatch_task, "apply_async", hung)
    results = [report_dispatch_enqueue(report_id=i) for i in range(5)]
    assert results == [False] * 5
    release.set()
    _wait_until(lambda: broker._pending == 0)
    assert [a["args"] for a in attempts] == [[0], [1]]  # the rest never queued behind the hung ones


def test_the_enqueue_publishes_when_the_broker_answers(monkeypatch, settings):
    settings.BROKER_ENQUEUE_TIMEOUT_SECONDS = 5  # wait for the confirmation (requests wait 0 s by default)
    published = []
    monkeypatch.setattr(report_dispatch_task, "apply_async", lambda **kwargs: published.append(kwargs))
    assert report_dispatch_enqueue(report_id=5) is True
    assert published == [{"args": [5], "kwargs": {}, "retry": False}]


# --- worker heartbeat -----------------------------------------------------------------------------


def test_healthz_is_503_without_a_worker_heartbeat(db, client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "missing"
    assert response.json()["database"] == "ok"


def test_healthz_is_200_with_a_fresh_heartbeat_and_lists_its_queues(db, client):
    heartbeat_write("celery@dispatch-1", ["dispatch"])
    heartbeat_write("celery@db-1", ["maintenance", "exports"], at=time.time() - 3600)  # stale
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == "ok"
    assert response.json()["queues"] == {"dispatch": "ok", "exports": "missing", "maintenance": "missing"}


def test_a_stale_heartbeat_counts_as_missing(db, client, settings):
    heartbeat_write("celery@dispatch-1", ["dispatch"], at=time.time() - settings.HEALTHZ_WORKER_MAX_AGE_SECONDS - 1)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["worker"] == "missing"


def test_the_worker_requirement_can_be_turned_off(db, client, settings):
    settings.HEALTHZ_REQUIRE_WORKER = False
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["worker"] == "missing"


class _Timer:
    def __init__(self) -> None:
        self.entries: list = []

    def call_repeatedly(self, secs, fun, args=(), kwargs=None, priority=0):
        entry = type("Entry", (), {"canceled": False, "cancel": lambda self: setattr(self, "canceled", True)})()
        self.entries.append((secs, fun, args, entry))
        return entry


class _Consumer:
    hostname = "celery@test-worker"
    timer = _Timer()
    task_consumer = type("TaskConsumer", (), {"queues": [type("Q", (), {"name": "dispatch"})()]})()


def test_the_worker_step_beats_on_the_consumer_timer_and_clears_on_stop(db, client, settings):
    consumer = _Consumer()
    step = WorkerHeartbeat(consumer)
    step.start(consumer)
    assert cache.get(HEARTBEAT_KEY.format("celery@test-worker"))["queues"] == ["dispatch"]
    secs, fun, args, entry = consumer.timer.entries[-1]
    assert secs == settings.WORKER_HEARTBEAT_SECONDS
    assert client.get("/healthz").status_code == 200
    step.stop(consumer)
    assert entry.canceled
    assert client.get("/healthz").status_code == 503


def test_a_database_connection_dropped_mid_request_is_a_503_to_retry_not_a_500(rider, api, client, monkeypatch):
    """pg_terminate_backend, a restart or a failover mid-request: nothing was saved, so say "try again"."""
    from django.db import OperationalError

    from reports import selectors

    def dropped(*args, **kwargs):
        raise OperationalError("terminating connection due to administrator command")

    monkeypatch.setattr(selectors, "report_list_for_rider", dropped)
    response = api(rider).get("/api/v1/reports/")
    assert response.status_code == 503 and response["Retry-After"] == "2"
    assert "请几秒钟后再试" in response.json()["detail"]
    monkeypatch.setattr(selectors, "category_list", dropped)
    client.force_login(rider)
    page = client.get("/reports/")
    assert page.status_code == 503 and "请几秒钟后再试" in page.content.decode()
