"""Celery tasks of the dispatch flow. Thin: they call reports.worker, which speaks only to the REST API."""

import logging
import threading

from celery import shared_task
from django.conf import settings

from . import worker

logger = logging.getLogger(__name__)


_local = threading.local()


def _client() -> worker.DispatchClient:
    """One client (one keep-alive HTTP session) per worker thread."""
    client = getattr(_local, "client", None)
    if client is None or (client.base_url, client.token) != (settings.API_BASE_URL, settings.DISPATCHER_TOKEN):
        client = _local.client = worker.DispatchClient(base_url=settings.API_BASE_URL, token=settings.DISPATCHER_TOKEN)
    return client


@shared_task(bind=True, acks_late=True, name="reports.dispatch", max_retries=None)
def report_dispatch_task(self, report_id: int) -> str:  # type: ignore[no-untyped-def]
    """Route and deliver one report; retry with exponential backoff and jitter when something fails.

    The next attempt's delay is chosen before sending and told to the API with the outcome, so the
    sweeper starts no second chain while this one is backing off.
    """
    if self.request.retries >= settings.REPORTS_DISPATCH_MAX_RETRIES:
        countdown = None  # the last attempt of this chain
    else:
        countdown = worker.backoff_seconds(
            self.request.retries,
            base=settings.REPORTS_DISPATCH_BACKOFF_BASE,
            cap=settings.REPORTS_DISPATCH_BACKOFF_MAX,
        )
    try:
        return worker.dispatch(
            report_id,
            client=_client(),
            webhook_timeout=settings.REPORTS_WEBHOOK_TIMEOUT_SECONDS,
            retry_in=countdown,
        )
    except worker.PermanentError:
        logger.exception("report %s cannot be dispatched", report_id)
        return "failed"
    except worker.TransientError as exc:
        if countdown is None:
            # Not lost: the server escalated it as undeliverable; the sweeper tries again later.
            logger.error("report %s: giving up for now after %s retries: %s", report_id, self.request.retries, exc)
            return "gave_up"
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(bind=True, acks_late=True, name="reports.sweep", ignore_result=True)
def reports_sweep_task(self) -> dict:  # type: ignore[no-untyped-def]
    """Beat: ask the API to escalate overdue reports and re-enqueue the ones the broker lost."""
    result = _client().sweep()
    for report_id in result.get("redispatch", []):
        report_dispatch_task.apply_async(args=[report_id])
    return result


@shared_task(bind=True, acks_late=True, name="reports.webhook_ping", ignore_result=True)
def webhook_ping_task(self, url: str, secret: str, sent_at: float | None = None) -> bool:  # type: ignore[no-untyped-def]
    """Send a signed {"event": "ping"} to a webhook (to test a team's endpoint; the benchmark uses it for
    the bare Celery round trip). No API call, no database."""
    ok, _status, _error = worker.deliver_webhook(
        url, secret, {"event": "ping", "sent_at": sent_at}, delivery_id=f"ping-{self.request.id}", timeout=5
    )
    return ok


@shared_task(bind=True, acks_late=True, name="reports.photos_orphans_remove", ignore_result=True)
def photos_orphans_remove_task(self, limit: int = 1000) -> int:  # type: ignore[no-untyped-def]
    """Beat, hourly, maintenance queue (it needs the database and the media storage): delete photo files
    that no report references, e.g. from a process killed mid-submission. Safe to run twice."""
    # Imported here: the dispatch tasks above run on workers that never touch the database.
    from .photos import ORPHAN_MIN_AGE, photos_orphans_remove

    return photos_orphans_remove(older_than=ORPHAN_MIN_AGE, limit=limit)
