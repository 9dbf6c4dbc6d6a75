"""Timing probes for bench/dispatch_latency.py (bench only; never imported by the product).

Each probe wraps product functions *in the bench's own subprocesses* and appends one JSON line per event
to `$BENCH_PROBE_DIR/<role>.<pid>.jsonl` with wall-clock (time.time()) stamps, so phases can be joined
across processes. Roles: `web` (gunicorn: the bounded enqueue and the publish on its pool thread) and
`worker` (Celery: task start, route call, webhook, record call). Also records GC pauses ≥ 2 ms.
"""

import gc
import json
import os
import threading
import time
from functools import wraps

_lock = threading.Lock()
_files: dict[int, object] = {}


def _emit(role: str, **record: object) -> None:
    folder = os.environ.get("BENCH_PROBE_DIR")
    if not folder:
        return
    pid = os.getpid()
    record["pid"] = pid
    line = json.dumps(record) + "\n"
    with _lock:
        f = _files.get(pid)
        if f is None:
            f = _files[pid] = open(os.path.join(folder, f"{role}.{pid}.jsonl"), "a", buffering=1)  # noqa: SIM115
        f.write(line)


def _gc_probe(role: str) -> None:
    started: dict[int, float] = {}

    def callback(phase: str, info: dict) -> None:
        tid = threading.get_ident()
        if phase == "start":
            started[tid] = time.perf_counter()
        elif tid in started:
            ms = (time.perf_counter() - started.pop(tid)) * 1000
            if ms >= 2:
                _emit(role, ev="gc", at=time.time(), ms=ms, gen=info.get("generation"))

    gc.callbacks.append(callback)


def _patches() -> set[str]:
    return {p for p in os.environ.get("BENCH_PATCH", "").split(",") if p}


def _gc_tune() -> None:
    """Experiment `gcfreeze` (a candidate product change, emulated here): move everything loaded at start
    into the permanent generation and collect the young generation less often."""
    if "gcfreeze" in _patches():
        gc.collect()
        gc.freeze()
        gc.set_threshold(*[int(x) for x in os.environ.get("BENCH_GC_THRESHOLD", "20000,50,100").split(",")])


def _enqueue_nowait(broker):  # type: ignore[no-untyped-def]
    """Experiment `enqueue_nowait` (a candidate change to chaoyang_friendly/broker.py, emulated here): hand
    the publish to the pool and return at once; the breaker trips on a failed publish only, never because a
    publish was slow (a slow first connect is not a down broker)."""

    def enqueue(task, *, args=(), kwargs=None, queue=None, timeout=None):  # type: ignore[no-untyped-def]
        if broker.breaker_open():
            return False
        options = {"retry": False}
        if queue:
            options["queue"] = queue
        name = getattr(task, "name", repr(task))

        def done(future):  # type: ignore[no-untyped-def]
            if future.exception() is not None:
                broker._trip(name, repr(future.exception()))

        broker._pool().submit(task.apply_async, args=list(args), kwargs=kwargs or {}, **options).add_done_callback(done)
        return True

    return enqueue


def install_web() -> None:
    """In a gunicorn worker (post_worker_init): time broker.enqueue and the publish it runs on its pool."""
    from chaoyang_friendly import broker
    from reports.tasks import report_dispatch_task

    if "enqueue_nowait" in _patches():
        broker.enqueue = _enqueue_nowait(broker)
    if "enqueue_warm" in _patches():  # open the publish connections at start (not on the first report)
        from chaoyang_friendly.celery import app

        with app.producer_or_acquire() as producer:
            producer.connection.ensure_connection(max_retries=1)

    original_enqueue = broker.enqueue

    @wraps(original_enqueue)
    def enqueue(task, *, args=(), **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.time()
        ok = original_enqueue(task, args=args, **kwargs)
        _emit(
            "web",
            ev="enqueue",
            rid=(list(args) or [None])[0],
            t0=t0,
            t1=time.time(),
            ok=ok,
            breaker=broker.breaker_open(),
        )
        return ok

    broker.enqueue = enqueue
    original_apply = report_dispatch_task.apply_async

    def apply_async(args=None, kwargs=None, **options):  # type: ignore[no-untyped-def]
        t0 = time.time()
        try:
            return original_apply(args=args, kwargs=kwargs, **options)
        finally:
            _emit("web", ev="publish", rid=(list(args or []) or [None])[0], t0=t0, t1=time.time())

    report_dispatch_task.apply_async = apply_async  # the instance attribute shadows the method
    _gc_probe("web")
    _gc_tune()


def profile_wsgi(app):  # type: ignore[no-untyped-def]
    """Experiment `profile`: cProfile every request (in its own thread) and dump the sum at exit."""
    import atexit
    import cProfile
    import pstats

    stats: list[pstats.Stats] = []
    lock = threading.Lock()

    def wrapped(environ, start_response):  # type: ignore[no-untyped-def]
        prof = cProfile.Profile()
        prof.enable()
        try:
            return list(app(environ, start_response))
        finally:
            prof.disable()
            with lock:
                if stats:
                    stats[0].add(prof)
                else:
                    stats.append(pstats.Stats(prof))

    def dump() -> None:
        if stats:
            stats[0].dump_stats(os.path.join(os.environ["BENCH_PROBE_DIR"], f"web.{os.getpid()}.prof"))

    atexit.register(dump)
    return wrapped


def install_worker() -> None:
    """In the Celery worker before it starts: time task start, route, webhook and record per report."""
    from reports import worker

    original_dispatch = worker.dispatch
    local = threading.local()

    @wraps(original_dispatch)
    def dispatch(report_id, **kwargs):  # type: ignore[no-untyped-def]
        local.rid = report_id
        t0 = time.time()
        outcome = "error"
        try:
            outcome = original_dispatch(report_id, **kwargs)
            return outcome
        finally:
            _emit("worker", ev="task", rid=report_id, t0=t0, t1=time.time(), outcome=outcome)

    def timed(name, fn):  # type: ignore[no-untyped-def]
        @wraps(fn)
        def wrapper(*a, **kw):  # type: ignore[no-untyped-def]
            t0 = time.time()
            try:
                return fn(*a, **kw)
            finally:
                _emit("worker", ev=name, rid=getattr(local, "rid", None), t0=t0, t1=time.time())

        return wrapper

    worker.dispatch = dispatch
    worker.deliver_webhook = timed("webhook", worker.deliver_webhook)
    worker.DispatchClient.route = timed("route", worker.DispatchClient.route)
    worker.DispatchClient.record = timed("record", worker.DispatchClient.record)
    _gc_probe("worker")
    _gc_tune()
