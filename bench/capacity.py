"""Capacity: the highest rate of a realistic rider mix that gunicorn serves on this machine with p95 under
200 ms and no errors, per web process and per core (PostGIS, production settings).

    .venv/bin/python bench/capacity.py [--web-workers 3] [--threads 4] [--step-seconds 20] [--rates 10,20,40,...]

It builds a scratch PostGIS database with the full demo (about 4,000 stations, 10,000 beds, a month of
activities), starts its own redis-server on a spare port and gunicorn with DJANGO_DEBUG=0, and then sends
the mix of bench/soak.py (nearest stations 40 %, station detail 20 %, QR check-in 10 %, 随手拍 submit 5 %,
housing list 15 %, activities list 10 %) as an open loop (Poisson arrivals, so a slow server is not
excused by a slower client) at each rate in turn, for --step-seconds each. Per rate it prints p50/p95,
errors and the achieved rate; it stops at the first rate that fails and ends with

    max_rate=<r>/s per_web_process=<r/w> per_core=<r/cores> p95_ms=<at that rate> client_cpu=<share>

The load generator runs on the same cores, so the figures are a floor for a dedicated web host.
"""

import argparse
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from soak import MIX, rider_action  # noqa: E402

PY = str(ROOT / ".venv/bin/python")
DB = f"capacity_{os.getpid()}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def manage(env: dict, *args: str) -> str:
    out = subprocess.run([PY, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    return out.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--web-workers", type=int, default=3)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--step-seconds", type=float, default=20)
    parser.add_argument("--rates", default="10,20,30,40,60,80,100,130,160,200")
    parser.add_argument("--small", action="store_true", help="load the small demo (quick try)")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="capacity-"))
    redis_port = free_port()
    subprocess.run(
        ["redis-server", "--port", str(redis_port), "--save", "", "--appendonly", "no", "--daemonize", "yes",
         "--dir", str(work), "--logfile", str(work / "redis.log")],
        check=True,
    )  # fmt: skip
    with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    with psycopg.connect(f"host=127.0.0.1 user=postgres dbname={DB}", autocommit=True) as conn:
        conn.execute("SET client_min_messages=warning; CREATE EXTENSION IF NOT EXISTS postgis")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_TEST")}
    env.update(
        {
            "DATABASE_URL": f"postgis://postgres@127.0.0.1:5432/{DB}",
            "REDIS_URL": f"redis://127.0.0.1:{redis_port}/0",
            "VAR_DIR": str(work),
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "capacity-" + "x" * 60,
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "RATELIMIT_ENABLE": "0",
            "HEALTHZ_REQUIRE_WORKER": "0",
            "SMS_BACKEND": "file",
            "LOG_LEVEL": "WARNING",
        }
    )
    web = None
    try:
        manage(env, "migrate", "--noinput", "-v0")
        manage(env, "load_demo", *(["--small"] if args.small else []))
        manage(env, "collectstatic", "--noinput", "-v0")
        shell = "from accounts.models import User, Role; from accounts.services import api_token_create; " + (
            "print(','.join(api_token_create(user=u)[1] for u in User.objects.filter(role=Role.RIDER)[:20]))"
        )
        tokens = manage(env, "shell", "-c", shell).splitlines()[-1].split(",")
        ids = manage(env, "shell", "-c", "from stations.models import Station as S; print(','.join(str(i) for i in S.objects.values_list('id', flat=True)[:2000]))").splitlines()[-1].split(",")  # fmt: skip
        codes = manage(env, "shell", "-c", "from stations.models import Station as S; print(','.join(S.objects.values_list('code', flat=True)[:2000]))").splitlines()[-1].split(",")  # fmt: skip
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        web = subprocess.Popen(
            [str(ROOT / ".venv/bin/gunicorn"), "chaoyang_friendly.wsgi", "-b", f"127.0.0.1:{port}",
             "-w", str(args.web_workers), "--threads", str(args.threads), "--log-level", "warning"],
            cwd=ROOT, env=env, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                time.sleep(0.3)
        local = threading.local()

        def session() -> requests.Session:
            if not hasattr(local, "s"):
                local.s = requests.Session()
                local.s.headers["Authorization"] = f"Bearer {random.choice(tokens)}"
            return local.s

        names, weights = zip(*MIX, strict=True)
        by_action: dict[str, list[float]] = {}

        def one(action: str, results: list, errors: list) -> None:
            s = session()
            start = time.monotonic()
            try:
                r = rider_action(s, base, action, station_ids=ids, codes=codes)
                if r.status_code >= 500 or r.status_code in (401, 403, 404, 429):
                    errors.append(f"{action}:{r.status_code}")
            except requests.RequestException as exc:
                errors.append(f"{action}:{type(exc).__name__}")
            results.append((time.monotonic() - start) * 1000)
            by_action.setdefault(action, []).append(results[-1])

        for _ in range(50):  # warm every process
            one(random.choices(names, weights)[0], [], [])
        best = None
        print("rate   achieved  p50_ms  p95_ms  errors")
        for rate in [float(r) for r in args.rates.split(",")]:
            results: list[float] = []
            errors: list[str] = []
            cpu0 = resource.getrusage(resource.RUSAGE_SELF)
            t0 = time.monotonic()
            with ThreadPoolExecutor(max_workers=128) as pool:
                at = t0
                while at < t0 + args.step_seconds:
                    at += random.expovariate(rate)
                    delay = at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    pool.submit(one, random.choices(names, weights)[0], results, errors)
            wall = time.monotonic() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_SELF)
            client_cpu = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / wall
            p95 = pct(results, 0.95)
            print(f"{rate:5.0f}  {len(results) / wall:7.1f}  {statistics.median(results):6.1f}  {p95:6.1f}  "
                  f"{len(errors)} {sorted(set(errors))[:4]}  (client cpu {client_cpu:.0%})")  # fmt: skip
            print("       p95 by action: " + " ".join(f"{a}={pct(v, 0.95):.0f}" for a, v in sorted(by_action.items())))
            by_action.clear()
            if p95 >= 200 or errors:
                break
            best = (rate, p95, client_cpu)
        cores = os.cpu_count() or 1
        if best:
            rate, p95, client_cpu = best
            print(
                f"max_rate={rate:.0f}/s per_web_process={rate / args.web_workers:.1f}/s per_core={rate / cores:.1f}/s "
                f"p95_ms={p95:.0f} client_cpu={client_cpu:.0%} web_workers={args.web_workers} threads={args.threads}"
            )
        else:
            print("max_rate=0/s (the first rate already failed)")
    finally:
        if web is not None:
            os.killpg(web.pid, signal.SIGTERM)
            web.wait(timeout=30)
        subprocess.run(["redis-cli", "-p", str(redis_port), "shutdown", "nosave"], check=False, capture_output=True)
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        subprocess.run(["rm", "-rf", str(work)], check=False)


if __name__ == "__main__":
    main()
