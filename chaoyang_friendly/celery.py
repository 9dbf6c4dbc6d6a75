"""The Celery app. Broker: Redis when REDIS_URL is set, else kombu's filesystem transport under var/."""

import gc
import logging
import os
from pathlib import Path
from typing import Any

from celery import Celery, bootsteps, signals
from kombu.transport import redis as kombu_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")

logger = logging.getLogger(__name__)

app = Celery("chaoyang_friendly")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _make_filesystem_queue(sender: Celery, **kwargs: object) -> None:
    """The filesystem transport needs its folders before the first message."""
    options = sender.conf.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


# --- Reconnect guard ------------------------------------------------------------------------------
# kombu 5.7 + Redis: when the broker goes away while the worker holds unacked messages (retries waiting for
# their countdown), Celery drops the broken connection (Connection.collect() sets the transport's `client`
# to None), but its channel outlives it: closing it (to requeue the unacked messages) or acking/rejecting a
# message of it (a task that finishes after the loss) makes the channel build a new Redis pool from
# `transport.client` -> AttributeError ('NoneType' object has no attribute 'hostname'), which is no
# connection error: "Unrecoverable error", the worker exits (bench/broker_restart.py: 0/5 survived).
# The guard turns it into the connection error it is: Celery logs it and reconnects; the messages stay in
# Redis' unacked hash and return after visibility_timeout (tasks are idempotent).
_connparams_unguarded = kombu_redis.Channel._connparams


def _connparams_guarded(self: Any, asynchronous: bool = False) -> dict:
    if self.connection.client is None:
        raise kombu_redis.redis.exceptions.ConnectionError("kombu: the channel's broker connection is closed")
    return _connparams_unguarded(self, asynchronous=asynchronous)


kombu_redis.Channel._connparams = _connparams_guarded  # type: ignore[method-assign]


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


@signals.task_failure.connect
def _task_failure_count(sender: Any = None, **kwargs: object) -> None:
    """Counted for /metrics (chaoyang_celery_task_failures); fires once a task has failed for good."""
    from .metrics import task_failure_record

    task_failure_record(getattr(sender, "name", "?"))


@signals.worker_process_init.connect
@signals.worker_ready.connect
def _freeze_loaded_objects(**kwargs: object) -> None:
    """As in wsgi.py: long-lived objects leave the collector's generations (no full-collection pauses)."""
    gc.collect()
    gc.freeze()
