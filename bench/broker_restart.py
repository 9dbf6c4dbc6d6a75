"""Fault benchmark: restart Redis (the broker) while a dispatch worker holds countdown (retry) tasks.

    .venv/bin/python bench/broker_restart.py --runs 5 [--pool threads|prefork] [--port 6397]

Each run starts its own redis-server on --port (never 6379; appendonly yes), the project's dispatch worker
(`celery -A chaoyang_friendly worker -Q dispatch -l DEBUG`, the project's settings) and, inside this
process, a fake portal API that answers 503 to every `route` call (so every `reports.dispatch` task fails
and retries with a countdown) and a webhook receiver for `reports.webhook_ping`. It publishes --n dispatch
tasks, waits until every one has failed once (its retry now waits in the worker, unacked), stops Redis
(SHUTDOWN NOSAVE, or SIGKILL with --kill sigkill) for --down seconds, starts it again on the same port, and
then checks, per run:

    alive=          the worker's main process still runs --check-after seconds after the restart
    consumed_after= how many of --pings webhook pings published after the restart it ran (within 20 s)
    lost=           dispatch tasks not attempted again within --deadline seconds of the restart

and prints a summary line. Exits 1 when a run left the worker dead or not consuming.

Experiment switches (for comparing configurations): --conf '{"worker_...": ...}' (Celery settings
applied on top of the project's), --no-heartbeat-step, --no-guard (drop the reconnect guard of
chaoyang_friendly/celery.py: the negative control), --wargs '--without-mingle ...'. Logs: --out.
"""

import argparse
import contextlib
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def _as_worker(conf_json: str, argv: list[str]) -> None:
    """Run the Celery CLI in this process after adjusting the project's app (experiments only)."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    opts = json.loads(conf_json)
    from chaoyang_friendly import celery as project_celery

    app = project_celery.app
    app.conf.update(opts.get("conf", {}))
    if opts.get("no_heartbeat_step"):
        app.steps["consumer"].discard(project_celery.WorkerHeartbeat)
    if opts.get("no_guard"):
        from kombu.transport import redis as kombu_redis  # negative control: kombu as released

        kombu_redis.Channel._connparams = project_celery._connparams_unguarded  # type: ignore[method-assign]
    from celery.__main__ import main

    sys.argv = ["celery", *argv]
    sys.exit(main())


class Recorder:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.attempts: dict[int, list[float]] = {}
        self.pings: set[str] = set()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        rec = self

        class H(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                m = re.match(r"^/api/v1/dispatch/reports/(\d+)/route/$", self.path)
                if m:
                    with rec.lock:
                        rec.attempts.setdefault(int(m.group(1)), []).append(time.time())
                    self._answer(503, b'{"detail": "bench: portal unavailable"}')
                elif self.path == "/ping":
                    try:
                        tag = json.loads(body).get("sent_at")
                    except ValueError:
                        tag = None
                    with rec.lock:
                        rec.pings.add(str(tag))
                    self._answer(200, b"{}")
                else:
                    self._answer(404, b"{}")

            def _answer(self, code: int, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a: object) -> None:
                pass

        return H


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pool", default="prefork", choices=["prefork", "threads", "solo", "gevent", "eventlet"])
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--port", type=int, default=6397, help="spare Redis port (6396-6399); never 6379")
    ap.add_argument("--n", type=int, default=20, help="dispatch tasks held in countdown at the restart")
    ap.add_argument("--down", type=float, default=3.0, help="seconds Redis stays down")
    ap.add_argument("--kill", default="shutdown", choices=["shutdown", "sigkill"])
    ap.add_argument("--check-after", type=float, default=30.0)
    ap.add_argument("--pings", type=int, default=3)
    ap.add_argument("--deadline", type=float, default=75.0, help="seconds after the restart to count lost")
    ap.add_argument("--visibility", type=int, default=35, help="CELERY_VISIBILITY_TIMEOUT_SECONDS for the run")
    ap.add_argument("--conf", default="{}", help="JSON Celery settings applied on top of the project's")
    ap.add_argument("--wargs", default="", help="extra worker arguments")
    ap.add_argument("--no-heartbeat-step", action="store_true")
    ap.add_argument("--no-guard", action="store_true", help="negative control: without the reconnect guard")
    ap.add_argument("--loglevel", default="DEBUG")
    ap.add_argument("--out", default="", help="folder for logs (default: a temporary folder)")
    args = ap.parse_args()
    if args.port == 6379:
        raise SystemExit("never the shared Redis on 6379")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so the worker and Redis are stopped too

    out = Path(args.out or tempfile.mkdtemp(prefix=f"broker_restart_{args.port}_"))
    out.mkdir(parents=True, exist_ok=True)
    rec = Recorder()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), rec.handler())
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    api = f"http://127.0.0.1:{httpd.server_address[1]}"

    env = dict(os.environ)
    env.update(
        REDIS_URL=f"redis://127.0.0.1:{args.port}/0",
        DATABASE_URL="postgis://nobody@127.0.0.1:1/none",  # dispatch workers have no database
        API_BASE_URL=api,
        DISPATCHER_TOKEN="bench",  # noqa: S106 (the fake API takes any token)
        DJANGO_SETTINGS_MODULE="chaoyang_friendly.settings",
        REPORTS_DISPATCH_BACKOFF_BASE="5",
        REPORTS_DISPATCH_BACKOFF_MAX="30",
        CELERY_VISIBILITY_TIMEOUT_SECONDS=str(args.visibility),
        CACHE_KEY_PREFIX=f"brk{args.port}",
        PYTHONUNBUFFERED="1",
    )
    wopts = {"conf": json.loads(args.conf), "no_heartbeat_step": args.no_heartbeat_step, "no_guard": args.no_guard}
    rdir = out / "redis"

    def rcli(*a: str) -> str:
        r = subprocess.run(["redis-cli", "-p", str(args.port), *a], capture_output=True, text=True)
        return r.stdout.strip()

    def redis_start() -> None:
        rdir.mkdir(exist_ok=True)
        subprocess.run(
            [
                "redis-server",
                "--port",
                str(args.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(rdir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--daemonize",
                "yes",
                "--pidfile",
                str(out / "redis.pid"),
                "--logfile",
                str(out / "redis.log"),
            ],
            check=True,
        )
        for _ in range(200):
            if rcli("ping") == "PONG":
                return
            time.sleep(0.05)
        raise RuntimeError("redis did not start")

    def redis_stop(how: str) -> None:
        if how == "sigkill":
            with contextlib.suppress(OSError, ValueError):
                os.kill(int((out / "redis.pid").read_text()), signal.SIGKILL)
        else:
            rcli("shutdown", "nosave")
        for _ in range(200):
            if rcli("ping") != "PONG":
                break
            time.sleep(0.05)
        time.sleep(0.1)

    def publish(code: str) -> None:
        subprocess.run([PY, "-c", "import django; django.setup()\n" + code], cwd=ROOT, env=env, check=True, timeout=60)

    results = []
    for run in range(1, args.runs + 1):
        if rcli("ping") == "PONG":
            raise SystemExit(f"port {args.port} already has a Redis: choose another --port")
        subprocess.run(["rm", "-rf", str(rdir)])
        redis_start()
        with rec.lock:
            rec.attempts.clear()
            rec.pings.clear()
        log = out / f"run{run}.log"
        wcmd = [
            PY,
            __file__,
            "--as-worker",
            json.dumps(wopts),
            "-A",
            "chaoyang_friendly",
            "worker",
            "-Q",
            "dispatch",
            "-l",
            args.loglevel,
            "--pool",
            args.pool,
            "-c",
            str(args.concurrency),
            "-n",
            f"brk{args.port}r{run}@%h",
            *shlex.split(args.wargs),
        ]
        worker = subprocess.Popen(
            wcmd, cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True
        )
        alive, consumed, lost, unacked, note = False, 0, args.n, "?", ""
        try:
            ids = list(range(1, args.n + 1))
            publish(
                "from reports.tasks import report_dispatch_task\n"
                f"for i in {ids!r}: report_dispatch_task.apply_async(args=[i])"
            )
            t0 = time.time()
            while time.time() - t0 < 60:
                with rec.lock:
                    if all(rec.attempts.get(i) for i in ids):
                        break
                time.sleep(0.2)
            time.sleep(1.5)  # the retries are published and reserved by the worker (countdown, unacked)
            unacked = rcli("hlen", "unacked")
            redis_stop(args.kill)
            time.sleep(args.down)
            redis_start()
            t_restart = time.time()
            while time.time() - t_restart < args.check_after:
                if worker.poll() is not None:
                    break
                time.sleep(0.5)
            alive = worker.poll() is None
            if alive:
                tags = [f"r{run}p{k}-{time.time()}" for k in range(args.pings)]
                publish(
                    "from reports.tasks import webhook_ping_task\n"
                    f"for t in {tags!r}: webhook_ping_task.apply_async(args=[{api + '/ping'!r}, 's', t])"
                )
                t1 = time.time()
                while time.time() - t1 < 20:
                    with rec.lock:
                        consumed = len(rec.pings & set(tags))
                    if consumed == len(tags):
                        break
                    time.sleep(0.2)
                while time.time() - t_restart < args.deadline and worker.poll() is None:
                    with rec.lock:
                        lost = sum(1 for i in ids if not any(t > t_restart for t in rec.attempts.get(i, [])))
                    if lost == 0:
                        break
                    time.sleep(0.5)
                alive = worker.poll() is None
            with rec.lock:
                lost_ids = [i for i in ids if not any(t > t_restart for t in rec.attempts.get(i, []))]
                last = {i: round(max(rec.attempts.get(i) or [0]) - t_restart, 1) for i in lost_ids}
            lost = len(lost_ids)
            if lost_ids and alive:
                note += f" lost_last_attempt_s={last}"
        finally:
            if worker.poll() is None:
                try:
                    os.killpg(worker.pid, signal.SIGTERM)
                    worker.wait(timeout=15)
                except (OSError, subprocess.TimeoutExpired):
                    os.killpg(worker.pid, signal.SIGKILL)
                    worker.wait()
            else:
                with contextlib.suppress(OSError):
                    os.killpg(worker.pid, signal.SIGKILL)  # orphaned pool children, if any
            redis_stop("shutdown")
        text = log.read_text(errors="replace")
        if "Unrecoverable error" in text:
            m = re.search(r"Unrecoverable error: (.*)", text)
            note += f" error={m.group(1)[:80]!r}" if m else ""
        ok = alive and consumed == args.pings
        results.append((ok, lost))
        print(
            f"run={run} alive={alive} consumed_after={consumed}/{args.pings} lost={lost}/{args.n} "
            f"unacked_at_restart={unacked} exit={worker.returncode}{note} log={log}",
            flush=True,
        )
    httpd.shutdown()
    survived = sum(ok for ok, _ in results)
    print(
        f"summary pool={args.pool} kill={args.kill} conf={args.conf} wargs={args.wargs!r} "
        f"heartbeat_step={not args.no_heartbeat_step} guard={not args.no_guard} "
        f"survived={survived}/{len(results)} lost_total={sum(lost for _, lost in results)}",
        flush=True,
    )
    return 0 if survived == len(results) else 1


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--as-worker":
        _as_worker(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(main())
