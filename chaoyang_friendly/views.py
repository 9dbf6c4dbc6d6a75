import datetime
import time
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.utils.translation import gettext as _
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


def _next_registration(user: Any, now: datetime.datetime) -> tuple[Any, Any] | None:
    """The rider's soonest confirmed or waitlisted sign-up with a session still to end, and that session."""
    from partybranch.models import Registration
    from partybranch.selectors import registration_list_for_rider

    soonest = None
    registrations = registration_list_for_rider(user=user).filter(
        status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITLISTED], activity__sessions__end__gte=now
    )
    for registration in registrations.distinct():
        session = next((s for s in registration.activity.sessions.all() if s.end >= now), None)
        if session is not None and (soonest is None or session.start < soonest[1].start):
            soonest = (registration, session)
    return soonest


def rider_things(request: HttpRequest) -> dict[str, Any]:
    """What the rider is waiting for, from each app's own selectors: the open 随手拍 report and when the team
    is due, an open housing offer and its deadline, the next activity with its check-in QR, volunteer hours."""
    import segno
    from django.urls import reverse

    from housing.selectors import offer_list_for_rider
    from partybranch.models import Registration
    from partybranch.selectors import hours_summary
    from reports.selectors import report_list_for_rider

    user, now = request.user, timezone.now()
    open_reports = report_list_for_rider(user=user).open()
    report = open_reports.first()
    due = None
    if report is not None:
        due = report.arrival_due_at if report.on_site_at is None and report.arrival_due_at else report.resolve_due_at
    offer = offer_list_for_rider(user=user).open().filter(deadline__gte=now).order_by("deadline").first()
    next_up = _next_registration(user, now)
    qr_svg = None
    if next_up and next_up[0].status == Registration.Status.CONFIRMED:
        url = request.build_absolute_uri(reverse("partybranch:scan", args=[next_up[0].qr_token]))
        qr_svg = segno.make(url, error="m").svg_inline(scale=4, title=_("签到二维码"))
    return {
        "report": report,
        "report_due": due,
        "report_overdue": bool(report and report.is_overdue(now)),
        "open_reports": open_reports.count() if report is not None else 0,
        "offer": offer,
        "registration": next_up[0] if next_up else None,
        "session": next_up[1] if next_up else None,
        "qr_svg": qr_svg,
        "hours": hours_summary(user=user),
    }


def home(request: HttpRequest) -> HttpResponse:
    """Anonymous: the four services. Signed in: first what the rider is waiting for, then the services."""
    context = rider_things(request) if request.user.is_authenticated else {}
    return render(request, "home.html", context)


@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers and WeChat ask for whatever the page links: the static file (a hashed,
    immutable URL in production). A day's cache, not for ever: a new icon gets a new hashed name."""
    return redirect(static("favicon.ico"))
