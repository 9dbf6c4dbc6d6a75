"""A bounded enqueue: publishing a task never holds a web request longer than BROKER_ENQUEUE_TIMEOUT_SECONDS.

The publish runs on a small per-process thread pool; the caller waits at most the timeout. A publish that
completes later is fine (tasks are idempotent); one that is lost is re-enqueued from the database by a
sweeper. After a failed publish, a breaker makes enqueue() return False at once for
BROKER_RETRY_AFTER_SECONDS, without touching the broker.
"""

import logging
import os
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from functools import partial
from typing import Any

from django.conf import settings

logger = logging.getLogger(__name__)

POOL_THREADS = 4
MAX_PENDING = 256  # publishes waiting for a pool thread; beyond that the sweeper catches up
WARNING_INTERVAL_SECONDS = 60.0

_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
_executor_pid = 0
_open_until = 0.0
_last_warning = -WARNING_INTERVAL_SECONDS
_pending = 0  # publishes submitted and not finished, at most MAX_PENDING


def _after_fork_in_child() -> None:
    # gunicorn/celery prefork: the parent's pool threads and lock state do not exist in the child.
    global _lock, _executor, _executor_pid, _pending
    _lock, _executor, _executor_pid, _pending = threading.Lock(), None, 0, 0


os.register_at_fork(after_in_child=_after_fork_in_child)


def _pool() -> ThreadPoolExecutor:
    global _executor, _executor_pid
    with _lock:
        if _executor is None or _executor_pid != os.getpid():
            _executor = ThreadPoolExecutor(max_workers=POOL_THREADS, thread_name_prefix="enqueue")
            _executor_pid = os.getpid()
        return _executor


def breaker_open() -> bool:
    return time.monotonic() < _open_until


def breaker_reset() -> None:
    global _open_until
    _open_until = 0.0


def _trip(task_name: str, reason: str) -> None:
    global _open_until, _last_warning
    now = time.monotonic()
    retry_after = float(getattr(settings, "BROKER_RETRY_AFTER_SECONDS", 5))
    with _lock:
        _open_until = now + retry_after
        warn = now - _last_warning >= WARNING_INTERVAL_SECONDS
        if warn:
            _last_warning = now
    logger.log(
        logging.WARNING if warn else logging.DEBUG,
        "broker unavailable (%s: %s); enqueue skips the broker for %.1f s",
        task_name,
        reason,
        retry_after,
    )


def _claim_slot() -> bool:
    global _pending
    with _lock:
        if _pending >= MAX_PENDING:
            return False
        _pending += 1
        return True


def _release_slot(future: Future | None = None) -> None:
    global _pending
    with _lock:
        _pending = max(0, _pending - 1)


def _late_outcome(task_name: str, future: Future) -> None:
    # A slow broker that did take the message is alive: close the breaker instead of waiting it out.
    if future.exception() is None:
        breaker_reset()
    else:
        _trip(task_name, f"late failure: {future.exception()!r}")


def enqueue(
    task: Any,
    *,
    args: tuple | list = (),
    kwargs: dict[str, Any] | None = None,
    queue: str | None = None,
    timeout: float | None = None,
) -> bool:
    """Publish `task` with `args`/`kwargs`; True once the broker took it, False if it did not within the
    timeout (it may still arrive later) or the breaker is open. Never raises."""
    name = getattr(task, "name", repr(task))
    if breaker_open():
        logger.debug("broker breaker open; %s not enqueued", name)
        return False
    options: dict[str, Any] = {"retry": False}  # kombu's own publish retries would outlast our timeout
    if queue:
        options["queue"] = queue
    wait = settings.BROKER_ENQUEUE_TIMEOUT_SECONDS if timeout is None else timeout
    if not _claim_slot():
        # Every pool thread still waits on an earlier publish: queueing more would only grow a backlog.
        logger.debug("broker publishes pending; %s not enqueued", name)
        return False
    try:
        future = _pool().submit(task.apply_async, args=list(args), kwargs=kwargs or {}, **options)
    except Exception as exc:  # noqa: BLE001 - e.g. the interpreter is shutting down
        _release_slot()
        _trip(name, f"{type(exc).__name__}: {exc}")
        return False
    future.add_done_callback(_release_slot)
    try:
        future.result(timeout=wait)
    except FutureTimeout:
        # Slow is not down (a process's first publish imports the transport; a loaded broker answers
        # late): the publish goes on in the background and only a failure trips the breaker, so a burst
        # never turns into reports waiting for the sweeper.
        future.add_done_callback(partial(_late_outcome, name))
        return False
    except Exception as exc:  # noqa: BLE001 - the caller has committed; the sweeper re-enqueues
        _trip(name, f"{type(exc).__name__}: {exc}")
        return False
    return True
