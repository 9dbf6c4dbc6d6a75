import datetime
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import cache_control, never_cache

# When this process started: the Last-Modified of what changes only on deploy (the JS catalog).
STARTED_AT = datetime.datetime.now(tz=datetime.UTC)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:  # noqa: BLE001 - any failure means "not answering"
        return False


def _broker_ok() -> bool:
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # noqa: BLE001
        return False


def _worker_queues() -> dict[str, bool]:
    """Queue name → whether a worker consuming it wrote a heartbeat in the last
    HEALTHZ_WORKER_MAX_AGE_SECONDS (two cache reads: the hosts registry, then their heartbeats)."""
    from .celery import HEARTBEAT_HOSTS_KEY, HEARTBEAT_KEY

    hosts = cache.get(HEARTBEAT_HOSTS_KEY) or {}
    beats = cache.get_many([HEARTBEAT_KEY.format(h) for h in hosts]) if hosts else {}
    oldest_fresh = time.time() - settings.HEALTHZ_WORKER_MAX_AGE_SECONDS
    queues: dict[str, bool] = {}
    for beat in beats.values():
        if not isinstance(beat, dict):
            continue
        fresh = beat.get("at", 0) >= oldest_fresh
        for queue in beat.get("queues") or ["?"]:
            queues[queue] = queues.get(queue, False) or fresh
    return queues


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with {"database": "ok", "broker": "ok", "worker": "ok"} when all answer, else 503.

    "worker" is "ok" when some worker's heartbeat is fresh; it counts only if HEALTHZ_REQUIRE_WORKER.
    """
    db, broker = _database_ok(), _broker_ok()
    queues = _worker_queues()
    worker = any(queues.values())
    healthy = db and broker and (worker or not settings.HEALTHZ_REQUIRE_WORKER)
    body = {
        "status": "ok" if healthy else "degraded",
        "database": "ok" if db else "unavailable",
        "broker": "ok" if broker else "unavailable",
        "worker": "ok" if worker else "missing",
        "queues": {name: "ok" if fresh else "missing" for name, fresh in sorted(queues.items())},
        "database_engine": settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
    }
    return JsonResponse(body, status=200 if healthy else 503)


def home(request: HttpRequest) -> HttpResponse:
    return render(request, "home.html")


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and WeChat ask for whatever the page links: the static file (a hashed,
    immutable URL in production). A day's cache, not for ever: a new icon gets a new hashed name."""
    return redirect(static("favicon.ico"))
