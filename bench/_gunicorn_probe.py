"""gunicorn config for bench/dispatch_latency.py: installs bench/_dispatch_probe.py in each worker."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def post_worker_init(worker):  # type: ignore[no-untyped-def]
    import _dispatch_probe

    _dispatch_probe.install_web()


def post_fork(server, worker):  # type: ignore[no-untyped-def]
    import os

    if "profile" in os.environ.get("BENCH_PATCH", ""):
        import _dispatch_probe

        original = worker.load_wsgi

        def load_wsgi():  # type: ignore[no-untyped-def]
            original()
            worker.wsgi = _dispatch_probe.profile_wsgi(worker.wsgi)

        worker.load_wsgi = load_wsgi


def worker_exit(server, worker):  # type: ignore[no-untyped-def]
    import atexit

    atexit._run_exitfuncs()
