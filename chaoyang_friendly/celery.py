"""The Celery app. Broker: Redis when REDIS_URL is set, else kombu's filesystem transport under var/."""

import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery, bootsteps
from celery.worker.consumer import Consumer

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")

logger = logging.getLogger(__name__)

app = Celery("chaoyang_friendly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# The worker's consumer: Celery's, with the reconnect guard below (bench/broker_restart.py shows why).
app.conf.worker_consumer = "chaoyang_friendly.celery:GuardedConsumer"


@app.on_after_configure.connect
def _make_filesystem_queue(sender: Celery, **kwargs: object) -> None:
    """The filesystem transport needs its folders before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# --- Reconnect guard ------------------------------------------------------------------------------
# kombu 5.7 / celery 5.7 with Redis: when the broker goes away while the worker holds unacked messages
# (retries waiting for their countdown), Consumer.on_connection_error_after_connected() first collect()s the
# connection (closing the channel fails: Redis is down; then the transport's `client` is set to None) and
# then close()s it; the second close tries to requeue the unacked messages, builds a new Redis pool from
# `transport.client` and raises AttributeError ('NoneType' object has no attribute 'hostname'), which is no
# connection error: "Unrecoverable error", the worker exits. Nothing can be requeued then anyway (Redis is
# down; the messages stay in Redis' unacked hash and return after visibility_timeout), so the guard lets
# only that close fail quietly and the consumer reconnects as Celery means it to.
class GuardedConsumer(Consumer):
    def on_connection_error_after_connected(self, exc: Exception) -> None:
        connection = self.connection
        if connection is not None:
            close = connection.close

            def close_broken_connection() -> None:
                try:
                    close()
                except AttributeError:
                    logger.warning("broker connection lost; its unacked messages return after the "
                                   "visibility timeout", exc_info=True)

            connection.close = connection.release = close_broken_connection  # type: ignore[method-assign]
        super().on_connection_error_after_connected(exc)


# --- Worker heartbeat ------------------------------------------------------------------------------
# Written into the Django cache (Redis, or the file cache when embedded; workers have no database) and
# read by /healthz. It runs on the consumer's timer, which the event loop drives: a worker that exits,
# hangs or lost its broker connection stops writing (the consumer's steps stop on connection loss).
HEARTBEAT_KEY = "worker-heartbeat:{}"
HEARTBEAT_HOSTS_KEY = "worker-heartbeat:hosts"
HEARTBEAT_HOSTS_TTL = 7 * 24 * 3600


def heartbeat_write(hostname: str, queues: list[str], *, at: float | None = None) -> None:
    """Record that `hostname` consumes `queues` now, and list it in the hosts registry."""
    import time

    from django.conf import settings
    from django.core.cache import cache

    at = time.time() if at is None else at
    ttl = int(max(settings.HEALTHZ_WORKER_MAX_AGE_SECONDS, settings.WORKER_HEARTBEAT_SECONDS) * 2)
    cache.set(HEARTBEAT_KEY.format(hostname), {"at": at, "queues": sorted(queues)}, timeout=ttl)
    hosts = cache.get(HEARTBEAT_HOSTS_KEY) or {}
    if hostname not in hosts or at - hosts[hostname] > 3600:
        # Registry of hostnames so healthz needs no KEYS/SCAN; last writer wins, a lost entry is re-added.
        hosts = {h: seen for h, seen in hosts.items() if at - seen < HEARTBEAT_HOSTS_TTL}
        hosts[hostname] = at
        cache.set(HEARTBEAT_HOSTS_KEY, hosts, timeout=HEARTBEAT_HOSTS_TTL)


def heartbeat_clear(hostname: str) -> None:
    from django.core.cache import cache

    cache.delete(HEARTBEAT_KEY.format(hostname))


class WorkerHeartbeat(bootsteps.StartStopStep):
    requires = ("celery.worker.consumer.tasks:Tasks",)

    def __init__(self, parent: Any, **kwargs: Any) -> None:
        super().__init__(parent, **kwargs)
        self.tref: Any = None

    def _beat(self, consumer: Any) -> None:
        try:
            queues = [q.name for q in consumer.task_consumer.queues] if consumer.task_consumer else []
            heartbeat_write(consumer.hostname, queues)
        except Exception:  # a timer callback must never raise; healthz will say "missing"
            logger.warning("worker heartbeat not written", exc_info=True)

    def start(self, parent: Any) -> None:
        from django.conf import settings

        self._beat(parent)
        self.tref = parent.timer.call_repeatedly(settings.WORKER_HEARTBEAT_SECONDS, self._beat, (parent,), priority=10)

    def stop(self, parent: Any) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None
            try:
                heartbeat_clear(parent.hostname)
            except Exception:
                logger.warning("worker heartbeat not cleared", exc_info=True)

    shutdown = stop


app.steps["consumer"].add(WorkerHeartbeat)
