"""Fault-injection harness for the 随手拍 dispatch flow (DESIGN.md, "The 随手拍 dispatch flow").

One `Harness` owns everything it breaks: a scratch PostGIS database `faults_<pid>` on 127.0.0.1:5432, its own
redis-server on a spare port, gunicorn serving the portal, a dispatch worker (no database: its DATABASE_URL
points at a closed port), a maintenance worker and beat, and a local webhook receiver that behaves as
reports/WEBHOOKS.md tells teams (verify the signature, store by `X-Chaoyang-Delivery`, ignore repeats).
Riders submit through the API from a thread pool with an `Idempotency-Key` and retry with the same key.

The scenarios are functions `scenario(h, **durations) -> Result`; tests/faults/test_faults.py runs them with
seconds, bench/faults.py with minutes. The harness talks to the database with psycopg only, so the pytest
process never touches pytest-django's test database. It never touches the shared Redis on 6379.

Redis runs with `--appendonly yes --appendfsync always`: production brokers keep their queues over a
restart, so a stop/start here models a restart (queued, unacked and countdown messages come back);
`redis_restart(wipe=True)` models a broker that lost its data, which only the sweeper can repair.

    .venv/bin/python -m tests.faults.harness setup <db url> <receiver url> <riders>   (internal: seeds the DB)
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PG_HOST = os.environ.get("FAULTS_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("FAULTS_PG_PORT", "5432"))
PG_USER = os.environ.get("FAULTS_PG_USER", "postgres")
SECRET = "faults-webhook-secret"
DH = (116.4690, 40.0130)
TEAM_SMS = "13700000001"
DISTRICT_SMS = "13700009999"
OPEN_STATUSES = ("submitted", "routed", "delivered", "acknowledged", "on_site")

# Tunables for the fast scenarios (seconds). The webhook timeout (2 s) sits between worker_sigkill's receiver
# delay (1.2 s, in flight but in time) and slow_receiver's (3 s, always too slow).
FAST_ENV = {
    "REPORTS_WEBHOOK_TIMEOUT_SECONDS": "2",
    "REPORTS_DISPATCH_BACKOFF_BASE": "0.3",
    "REPORTS_DISPATCH_BACKOFF_MAX": "1.5",
    "REPORTS_DISPATCH_MAX_RETRIES": "4",
    "REPORTS_SWEEP_SECONDS": "2",
    "REPORTS_REDISPATCH_AFTER_SECONDS": "3",
    "REPORTS_REDELIVER_AFTER_SECONDS": "10",
    "REPORTS_DELIVERY_LEASE_SECONDS": "5",
    "REPORTS_CHAIN_GRACE_SECONDS": "4",
    "REPORTS_SMS_FALLBACK_AFTER_FAILURES": "4",
    "REPORTS_UNDELIVERABLE_AFTER_FAILURES": "6",
    "REPORTS_ESCALATE_UNROUTED_AFTER_SECONDS": "600",
}
# The long runs: closer to production (timeouts and backoff of seconds, sweeps every 5 s).
LONG_ENV = {
    "REPORTS_WEBHOOK_TIMEOUT_SECONDS": "3",
    "REPORTS_DISPATCH_BACKOFF_BASE": "1",
    "REPORTS_DISPATCH_BACKOFF_MAX": "15",
    "REPORTS_DISPATCH_MAX_RETRIES": "6",
    "REPORTS_SWEEP_SECONDS": "5",
    "REPORTS_REDISPATCH_AFTER_SECONDS": "10",
    "REPORTS_REDELIVER_AFTER_SECONDS": "20",
    "REPORTS_DELIVERY_LEASE_SECONDS": "10",
    "REPORTS_CHAIN_GRACE_SECONDS": "15",
    "REPORTS_SMS_FALLBACK_AFTER_FAILURES": "3",
    "REPORTS_UNDELIVERABLE_AFTER_FAILURES": "8",
    "REPORTS_ESCALATE_UNROUTED_AFTER_SECONDS": "600",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(predicate: Callable[[], Any], timeout: float, interval: float = 0.1) -> Any:
    """The predicate's first truthy value, or None after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = predicate()
        except Exception:
            value = None
        if value:
            return value
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def jpeg_bytes(size: int = 32) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (200, 40, 40)).save(buffer, format="JPEG", quality=70)
    return buffer.getvalue()


# --- The team's receiver ----------------------------------------------------------------------------------


@dataclass
class Hit:
    report: int | None
    delivery: str
    t: float
    status: int
    stored: bool  # this request stored a message the receiver had not seen (by delivery id)


class Receiver:
    """A team's webhook endpoint, as WEBHOOKS.md asks: verify, store by delivery id, answer 200 to repeats.

    mode: "ok"; "slow" (store, then sleep `delay` before answering — a repeat answers at once); "down" (503);
    "drop" (close the connection without an answer); "flaky" (503 with probability `flaky_p`).
    `dedupe=False` makes it store every request (a naive team), for the negative controls.
    """

    def __init__(self) -> None:
        self.mode = "ok"
        self.delay = 0.0
        self.flaky_p = 0.5
        self.dedupe = True
        self.lock = threading.Lock()
        self.hits: list[Hit] = []
        self.stored: dict[str, tuple[int | None, float]] = {}  # delivery id → (report, time)
        self.bad_signatures = 0
        self.pings = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                outer._handle(self)

            def log_message(self, *args: object) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request: Any, client_address: Any) -> None:
                pass  # a worker that timed out closed its end; that is the point of some scenarios

        self.server = Server(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, h: BaseHTTPRequestHandler, status: int) -> None:
        body = b"ok" if status < 300 else b"no"
        h.send_response(status)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        from reports.worker import verify

        body = h.rfile.read(int(h.headers.get("Content-Length") or 0))
        now = time.monotonic()
        delivery = h.headers.get("X-Chaoyang-Delivery", "")
        signature = (h.headers.get("X-Chaoyang-Signature") or "").removeprefix("sha256=")
        if not verify(SECRET, h.headers.get("X-Chaoyang-Timestamp", ""), body, signature):
            with self.lock:
                self.bad_signatures += 1
                self.hits.append(Hit(None, delivery, now, 401, False))
            self._answer(h, 401)
            return
        message = json.loads(body)
        if message.get("event") == "ping":
            with self.lock:
                self.pings += 1
            self._answer(h, 200)
            return
        report = message.get("report", {}).get("id")
        mode = self.mode
        if mode == "drop":
            with self.lock:
                self.hits.append(Hit(report, delivery, now, 0, False))
            h.close_connection = True
            h.connection.shutdown(socket.SHUT_RDWR)
            return
        if mode == "down" or (mode == "flaky" and random.random() < self.flaky_p):
            with self.lock:
                self.hits.append(Hit(report, delivery, now, 503, False))
            self._answer(h, 503)
            return
        with self.lock:
            key = delivery if self.dedupe else f"{delivery}#{len(self.hits)}"
            new = key not in self.stored
            if new:
                self.stored[key] = (report, now)
            self.hits.append(Hit(report, delivery, now, 200, new))
        if new and mode == "slow":
            time.sleep(self.delay)
        self._answer(h, 200)

    def set_mode(self, mode: str, delay: float = 0.0) -> None:
        self.mode, self.delay = mode, delay

    def reset(self) -> None:
        self.set_mode("ok")
        self.dedupe = True

    def deliveries_by_report(self) -> dict[int, set[str]]:
        out: dict[int, set[str]] = {}
        with self.lock:
            for key, (report, _t) in self.stored.items():
                if report is not None:
                    out.setdefault(report, set()).add(key)
        return out

    def hits_for(self, report_ids: Iterable[int]) -> list[Hit]:
        wanted = set(report_ids)
        with self.lock:
            return [h for h in self.hits if h.report in wanted]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- Redis, processes, database ---------------------------------------------------------------------------


class Redis:
    """A redis-server of our own on a spare port (AOF on, fsync always; see the module docstring)."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.dir = workdir / "redis"
        self.log = workdir / "redis.log"
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self, *, wipe: bool = False) -> None:
        if wipe and self.dir.exists():
            shutil.rmtree(self.dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(self.port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "yes",
                    "--appendfsync",
                    "always",
                    "--dir",
                    str(self.dir),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        if not wait_for(self.ping, 15):
            raise RuntimeError(f"redis-server on {self.port} did not start: {self.log.read_text()[-2000:]}")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, *, kill: bool = False) -> None:
        """SHUTDOWN NOSAVE (the AOF is already on disk), or SIGKILL; waits until the port is closed."""
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
        else:
            subprocess.run(
                ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True, timeout=10, check=False
            )
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        self.proc = None

    def cli(self, *args: str) -> str:
        out = subprocess.run(
            ["redis-cli", "-p", str(self.port), *args], capture_output=True, text=True, timeout=10, check=False
        )
        return out.stdout.strip()


class Proc:
    """A child process in its own process group (so SIGKILL reaches its children too), logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], workdir: Path) -> None:
        self.name, self.argv, self.env = name, argv, env
        self.generation = 0
        self.workdir = workdir
        self.proc: subprocess.Popen | None = None
        self.log_path = workdir / f"{name}.log"

    def start(self) -> None:
        self.generation += 1
        self.log_path = self.workdir / f"{self.name}.{self.generation}.log"
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def all_logs(self) -> str:
        return "".join(
            (self.workdir / f"{self.name}.{g}.log").read_text(errors="replace")
            for g in range(1, self.generation + 1)
            if (self.workdir / f"{self.name}.{g}.log").exists()
        )

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def working(self) -> bool:
        """Alive and not wrecked: a Celery worker that logged "Unrecoverable error" may linger for a long
        time without consuming anything (seen with kombu 5.7.0 after a Redis restart)."""
        return self.alive() and "Unrecoverable error" not in self.log()

    def kill(self, sig: int = signal.SIGKILL) -> None:
        """Signal the whole process group (main process and its pool children)."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, sig)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.kill(signal.SIGTERM)
        elif self.proc is not None:
            with contextlib.suppress(ProcessLookupError):  # the main process is gone; its children may not be
                os.killpg(self.proc.pid, signal.SIGKILL)


def pg_connect(dbname: str = "postgres"):  # type: ignore[no-untyped-def]
    import psycopg

    return psycopg.connect(host=PG_HOST, port=PG_PORT, user=PG_USER, dbname=dbname, autocommit=True, connect_timeout=5)


# --- Riders ----------------------------------------------------------------------------------------------


@dataclass
class Submission:
    tag: str
    key: str | None
    statuses: list[int] = field(default_factory=list)  # 0 = network error / lost response
    latencies_ms: list[float] = field(default_factory=list)
    starts: list[float] = field(default_factory=list)
    ids: set[int] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return bool(self.statuses) and self.statuses[-1] in (200, 201)


class Riders:
    """Riders submitting through the API like the mobile page: one Idempotency-Key per report, retried with
    the same key after a network error or a 5xx (`key_mode="none"` sends none, "fresh" a new one per try)."""

    def __init__(self, base_url: str, tokens: list[str]) -> None:
        self.base_url = base_url
        self.tokens = tokens
        self.local = threading.local()
        self.photo = jpeg_bytes()

    def _session(self, token: str):  # type: ignore[no-untyped-def]
        import requests

        sessions = getattr(self.local, "sessions", None)
        if sessions is None:
            sessions = self.local.sessions = {}
        if token not in sessions:
            s = requests.Session()
            s.headers["Authorization"] = f"Bearer {token}"
            sessions[token] = s
        return sessions[token]

    def submit_one(
        self,
        sub: Submission,
        *,
        token: str,
        retries: int,
        photo: bool,
        key_mode: str,
        first_url: str | None,
        backoff: float,
    ) -> None:
        import requests

        data = {"category": "traffic_light", "lng": f"{DH[0]:.6f}", "lat": f"{DH[1]:.6f}", "description": sub.tag}
        for attempt in range(retries + 1):
            headers = {}
            if key_mode == "fresh":
                sub.key = uuid.uuid4().hex
            if key_mode != "none" and sub.key:
                headers["Idempotency-Key"] = sub.key
            files = {"photos": ("p.jpg", self.photo, "image/jpeg")} if photo else None
            url = (first_url if attempt == 0 and first_url else self.base_url) + "/api/v1/reports/"
            started = time.monotonic()
            status = 0
            try:
                if attempt == 0 and first_url:
                    # a connection of its own: the proxy drops the answer on it
                    response = requests.post(
                        url,
                        data=data,
                        files=files,
                        headers={**headers, "Authorization": f"Bearer {token}"},
                        timeout=(3, 15),
                    )
                else:
                    response = self._session(token).post(url, data=data, files=files, headers=headers, timeout=(3, 15))
                status = response.status_code
                if status in (200, 201):
                    with contextlib.suppress(ValueError, KeyError, TypeError):
                        sub.ids.add(int(response.json()["id"]))
            except requests.RequestException:
                status = 0
            sub.starts.append(started)
            sub.latencies_ms.append((time.monotonic() - started) * 1000)
            sub.statuses.append(status)
            if status and status < 500:
                return
            time.sleep(backoff * (attempt + 1))

    def run(
        self,
        prefix: str,
        *,
        n: int,
        rate: float,
        retries: int = 5,
        photo: bool = False,
        key_mode: str = "same",
        first_url: str | None = None,
        backoff: float = 0.5,
        threads: int = 8,
        during: Callable[[], None] | None = None,
    ) -> list[Submission]:
        """Submit n reports at `rate`/s; `during` runs in this thread meanwhile (the fault). Returns when all
        submissions (with their retries) are finished."""
        subs = [Submission(tag=f"{prefix}:{i}", key=uuid.uuid4().hex) for i in range(n)]

        def one(i: int, at: float) -> None:
            delay = at - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            try:
                self.submit_one(
                    subs[i],
                    token=self.tokens[i % len(self.tokens)],
                    retries=retries,
                    photo=photo,
                    key_mode=key_mode,
                    first_url=first_url,
                    backoff=backoff,
                )
            except Exception:
                subs[i].statuses.append(-1)

        t0 = time.monotonic() + 0.2
        with ThreadPoolExecutor(max_workers=threads) as pool:
            futures = [pool.submit(one, i, t0 + i / rate) for i in range(n)]
            if during is not None:
                during()
            for f in futures:
                f.result()
        return subs


class DropProxy:
    """A TCP proxy that forwards a request to the portal and, once the portal starts answering, closes the
    client's socket instead of passing the answer on: the request was served, the response is lost."""

    def __init__(self, upstream_port: int) -> None:
        self.upstream = upstream_port
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.dropped = 0
        self.closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed:
            try:
                client, _addr = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream), timeout=30)
        except OSError:
            client.close()
            return

        def forward() -> None:
            try:
                while chunk := client.recv(65536):
                    upstream.sendall(chunk)
            except OSError:
                pass

        threading.Thread(target=forward, daemon=True).start()
        try:
            first = upstream.recv(65536)  # the portal has finished the request and answers
            if first:
                self.dropped += 1
        except OSError:
            pass
        for s in (client, upstream):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
            s.close()

    def close(self) -> None:
        self.closed = True
        self.sock.close()


# --- Results ---------------------------------------------------------------------------------------------


@dataclass
class Result:
    scenario: str
    submitted: int = 0
    saved: int = 0
    delivered_once: int = 0
    lost: int = 0
    double: int = 0
    recover_s: float = -1.0
    extras: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def line(self) -> str:
        extra = " ".join(f"{k}={v:.2f}" if isinstance(v, float) else f"{k}={v}" for k, v in self.extras.items())
        return (
            f"scenario={self.scenario} submitted={self.submitted} saved={self.saved} "
            f"delivered_once={self.delivered_once} lost={self.lost} double={self.double} "
            f"recover_s={self.recover_s:.1f} {extra}"
        ).strip()


# --- The harness ------------------------------------------------------------------------------------------


class Harness:
    def __init__(
        self,
        *,
        profile: dict[str, str] | None = None,
        riders: int = 8,
        web_workers: int = 2,
        web_threads: int = 4,
        dispatch_pool: str = "prefork",
        dispatch_concurrency: int = 4,
        workdir: Path | None = None,
        keep: bool = False,
    ) -> None:
        self.profile = dict(profile or FAST_ENV)
        self.n_riders = riders
        self.web_workers, self.web_threads = web_workers, web_threads
        self.dispatch_pool, self.dispatch_concurrency = dispatch_pool, dispatch_concurrency
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="faults-"))
        self.keep = keep
        self.db = f"faults_{os.getpid()}"
        self.db_url = f"postgis://{PG_USER}@{PG_HOST}:{PG_PORT}/{self.db}"
        self.media = self.workdir / "media"
        self.sms_dir = self.workdir / "sms"
        # the dispatch worker sends the team's SMS into a folder of its own, which break_sms() can make fail
        self.sms_worker_root = self.workdir / "sms-worker"
        self.sms_worker_dir = self.sms_worker_root / "out"
        self.receiver: Receiver | None = None
        self.redis = Redis(self.workdir)
        self.procs: dict[str, Proc] = {}
        self.runs = 0
        self.base = ""
        self.riders: Riders | None = None

    # --- life cycle ---
    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REPORTS_", "PYTEST_", "DJANGO_TEST"))}
        env.update(self.profile)
        env.update(
            {
                "DJANGO_SETTINGS_MODULE": "chaoyang_friendly.settings",
                "DATABASE_URL": self.db_url,
                "REDIS_URL": self.redis.url,
                "CACHE_KEY_PREFIX": "faults",
                "RATELIMIT_ENABLE": "0",
                # the team's receiver is on 127.0.0.1, which production refuses as a webhook target (SSRF)
                "REPORTS_WEBHOOK_ALLOW_PRIVATE": "1",
                "LOG_LEVEL": "INFO",
                "DJANGO_DEBUG": "0",
                "DJANGO_SECRET_KEY": "faults-" + "x" * 60,
                "DJANGO_SECURE_SSL_REDIRECT": "0",
                "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
                "SMS_BACKEND": "file",
                "SMS_FILE_DIR": str(self.sms_dir),
                "MEDIA_ROOT": str(self.media),
                "PYTHONUNBUFFERED": "1",
            }
        )
        env.update(extra)
        return env

    def start(self) -> Harness:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.receiver = Receiver()
        self.redis.start()
        with pg_connect() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{self.db}"')
        with pg_connect(self.db) as conn:
            conn.execute("SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis")
        out = subprocess.run(
            [sys.executable, "-m", "tests.faults.harness", "setup", self.receiver.url, str(self.n_riders)],
            cwd=ROOT,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if out.returncode != 0:
            raise RuntimeError(f"setup failed:\n{out.stdout[-3000:]}\n{out.stderr[-3000:]}")
        seeded = json.loads(out.stdout.strip().splitlines()[-1])
        self.dispatcher_token = seeded["dispatcher"]
        self.team_id = seeded["team"]
        port = free_port()
        self.web_port = port
        self.base = f"http://127.0.0.1:{port}"
        self.riders = Riders(self.base, seeded["riders"])
        py = sys.executable
        self.procs["web"] = Proc(
            "web",
            [
                py,
                "-m",
                "gunicorn",
                "chaoyang_friendly.wsgi",
                "-b",
                f"127.0.0.1:{port}",
                "-w",
                str(self.web_workers),
                "--threads",
                str(self.web_threads),
                "--log-level",
                "warning",
                "--timeout",
                "60",
            ],
            self.env(),
            self.workdir,
        )
        worker_env = self.env(
            DATABASE_URL="postgis://nobody@127.0.0.1:1/no_database_for_workers",
            API_BASE_URL=self.base,
            DISPATCHER_TOKEN=self.dispatcher_token,
            SMS_FILE_DIR=str(self.sms_worker_dir),
        )
        celery = [py, "-m", "celery", "-A", "chaoyang_friendly"]
        self.procs["dispatch"] = Proc(
            "dispatch",
            [
                *celery,
                "worker",
                "-Q",
                "dispatch",
                "-n",
                f"dispatch-{os.getpid()}@%h",
                f"--pool={self.dispatch_pool}",
                f"--concurrency={self.dispatch_concurrency}",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            worker_env,
            self.workdir,
        )
        maint_env = self.env(API_BASE_URL=self.base, DISPATCHER_TOKEN=self.dispatcher_token)
        self.procs["maintenance"] = Proc(
            "maintenance",
            [
                *celery,
                "worker",
                "-Q",
                "maintenance",
                "-n",
                f"maintenance-{os.getpid()}@%h",
                "--pool=threads",
                "--concurrency=2",
                "--without-gossip",
                "--without-mingle",
                "-l",
                "INFO",
            ],
            maint_env,
            self.workdir,
        )
        self.procs["beat"] = Proc(
            "beat",
            [
                *celery,
                "beat",
                "-s",
                str(self.workdir / "beat-schedule"),
                "--pidfile=",
                "-l",
                "INFO",
            ],
            maint_env,
            self.workdir,
        )
        self.procs["web"].start()
        for name in ("dispatch", "maintenance", "beat"):
            self.procs[name].start()
        if not wait_for(lambda: self.http_get("/healthz") is not None, 60, 0.2):
            raise RuntimeError("gunicorn did not come up:\n" + self.procs["web"].log()[-3000:])
        for name in ("dispatch", "maintenance"):
            self.wait_worker_ready(name)
        return self

    def wait_worker_ready(self, name: str, timeout: float = 60) -> None:
        proc = self.procs[name]
        if not wait_for(lambda: "ready." in proc.log() or not proc.alive(), timeout, 0.1) or not proc.alive():
            raise RuntimeError(f"{name} worker did not start:\n{proc.log()[-3000:]}")

    def http_get(self, path: str) -> int | None:
        import requests

        try:
            return requests.get(self.base + path, timeout=5).status_code
        except requests.RequestException:
            return None

    def close(self) -> None:
        for proc in self.procs.values():
            proc.stop()
        for proc in self.procs.values():
            if proc.proc is not None:
                try:
                    proc.proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
        self.redis.stop(kill=True)
        if self.receiver:
            self.receiver.close()
        with contextlib.suppress(Exception), pg_connect() as conn:  # best effort; the next run drops it by name
            conn.execute(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)')
        if not self.keep:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Harness:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- between scenarios ---
    def reset(self) -> None:
        """Receiver healthy, every process up, and no open report left from an earlier scenario (so its retry
        chains and sweeps find nothing to do)."""
        assert self.receiver is not None
        self.receiver.reset()
        self.break_sms(False)
        if not self.redis.ping():
            self.redis.start()
        for name, proc in self.procs.items():
            if not proc.working():
                if proc.alive():
                    proc.kill()
                else:
                    proc.stop()
                proc.start()
                if name in ("dispatch", "maintenance"):
                    self.wait_worker_ready(name)
        self.sql(
            "UPDATE reports_report SET status='resolved', closed_at=now() WHERE status = ANY(%s)",
            [list(OPEN_STATUSES)],
        )

    def break_sms(self, broken: bool = True) -> None:
        """Make the dispatch worker's SMS backend fail (its folder's parent becomes a file), or work again."""
        if broken:
            if self.sms_worker_root.is_dir():
                for path in self.sms_worker_dir.glob("*.json"):  # keep what was sent: move it to the main folder
                    self.sms_dir.mkdir(parents=True, exist_ok=True)
                    path.rename(self.sms_dir / path.name)
                shutil.rmtree(self.sms_worker_root)
            self.sms_worker_root.write_text("not a folder")
        elif self.sms_worker_root.is_file():
            self.sms_worker_root.unlink()

    def prefix(self, name: str) -> str:
        self.runs += 1
        return f"fault:{name}/{self.runs}"  # no "#": SMS texts name reports as "#<id>"

    # --- database probes (psycopg, a fresh connection each time: scenarios terminate backends) ---
    def sql(self, query: str, params: Any = None) -> list[tuple]:
        with pg_connect(self.db) as conn:
            cur = conn.execute(query, params)
            return cur.fetchall() if cur.description else []

    def saved(self, prefix: str) -> dict[str, list[int]]:
        """Tag → ids of the reports saved with that description."""
        out: dict[str, list[int]] = {}
        for rid, desc in self.sql(
            "SELECT id, description FROM reports_report WHERE description LIKE %s ORDER BY id", [prefix + ":%"]
        ):
            out.setdefault(desc, []).append(rid)
        return out

    def sms_files(self, since: float = 0.0) -> list[dict]:
        out = []
        paths = (
            [*self.sms_dir.glob("*.json"), *self.sms_worker_dir.glob("*.json")]
            if self.sms_worker_root.is_dir()
            else [*self.sms_dir.glob("*.json")]
        )
        for path in sorted(paths, key=lambda p: p.name):
            if path.stat().st_mtime >= since:
                with contextlib.suppress(OSError, ValueError):
                    out.append(json.loads(path.read_text(encoding="utf-8")))
        return out

    def orphan_photos(self) -> tuple[int, int]:
        """(files under MEDIA_ROOT/reports that no ReportPhoto references, referenced files)."""
        referenced: set[str] = set()
        for image, thumb in self.sql("SELECT image, thumbnail FROM reports_reportphoto"):
            referenced.update(p for p in (image, thumb) if p)
        on_disk = set()
        base = self.media / "reports"
        if base.exists():
            on_disk = {str(p.relative_to(self.media)) for p in base.rglob("*") if p.is_file()}
        return len(on_disk - referenced), len(referenced)

    def team_sms_by_report(self) -> dict[int, int]:
        """Report id → SMS messages the team's phone received about it (the webhook's fallback channel)."""
        out: dict[int, int] = {}
        for m in self.sms_files():
            if m.get("to") == TEAM_SMS:
                for x in set(re.findall(r"随手拍 #(\d+)", m.get("text", ""))):
                    out[int(x)] = out.get(int(x), 0) + 1
        return out

    def team_received(self) -> dict[int, int]:
        """Report id → how many times the team got it: distinct webhook delivery ids stored + SMS messages."""
        assert self.receiver is not None
        got = {rid: len(ds) for rid, ds in self.receiver.deliveries_by_report().items()}
        for rid, c in self.team_sms_by_report().items():
            got[rid] = got.get(rid, 0) + c
        return got

    def undeliverable(self, ids: list[int]) -> set[int]:
        return {
            rid
            for (rid,) in self.sql(
                "SELECT DISTINCT report_id FROM reports_reportevent WHERE report_id = ANY(%s) AND kind='undeliverable'",
                [ids],
            )
        }

    # --- measuring ---
    def wait_delivered(
        self, ids: Iterable[int], timeout: float, *, handled: Callable[[], set[int]] | None = None
    ) -> bool:
        assert self.receiver is not None
        wanted = set(ids)

        def done() -> bool:
            got = set(self.team_received())
            if handled is not None:
                got |= handled()
            return wanted <= got

        return bool(wait_for(done, timeout, 0.2))

    def measure(
        self,
        name: str,
        prefix: str,
        subs: list[Submission],
        *,
        fault_end: float | None,
        deadline_s: float,
        handled: Callable[[list[int]], set[int]] | None = None,
    ) -> Result:
        """Wait (up to deadline_s) until every saved report reached the team, then count."""
        assert self.receiver is not None
        tags = {s.tag for s in subs}
        saved = self.saved(prefix)
        ids = [rid for rs in saved.values() for rid in rs]
        self.wait_delivered(ids, deadline_s, handled=(lambda: handled(ids)) if handled else None)
        saved = self.saved(prefix)  # late retries may have saved more
        ids = [rid for rs in saved.values() for rid in rs]
        received = self.team_received()
        sms_reports = set(self.team_sms_by_report())
        done = handled(ids) if handled else set()
        r = Result(scenario=name)
        r.submitted = len(subs)
        r.saved = len(saved)
        # per logical report (one tag = one rider's report): the team stored it under exactly one delivery id
        r.delivered_once = sum(1 for rs in saved.values() if sum(received.get(rid, 0) for rid in rs) == 1)
        never_saved = len(tags - set(saved))
        undelivered = sum(1 for rid in ids if not received.get(rid) and rid not in done)
        r.lost = never_saved + undelivered
        doubled_deliveries = sum(1 for rid in ids if received.get(rid, 0) > 1)
        doubled_saves = sum(len(rs) - 1 for rs in saved.values())
        r.double = doubled_deliveries + doubled_saves
        hits = self.receiver.hits_for(ids)
        stored_times = [h.t for h in hits if h.stored]
        if fault_end is not None and stored_times:
            r.recover_s = max(0.0, max(stored_times) - fault_end)
        attempts = dict.fromkeys(ids, 0)
        for h in hits:
            if h.report is not None:
                attempts[h.report] += 1
        lat = [ms for s in subs for ms in s.latencies_ms]
        statuses = [st for s in subs for st in s.statuses]
        r.extras.update(
            {
                "attempts": sum(attempts.values()),
                "attempts_max": max(attempts.values(), default=0),
                "http5xx": sum(1 for st in statuses if st >= 500),
                "neterr": sum(1 for st in statuses if st == 0),
                "unretried_fail": sum(1 for s in subs if not s.ok),
                "p95_submit_ms": round(pct(lat, 0.95)),
                "sms": sum(1 for rid in ids if rid in sms_reports),
                "worker_alive": int(self.procs["dispatch"].working()),
            }
        )
        r.notes.append(f"never_saved={never_saved} undelivered={undelivered} doubled_saves={doubled_saves}")
        if undelivered:
            missing = [rid for rid in ids if not received.get(rid) and rid not in done][:10]
            rows = self.sql(
                "SELECT id, status, team_id, assignment, undeliverable_at IS NOT NULL FROM reports_report "
                "WHERE id = ANY(%s)",
                [missing],
            )
            r.notes.append(f"undelivered sample (id,status,team,assignment,undeliverable): {rows}")
        if doubled_deliveries:
            webhook = self.receiver.deliveries_by_report()
            sms = self.team_sms_by_report()
            sample: dict[int, tuple[list[str], int]] = {
                rid: (sorted(webhook.get(rid, ())), sms.get(rid, 0)) for rid in ids if received.get(rid, 0) > 1
            }
            r.notes.append(f"doubled deliveries sample: {dict(list(sample.items())[:3])}")
        return r


# --- seeding (runs in a subprocess with the scratch DATABASE_URL) ------------------------------------------


def _setup(receiver_url: str, riders: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from accounts.models import Role, User
    from accounts.services import api_token_create
    from jurisdictions.models import Street
    from jurisdictions.services import streets_load
    from reports.models import ResponseTeam
    from reports.services import categories_ensure

    streets_load()
    categories_ensure()
    team = ResponseTeam.objects.create(
        street=Street.objects.get(code="DH"),
        name="东湖街道应急队",
        webhook_url=receiver_url,
        webhook_secret=SECRET,
        sms_phone=TEAM_SMS,
    )
    ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True, sms_phone=DISTRICT_SMS)
    tokens = []
    for i in range(riders):
        rider = User.objects.create_user(f"1390000{i:04d}", role=Role.RIDER)
        tokens.append(api_token_create(user=rider)[1])
    dispatcher = User.objects.create_user(None, role=Role.DISPATCHER, name="faults-dispatcher")
    print(json.dumps({"riders": tokens, "dispatcher": api_token_create(user=dispatcher)[1], "team": team.pk}))


# --- scenarios -----------------------------------------------------------------------------------------------
# Each returns a Result; `control=True` runs its negative control (the same measurement with the protection
# taken away), which must come out failing.


def broker_down(
    h: Harness, *, down_s: float = 8, rate: float = 3, deadline_s: float = 30, control: bool = False
) -> Result:
    """Stop Redis for down_s while riders submit; start it again. Control: beat stopped (no sweeper)."""
    name = "broker_down" + ("_control_no_beat" if control else "")
    h.reset()
    if control:
        h.procs["beat"].kill()
    prefix = h.prefix(name)
    n = int((down_s + 2) * rate)
    marks: dict[str, float] = {}
    outage_lat: list[float] = []

    def fault() -> None:
        time.sleep(1.0)
        h.redis.stop()
        marks["down"] = time.monotonic()
        time.sleep(down_s)
        h.redis.start()
        marks["up"] = time.monotonic()

    assert h.riders is not None
    subs = h.riders.run(prefix, n=n, rate=rate, during=fault)
    after_lat: list[float] = []
    for s in subs:
        for t, ms in zip(s.starts, s.latencies_ms, strict=False):
            if marks["down"] <= t <= marks["up"]:
                outage_lat.append(ms)
            elif t > marks["up"]:
                after_lat.append(ms)
    r = h.measure(name, prefix, subs, fault_end=marks["up"], deadline_s=deadline_s)
    r.extras["p95_outage_submit_ms"] = round(pct(outage_lat, 0.95))
    r.extras["max_outage_submit_ms"] = round(max(outage_lat, default=0))
    r.extras["max_after_submit_ms"] = round(max(after_lat, default=0))  # the first submissions once Redis is back
    r.extras["maintenance_alive"] = int(h.procs["maintenance"].working())
    r.extras["healthz"] = h.http_get("/healthz") or 0
    _unrecoverable(h, r)
    if control:
        h.procs["beat"].start()
    return r


def _unrecoverable(h: Harness, r: Result) -> None:
    """Note the first fatal line of a Celery process's log (evidence for a dead worker)."""
    for name in ("dispatch", "maintenance"):
        log = h.procs[name].log()
        line = next((ln for ln in log.splitlines() if "Unrecoverable error" in ln or "CRITICAL" in ln), "")
        if line:
            r.notes.append(f"{name} log: {line[:300]}")


def broker_restart_with_retries(
    h: Harness, *, n: int = 6, down_s: float = 3, deadline_s: float = 30, control: bool = False
) -> Result:
    """Receiver answers 503 so every report sits in a retry countdown; restart Redis (down_s); receiver heals
    when Redis is back. Control: Redis comes back empty (data wiped) and beat is stopped — the countdowns
    lived only in the broker and the worker, so nothing brings the reports back."""
    name = "broker_restart_with_retries" + ("_control_wiped_no_beat" if control else "")
    h.reset()
    assert h.receiver is not None and h.riders is not None
    h.receiver.set_mode("down")
    if control:
        h.procs["beat"].kill()
    prefix = h.prefix(name)
    subs = h.riders.run(prefix, n=n, rate=8)
    ids = [rid for rs in h.saved(prefix).values() for rid in rs]
    wait_for(lambda: len({x.report for x in h.receiver.hits_for(ids)}) >= len(ids), 15, 0.05)  # type: ignore[union-attr]
    before = len(h.receiver.hits_for(ids))
    h.redis.stop(kill=control)
    time.sleep(down_s)
    h.redis.start(wipe=control)
    h.receiver.set_mode("ok")
    healed = time.monotonic()
    r = h.measure(name, prefix, subs, fault_end=healed, deadline_s=deadline_s)
    r.extras["failed_before_restart"] = before
    r.extras["failed_total"] = sum(1 for x in h.receiver.hits_for(ids) if x.status == 503)
    _unrecoverable(h, r)
    if control:
        h.procs["beat"].start()
    return r


def worker_sigkill(
    h: Harness, *, n: int = 10, delay: float = 1.2, deadline_s: float = 30, control: bool = False
) -> Result:
    """Receiver slow (delay < webhook timeout) so webhooks are in flight; SIGKILL the dispatch worker's
    process group; start a new one (a supervisor). Control: no replacement worker."""
    name = "worker_sigkill" + ("_control_no_restart" if control else "")
    h.reset()
    assert h.receiver is not None and h.riders is not None
    h.receiver.set_mode("slow", delay)
    prefix = h.prefix(name)
    marks: dict[str, float] = {}
    before = len(h.receiver.stored)

    def fault() -> None:
        # kill when at least two webhooks are in flight (stored by the team, not yet answered)
        wait_for(lambda: len(h.receiver.stored) >= before + 2, 20, 0.02)  # type: ignore[union-attr]
        time.sleep(delay / 3)
        marks["in_flight"] = len(h.receiver.stored) - before  # type: ignore[union-attr]
        h.procs["dispatch"].kill(signal.SIGKILL)
        if not control:
            h.procs["dispatch"].start()
            h.wait_worker_ready("dispatch")
        marks["up"] = time.monotonic()

    subs = h.riders.run(prefix, n=n, rate=4, during=fault)
    r = h.measure(name, prefix, subs, fault_end=marks["up"], deadline_s=deadline_s)
    r.extras["stored_at_kill"] = marks["in_flight"]
    if control:
        h.procs["dispatch"].start()
        h.wait_worker_ready("dispatch")
    return r


def slow_receiver(h: Harness, *, n: int = 6, delay: float = 3, deadline_s: float = 30) -> Result:
    """Receiver slower than the webhook timeout: it stores, then answers after `delay`. The control is in the
    same run: what a team that does not dedupe by delivery id would have stored (naive_double > 0 shows the
    transport did retry, so delivered_once is not trivially true)."""
    name = "slow_receiver"
    h.reset()
    assert h.receiver is not None and h.riders is not None
    h.receiver.set_mode("slow", delay)
    prefix = h.prefix(name)
    subs = h.riders.run(prefix, n=n, rate=4)
    start = time.monotonic()
    ids = [rid for rs in h.saved(prefix).values() for rid in rs]
    # Let the transport's retries (timeouts) happen before counting.
    wait_for(
        lambda: (
            h.sql(
                "SELECT count(DISTINCT report_id) FROM reports_deliveryattempt WHERE report_id = ANY(%s) "
                "AND outcome <> 'pending'",
                [ids],
            )[0][0]
            >= len(ids)
        ),
        deadline_s,
        0.3,
    )
    time.sleep(float(h.profile["REPORTS_WEBHOOK_TIMEOUT_SECONDS"]) + 1)
    r = h.measure(name, prefix, subs, fault_end=start, deadline_s=deadline_s)
    per: dict[int, int] = {}
    for hit in h.receiver.hits_for(ids):
        if hit.status == 200 and hit.report is not None:
            per[hit.report] = per.get(hit.report, 0) + 1
    r.extras["requests_per_report_max"] = max(per.values(), default=0)
    r.extras["naive_double"] = sum(1 for c in per.values() if c > 1)  # a receiver storing every request
    r.extras["success_recorded"] = h.sql(
        "SELECT count(DISTINCT report_id) FROM reports_deliveryattempt WHERE report_id = ANY(%s) AND outcome='success'",
        [ids],
    )[0][0]
    return r


def receiver_down_long(h: Harness, *, n: int = 4, down_s: float = 15, sms_wait_s: float = 20) -> Result:
    """Receiver down longer than every retry.

    Batch 1 (the team's SMS works): each report reaches the team once, by SMS after the webhook failures.
    Batch 2 (the SMS gateway fails too): each report is escalated as undeliverable; attempts are bounded
    and stop — none in the last third of the outage (late_growth=0). The control is in the same run: the
    first third saw attempts (early_growth > 0), so the growth measure does see attempts when there are some.
    """
    name = "receiver_down_long"
    h.reset()
    assert h.receiver is not None and h.riders is not None
    h.receiver.set_mode("down")
    prefix = h.prefix(name)
    start = time.monotonic()
    subs1 = h.riders.run(prefix + "a", n=n, rate=8)
    ids1 = [rid for rs in h.saved(prefix + "a").values() for rid in rs]
    h.wait_delivered(ids1, sms_wait_s)
    h.break_sms(True)
    subs2 = h.riders.run(prefix + "b", n=n, rate=8)
    ids2 = [rid for rs in h.saved(prefix + "b").values() for rid in rs]
    third = down_s / 3
    counts, db_counts = [], []

    def db_attempts() -> int:
        return int(h.sql("SELECT count(*) FROM reports_deliveryattempt WHERE report_id = ANY(%s)", [ids2])[0][0])

    for _ in range(3):
        time.sleep(third)
        counts.append(len(h.receiver.hits_for(ids2)))
        db_counts.append(db_attempts())
    early_growth = counts[0]
    late_growth = counts[2] - counts[1]
    r1 = h.measure(name, prefix + "a", subs1, fault_end=None, deadline_s=0)
    r2 = h.measure(name, prefix + "b", subs2, fault_end=None, deadline_s=0, handled=lambda ids: h.undeliverable(ids))
    r = Result(scenario=name)
    for field_name in ("submitted", "saved", "delivered_once", "lost", "double"):
        setattr(r, field_name, getattr(r1, field_name) + getattr(r2, field_name))
    r.notes = r1.notes + r2.notes
    ids = ids1 + ids2
    webhook: dict[int, int] = {}
    for hit in h.receiver.hits_for(ids):
        if hit.report is not None:
            webhook[hit.report] = webhook.get(hit.report, 0) + 1
    per_db = dict(
        h.sql(
            "SELECT report_id, count(*) FROM reports_deliveryattempt WHERE report_id = ANY(%s) GROUP BY report_id",
            [ids],
        )
    )
    sms = h.sms_files()
    r.extras.update(
        {
            "webhook_attempts_max": max(webhook.values(), default=0),
            "db_attempts_max": max(per_db.values(), default=0),
            "sms_delivered": r1.extras["sms"],
            "undeliverable": len(h.undeliverable(ids2)),
            "undeliverable_batch1": len(h.undeliverable(ids1)),
            "sms_district": sum(1 for m in sms if m.get("to") == DISTRICT_SMS),
            "failure_events": h.sql(
                "SELECT count(*) FROM reports_reportevent WHERE report_id = ANY(%s) AND kind='delivery_failed'", [ids]
            )[0][0],
            "early_growth": early_growth,
            "late_growth": late_growth,
            "late_growth_db": db_counts[2] - db_counts[1],  # attempts of every channel, as the API recorded them
            "worker_alive": int(h.procs["dispatch"].working()),
        }
    )
    late = h.sql(
        "SELECT channel, outcome, count(*) FROM reports_deliveryattempt WHERE report_id = ANY(%s) "
        "AND at > now() - make_interval(secs => %s) GROUP BY 1, 2 ORDER BY 1, 2",
        [ids2, third],
    )
    r.notes.append(f"batch 2 attempts in the last third (channel, outcome, count): {late}")
    if ids2:
        timeline = h.sql(
            "SELECT a.channel, a.outcome, round(extract(epoch FROM a.at - r.undeliverable_at)::numeric, 1) "
            "FROM reports_deliveryattempt a JOIN reports_report r ON r.id = a.report_id "
            "WHERE a.report_id = %s ORDER BY a.at",
            [ids2[0]],
        )
        r.notes.append(f"report {ids2[0]} attempts (channel, outcome, s after undeliverable_at): {timeline}")
    # An undeliverable report may get one more retry chain per REPORTS_REDELIVER_AFTER_SECONDS, never one per
    # sweep (a storm: every REPORTS_SWEEP_SECONDS a whole chain per report).
    chain = int(h.profile["REPORTS_DISPATCH_MAX_RETRIES"]) + 1
    periods = 1 + int(third // float(h.profile["REPORTS_REDELIVER_AFTER_SECONDS"]))
    r.extras["late_allowed"] = len(ids2) * chain * periods
    r.recover_s = time.monotonic() - start
    h.break_sms(False)
    return r


def dropped_response(h: Harness, *, n: int = 8, control: bool = False) -> Result:
    """Each first POST reaches the portal, its answer is lost (DropProxy); the client retries with the same
    key. Control: the retry carries a fresh key (what a client without idempotency does)."""
    name = "dropped_response" + ("_control_fresh_key" if control else "")
    h.reset()
    assert h.riders is not None
    proxy = DropProxy(h.web_port)
    prefix = h.prefix(name)
    try:
        subs = h.riders.run(
            prefix, n=n, rate=8, first_url=proxy.url, key_mode="fresh" if control else "same", backoff=0.2
        )
    finally:
        proxy.close()
    r = h.measure(name, prefix, subs, fault_end=time.monotonic(), deadline_s=15)
    r.extras["responses_dropped"] = proxy.dropped
    return r


def db_backends_terminated(
    h: Harness, *, n: int = 40, rate: float = 8, kills: int = 12, every_s: float = 0.35, control: bool = False
) -> Result:
    """pg_terminate_backend every portal connection a few times while riders submit reports with a photo.
    Control: the client does not retry (a 5xx stays a lost report)."""
    name = "db_backends_terminated" + ("_control_no_retry" if control else "")
    h.reset()
    assert h.riders is not None
    prefix = h.prefix(name)
    terminated = [0]
    marks: dict[str, float] = {}

    def fault() -> None:
        time.sleep(0.8)
        for _ in range(kills):
            with contextlib.suppress(Exception):  # a probe may race with the kill
                rows = h.sql(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname=%s AND pid<>pg_backend_pid()",
                    [h.db],
                )
                terminated[0] += sum(1 for (ok,) in rows if ok)
            time.sleep(every_s)
        marks["end"] = time.monotonic()

    subs = h.riders.run(prefix, n=n, rate=rate, photo=True, retries=0 if control else 5, backoff=0.3, during=fault)
    r = h.measure(name, prefix, subs, fault_end=marks["end"], deadline_s=20)
    orphans, referenced = h.orphan_photos()
    r.extras.update({"terminated": terminated[0], "orphan_files": orphans, "photo_files": referenced})
    return r


SCENARIOS: dict[str, Callable[..., Result]] = {
    "broker_down": broker_down,
    "broker_restart_with_retries": broker_restart_with_retries,
    "worker_sigkill": worker_sigkill,
    "slow_receiver": slow_receiver,
    "receiver_down_long": receiver_down_long,
    "dropped_response": dropped_response,
    "db_backends_terminated": db_backends_terminated,
}


def summary(values: list[float]) -> str:
    return f"p50={statistics.median(values):.0f} p95={pct(values, 0.95):.0f}" if values else "-"


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "setup":
        _setup(sys.argv[2], int(sys.argv[3]))
    else:
        raise SystemExit(__doc__)
