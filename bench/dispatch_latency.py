"""Submit → signed webhook latency of the 随手拍 dispatch flow (not part of the test suite).

Starts its own world: a redis-server on a spare port, a scratch PostGIS database, gunicorn serving the
portal, a Celery dispatch worker (queue `dispatch`) that knows only the API URL and a dispatcher token, and a
local HTTP receiver as 东湖's team webhook. Then, for each rate in --rates, submits reports through the API at
that rate (open loop) and measures per report the time from the start of the POST to the signed webhook
arriving, with a per-phase breakdown taken from probes in the bench's own subprocesses
(bench/_dispatch_probe.py: enqueue/publish in gunicorn; task start, route call, webhook, record call in the
worker): submit HTTP, publish (enqueue → broker took it), queue wait (publish → task start), route, webhook,
record. It also measures the bare Celery round trip (enqueue → worker → the same receiver, no API calls),
per-process CPU (from /proc) and the Redis queue depth (LLEN dispatch) during each run.

    .venv/bin/python bench/dispatch_latency.py --rates 20,100 --repeat 3
    .venv/bin/python bench/dispatch_latency.py --rates 20 --worker-pool prefork --worker-concurrency 4 \
        --env CONN_MAX_AGE=0            # settings experiments go to the subprocesses through --env

Prints per rate and run the percentiles and the breakdown, then one line per rate (median of the runs):
`rate=<r> p95_ms=<x> p50_ms=<y>`. Needs PostgreSQL/PostGIS on 127.0.0.1:5432 (user postgres, trust) and
Debian's redis-server; it never touches the shared Redis on 6379.
"""

import argparse
import glob
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgis://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", f"bench_dispatch_{os.getpid()}")
SECRET = "bench-secret"  # noqa: S105 - a throwaway webhook secret for a local receiver
DH = (116.4690, 40.0130)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Receiver:
    """The team's webhook: notes the first arrival (wall clock) of each report and ping."""

    def __init__(self) -> None:
        self.arrivals: dict[str, float] = {}
        self.count: dict[str, int] = {}
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                now = time.time()
                body = self.rfile.read(int(self.headers["Content-Length"]))
                message = json.loads(body)
                key = (
                    f"ping:{message['sent_at']}" if message["event"] == "ping" else f"report:{message['report']['id']}"
                )
                with outer.lock:
                    outer.arrivals.setdefault(key, now)
                    outer.count[key] = outer.count.get(key, 0) + 1
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_redis(workdir: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    proc = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2) as s:
                s.sendall(b"PING\r\n")
                if s.recv(16).startswith(b"+PONG"):
                    return proc, port
        except OSError:
            time.sleep(0.05)
    raise SystemExit("redis-server did not start")


def setup_database(receiver_url: str, redis_url: str) -> tuple[str, str]:
    import psycopg

    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}", autocommit=True) as conn:
        conn.execute("SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis")
    os.environ["DATABASE_URL"] = f"{PG}/{DB}"
    os.environ["REDIS_URL"] = redis_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")
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
    ResponseTeam.objects.create(
        street=Street.objects.get(code="DH"), name="东湖街道应急队", webhook_url=receiver_url, webhook_secret=SECRET
    )
    ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True, sms_phone="13700009999")
    rider = User.objects.create_user("13900000001", role=Role.RIDER)
    dispatcher = User.objects.create_user(None, role=Role.DISPATCHER, name="bench-dispatcher")
    return api_token_create(user=rider)[1], api_token_create(user=dispatcher)[1]


def drop_database() -> None:
    import psycopg

    try:
        from django.db import connections

        connections.close_all()
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    except Exception as exc:
        print(f"# could not drop {DB}: {exc}")


def wait_http(url: str, timeout: float = 60) -> None:
    import requests

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


# --- CPU accounting from /proc ------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[int, float] | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLK_TCK  # ppid, utime+stime seconds


def _tree(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st:
                parents[int(entry)] = st[0]
    out, frontier = [root], [root]
    while frontier:
        frontier = [p for p, pp in parents.items() if pp in frontier]
        out += frontier
    return out


def _pg_backends() -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmd = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if cmd.startswith(b"postgres: ") and f" {DB} ".encode() in cmd:
                pids.append(int(entry))
    return pids


_PG_SEEN: dict[int, float] = {}


def cpu_snapshot(groups: dict[str, int]) -> dict[str, float]:
    snap = {
        name: sum((_proc_stat(p) or (0, 0.0))[1] for p in ([pid] if name == "bench" else _tree(pid)))
        for name, pid in groups.items()
    }
    # Backends come and go (CONN_MAX_AGE): count CPU per backend pid seen, so an exited one is not negative.
    for p in _pg_backends():
        _PG_SEEN[p] = max(_PG_SEEN.get(p, 0.0), (_proc_stat(p) or (0, 0.0))[1])
    snap["postgres"] = sum(_PG_SEEN.values())
    with open("/proc/stat") as f:
        cpu = [int(x) for x in f.readline().split()[1:]]
    snap["_machine_busy"] = (sum(cpu) - cpu[3] - cpu[4]) / CLK_TCK
    snap["_machine_total"] = sum(cpu) / CLK_TCK
    return snap


class QueueSampler(threading.Thread):
    """LLEN dispatch (waiting) and HLEN unacked (taken by the worker, not yet acknowledged) every 50 ms."""

    def __init__(self, redis_url: str) -> None:
        super().__init__(daemon=True)
        import redis

        self.client = redis.Redis.from_url(redis_url)
        self.samples: list[tuple[int, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            try:
                pipe = self.client.pipeline()
                pipe.llen("dispatch")
                pipe.hlen("unacked")
                self.samples.append(tuple(pipe.execute()))
            except Exception:  # noqa: S110 - sampling only
                pass
            self.stop.wait(0.05)


def read_probes(folder: Path) -> tuple[dict[int, dict[str, dict]], list[dict]]:
    """{report id: {event: first record}} and the GC records."""
    per: dict[int, dict[str, dict]] = {}
    gcs = []
    for path in glob.glob(str(folder / "*.jsonl")):
        role = Path(path).name.split(".")[0]
        with open(path) as f:
            for line in f:
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue
                if rec["ev"] == "gc":
                    rec["role"] = role
                    gcs.append(rec)
                    continue
                if rec.get("rid") is None:
                    continue
                slot = per.setdefault(int(rec["rid"]), {})
                slot.setdefault(rec["ev"], rec)
                slot[rec["ev"] + "#n"] = slot.get(rec["ev"] + "#n", 0) + 1  # type: ignore[assignment]
    return per, gcs


def fmt(values: list[float]) -> str:
    if not values:
        return "n=0"
    return (
        f"p50={statistics.median(values):.1f} p95={pct(values, 0.95):.1f} "
        f"p99={pct(values, 0.99):.1f} max={max(values):.1f}"
    )


def run_rate(args, rate, duration, base, rider_token, receiver, redis_url, groups, probe_dir, label) -> dict:  # type: ignore[no-untyped-def]
    import requests

    n = max(1, int(round(rate * duration)))
    local = threading.local()
    started: dict[int, float] = {}
    submit_ms: dict[int, float] = {}
    errors: list[str] = []

    def submit(i: int, at: float) -> None:
        delay = at - time.time()
        if delay > 0:
            time.sleep(delay)
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            session.headers["Authorization"] = f"Bearer {rider_token}"
        t = time.time()
        data = {
            "category": "traffic_light",
            "lng": str(DH[0] + (i % 7) * 1e-4),
            "lat": str(DH[1]),
            "description": f"bench {label} {i}",
        }
        try:
            response = session.post(f"{base}/api/v1/reports/", data=data, timeout=30)
        except requests.RequestException as exc:
            errors.append(type(exc).__name__)
            return
        if response.status_code != 201:
            errors.append(str(response.status_code))
            return
        rid = response.json()["id"]
        started[rid] = t
        submit_ms[rid] = (time.time() - t) * 1000

    sampler = QueueSampler(redis_url)
    sampler.start()
    cpu0 = cpu_snapshot(groups)
    t0 = time.time() + 0.3
    lateness: list[float] = []
    with ThreadPoolExecutor(max_workers=args.clients or max(8, int(rate))) as pool:
        for i in range(n):
            pool.submit(submit, i, t0 + i / rate)
    t_end_submit = time.time()
    cpu_mid = cpu_snapshot(groups)  # CPU over the submission window only (not the drain)
    deadline = time.time() + args.drain
    while time.time() < deadline and not all(f"report:{rid}" in receiver.arrivals for rid in started):
        time.sleep(0.05)
    cpu_end = cpu_snapshot(groups)
    cpu1 = cpu_mid
    wall = max(1e-9, cpu1["_machine_total"] - cpu0["_machine_total"]) / (os.cpu_count() or 1)
    sampler.stop.set()
    sampler.join()
    del lateness

    probes, gcs = read_probes(probe_dir)
    latencies = {
        rid: (receiver.arrivals[f"report:{rid}"] - t) * 1000
        for rid, t in started.items()
        if f"report:{rid}" in receiver.arrivals
    }
    lat = list(latencies.values())
    lost = len(started) - len(lat)
    doubled = sum(1 for rid in started if receiver.count.get(f"report:{rid}", 0) > 1)
    first = min(started.values()) if started else 0
    last = max(started.values()) if started else 0
    achieved = (len(started) - 1) / (last - first) if len(started) > 1 and last > first else 0.0
    delivered_span = (max(receiver.arrivals[f"report:{r}"] for r in latencies) - first) if latencies else 0
    throughput = len(lat) / delivered_span if delivered_span else 0.0

    phases: dict[str, dict[int, float]] = {
        k: {} for k in ("submit", "enqueue", "publish", "queue", "route", "webhook", "record", "tries")
    }
    skipped = late_publish = never_published = 0
    for rid in started:
        p = probes.get(rid, {})
        phases["submit"][rid] = submit_ms[rid]
        enq, pub, task = p.get("enqueue"), p.get("publish"), p.get("task")
        if enq:
            phases["enqueue"][rid] = (enq["t1"] - enq["t0"]) * 1000
            if not enq["ok"]:
                skipped += 1
                if pub is None:
                    never_published += 1
                elif pub["t1"] > enq["t1"]:
                    late_publish += 1
        if pub:
            phases["publish"][rid] = (pub["t1"] - pub["t0"]) * 1000
        if pub and task:
            phases["queue"][rid] = (task["t0"] - pub["t1"]) * 1000
        for name in ("route", "webhook", "record"):
            if p.get(name):
                phases[name][rid] = (p[name]["t1"] - p[name]["t0"]) * 1000
        phases["tries"][rid] = p.get("task#n", 0)  # type: ignore[assignment]

    print(f"## {label} rate={rate:g}/s n={n}", flush=True)
    print(
        f"submitted={len(started)} errors={len(errors)}{' ' + str(sorted(set(errors))) if errors else ''} "
        f"undelivered_after_{args.drain:.0f}s={lost} delivered_twice={doubled} "
        f"achieved_rate={achieved:.1f}/s delivered_rate={throughput:.1f}/s",
        flush=True,
    )
    print(f"submit_to_webhook_ms {fmt(lat)} (n={len(lat)})")
    for name in ("submit", "enqueue", "publish", "queue", "route", "webhook", "record"):
        print(f"  {name:8s}_ms {fmt(list(phases[name].values()))}")
    retried = sum(1 for v in phases["tries"].values() if v > 1)
    print(
        f"  enqueue: skipped(returned False)={skipped} of which published_late={late_publish} "
        f"never_published={never_published}; tasks_retried={retried}"
    )
    # The tail: which phase makes the slowest 5% slow (mean ms per phase over them, vs the median report).
    if lat:
        cut = pct(lat, 0.95)
        tail = [r for r, v in latencies.items() if v >= cut]
        body = [r for r, v in latencies.items() if v < cut]

        def mean_of(name: str, ids: list[int]) -> float:
            vals = [phases[name][r] for r in ids if r in phases[name]]
            return statistics.fmean(vals) if vals else float("nan")

        parts = " ".join(
            f"{name}={mean_of(name, tail):.0f}/{mean_of(name, body):.0f}"
            for name in ("submit", "publish", "queue", "route", "webhook", "record")
        )
        print(f"  tail(≥p95, n={len(tail)}) vs rest, mean ms: {parts}")
    # Resources during the run.
    cpu = {k: (cpu1[k] - cpu0[k]) / wall * 100 for k in cpu0 if not k.startswith("_")}
    machine = (cpu1["_machine_busy"] - cpu0["_machine_busy"]) / (cpu1["_machine_total"] - cpu0["_machine_total"]) * 100
    cpu["others"] = (cpu1["_machine_busy"] - cpu0["_machine_busy"]) / wall * 100 - sum(cpu.values())
    print(
        "  cpu% of one core over "
        f"{wall:.1f}s: "
        + " ".join(f"{k}={v:.0f}" for k, v in cpu.items())
        + f"; machine busy={machine:.0f}% of {os.cpu_count()} cores"
    )
    ours = ("gunicorn", "worker", "redis", "postgres")
    per_report = sum(cpu_end[k] - cpu0[k] for k in ours) / max(1, len(lat)) * 1000
    print(
        f"  cpu_ms_per_delivered_report={per_report:.0f} ("
        + " ".join(f"{k}={(cpu_end[k] - cpu0[k]) / max(1, len(lat)) * 1000:.0f}" for k in ours)
        + f") → CPU-bound ceiling ≈ {(os.cpu_count() or 1) * 1000 / per_report:.0f} reports/s on an idle machine"
    )
    depth = [s[0] for s in sampler.samples]
    unacked = [s[1] for s in sampler.samples]
    if depth:
        print(
            f"  redis LLEN dispatch mean={statistics.fmean(depth):.1f} max={max(depth)}; "
            f"HLEN unacked mean={statistics.fmean(unacked):.1f} max={max(unacked)}"
        )
    window = [g for g in gcs if first - 0.5 <= g["at"] <= t_end_submit + 1]
    if window:
        by_role: dict[tuple[str, int], list[float]] = {}
        for g in window:
            by_role.setdefault((g["role"], g.get("gen", -1)), []).append(g["ms"])
        print(
            "  gc pauses ≥2ms (role/gen): "
            + " ".join(
                f"{role}/g{gen} n={len(v)} sum={sum(v):.0f}ms max={max(v):.0f}ms"
                for (role, gen), v in sorted(by_role.items())
            )
        )
    return {
        "p50": statistics.median(lat) if lat else float("nan"),
        "p95": pct(lat, 0.95),
        "p99": pct(lat, 0.99),
        "achieved": achieved,
        "lost": lost,
        "errors": len(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rates", default="20,100", help="comma-separated reports/s, run in order")
    parser.add_argument("--rate", type=float, help="a single rate (same as --rates <r>)")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds of submissions per run")
    parser.add_argument("--durations", help="per rate, comma-separated (overrides --duration)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per rate; the final line is their median")
    parser.add_argument("--warmup", type=int, default=0, help="reports submitted (at 20/s) before measuring")
    parser.add_argument("--drain", type=float, default=60.0, help="seconds to wait for the last webhooks")
    parser.add_argument("--clients", type=int, default=0, help="client threads (open loop); 0: one per report/s")
    parser.add_argument("--pings", type=int, default=50)
    parser.add_argument("--worker-concurrency", type=int, default=24)
    parser.add_argument("--worker-pool", default="threads", choices=["threads", "prefork", "gevent", "solo"])
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--web-threads", type=int, default=8)
    parser.add_argument("--web-args", default="", help="extra gunicorn arguments, e.g. '--keep-alive 30'")
    parser.add_argument("--worker-args", default="", help="extra celery worker arguments")
    parser.add_argument("--env", action="append", default=[], help="KEY=VALUE for gunicorn and the worker")
    parser.add_argument("--worker-env", action="append", default=[], help="KEY=VALUE for the worker only")
    parser.add_argument("--web-env", action="append", default=[], help="KEY=VALUE for gunicorn only")
    parser.add_argument("--no-probe", action="store_true", help="run without the timing probes (A/B their cost)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs, probes)")
    args = parser.parse_args()
    rates = [args.rate] if args.rate else [float(r) for r in args.rates.split(",") if r]

    workdir = Path(tempfile.mkdtemp(prefix="bench-dispatch-"))
    probe_dir = workdir / "probe"
    probe_dir.mkdir()
    procs: list[subprocess.Popen] = []
    redis_proc, redis_port = start_redis(workdir)
    procs.append(redis_proc)
    redis_url = f"redis://127.0.0.1:{redis_port}/0"
    receiver = Receiver()
    try:
        rider_token, dispatcher_token = setup_database(receiver.url, redis_url)
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        extra = dict(kv.split("=", 1) for kv in args.env)
        # Production-like web settings (DEBUG off); rate limits off so one rider can submit at 20/s.
        env = {
            **os.environ,
            "RATELIMIT_ENABLE": "0",
            "REPORTS_WEBHOOK_ALLOW_PRIVATE": "1",  # the receiver is on 127.0.0.1
            "LOG_LEVEL": "WARNING",
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-" + "x" * 60,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PYTHONPATH": str(ROOT),
            **extra,
        }
        if not args.no_probe:
            env["BENCH_PROBE_DIR"] = str(probe_dir)
        web_env = {**env, **dict(kv.split("=", 1) for kv in args.web_env)}
        gunicorn = [
            str(ROOT / ".venv/bin/gunicorn"),
            "chaoyang_friendly.wsgi",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            str(args.web_workers),
            "--threads",
            str(args.web_threads),
            "--log-level",
            "warning",
            "--error-logfile",
            str(workdir / "gunicorn.log"),
        ]
        if not args.no_probe:
            gunicorn += ["-c", str(ROOT / "bench/_gunicorn_probe.py")]
        gunicorn += args.web_args.split()
        procs.append(subprocess.Popen(gunicorn, cwd=ROOT, env=web_env))
        worker_env = {
            **env,
            "DATABASE_URL": "postgis://nobody@127.0.0.1:1/none",
            "API_BASE_URL": base,
            "DISPATCHER_TOKEN": dispatcher_token,
            **dict(kv.split("=", 1) for kv in args.worker_env),
        }
        entry = (
            [sys.executable, "-m", "celery"]
            if args.no_probe
            else [sys.executable, str(ROOT / "bench/_celery_probe.py")]
        )
        worker_log = open(workdir / "worker.log", "w")  # noqa: SIM115
        procs.append(
            subprocess.Popen(
                [
                    *entry,
                    "-A",
                    "chaoyang_friendly",
                    "worker",
                    "-Q",
                    "dispatch",
                    f"--pool={args.worker_pool}",
                    f"--concurrency={args.worker_concurrency}",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "-l",
                    "WARNING",
                    *args.worker_args.split(),
                ],
                cwd=ROOT,
                env=worker_env,
                stdout=worker_log,
                stderr=subprocess.STDOUT,
            )
        )
        wait_http(f"{base}/healthz")
        from chaoyang_friendly.celery import app
        from reports.tasks import webhook_ping_task

        with app.connection_for_write() as conn:
            conn.default_channel.queue_purge("dispatch")
        time.sleep(3)  # let the worker finish starting
        print(
            f"# config: pool={args.worker_pool} concurrency={args.worker_concurrency} web={args.web_workers}x"
            f"{args.web_threads} {args.web_args} env={args.env} worker_env={args.worker_env} "
            f"web_env={args.web_env} probe={'off' if args.no_probe else 'on'} redis=:{redis_port} db={DB} "
            f"cores={os.cpu_count()} loadavg={os.getloadavg()[0]:.2f}",
            flush=True,
        )

        # Bare Celery round trip: enqueue → worker → signed POST to the receiver, no API calls.
        ping_lat = []
        for i in range(args.pings):
            sent = time.time()
            webhook_ping_task.delay(receiver.url, SECRET, sent_at=i)
            deadline = sent + 10
            while f"ping:{i}" not in receiver.arrivals and time.time() < deadline:
                time.sleep(0.001)
            if f"ping:{i}" in receiver.arrivals:
                ping_lat.append((receiver.arrivals[f"ping:{i}"] - sent) * 1000)
        ping_p95 = pct(ping_lat, 0.95)
        print(f"celery_round_trip_ms {fmt(ping_lat)} (n={len(ping_lat)})", flush=True)

        groups = {"gunicorn": procs[1].pid, "worker": procs[2].pid, "redis": redis_proc.pid, "bench": os.getpid()}
        if args.warmup:
            run_rate(
                args, 20.0, args.warmup / 20.0, base, rider_token, receiver, redis_url, groups, probe_dir, "warmup"
            )
        results: dict[float, list[dict]] = {r: [] for r in rates}
        durations = [float(d) for d in args.durations.split(",")] if args.durations else [args.duration] * len(rates)
        for run in range(1, args.repeat + 1):
            for rate, duration in zip(rates, durations, strict=True):
                results[rate].append(
                    run_rate(
                        args, rate, duration, base, rider_token, receiver, redis_url, groups, probe_dir, f"run{run}"
                    )
                )
        print("# summary (median of runs)")
        for rate, runs in results.items():
            p95 = statistics.median(r["p95"] for r in runs)
            p50 = statistics.median(r["p50"] for r in runs)
            print(
                f"rate={rate:g} runs={len(runs)} p95s={[round(r['p95']) for r in runs]} "
                f"p99_med={statistics.median(r['p99'] for r in runs):.0f} "
                f"achieved_med={statistics.median(r['achieved'] for r in runs):.1f}/s "
                f"lost={sum(r['lost'] for r in runs)} errors={sum(r['errors'] for r in runs)} "
                f"p95/ping_p95={p95 / ping_p95:.1f}"
            )
            print(f"rate={rate:g} p95_ms={p95:.0f} p50_ms={p50:.0f}", flush=True)
    finally:
        for proc in procs[1:]:
            proc.terminate()
        for proc in procs[1:]:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        redis_proc.terminate()
        try:
            redis_proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            redis_proc.kill()
        drop_database()
        if args.keep:
            print(f"# kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
