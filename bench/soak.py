"""Soak the embedded default: `make run`'s own stack (SpatiaLite, the filesystem broker, supervisord with
web, worker and beat) under beat and a steady trickle of rider actions, for a given time.

    .venv/bin/python bench/soak.py --minutes 120 [--rate 2]

It runs scripts/run.sh in a scratch VAR_DIR on a free port (nothing of var/ is touched), signs a demo
rider in, and then, `--rate` times a second, does one of (proportions in MIX): nearest stations, a
station's detail, a QR check-in, a 随手拍 submit (with an Idempotency-Key), the housing list, the
activities list. It reads supervisord's log for processes that exited and the stack's output for
`Unrecoverable error` and `database is locked`. At the end (Ctrl-C ends early) it waits a minute for
the queue to drain and prints

    minutes= requests= errors_5xx= unreachable= crashes= restarts= unrecoverable= db_locked= reports= undispatched=

crashes counts processes that exited by themselves (restarts counts supervisord's restarts of them);
undispatched counts reports still `submitted` a minute after the last one.
"""

import argparse
import os
import random
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
PY = str(ROOT / ".venv/bin/python")
# What a rider does, by share of requests (the capacity bench uses the same mix).
MIX = [("nearby", 40), ("detail", 20), ("checkin", 10), ("report", 5), ("housing", 15), ("activities", 10)]
DH = (116.4690, 40.0130)


def rider_action(
    session: requests.Session, base: str, action: str, *, station_ids: list[str], codes: list[str]
) -> requests.Response:
    """One request of the rider mix (bench/capacity.py sends the same), somewhere around 东湖."""
    lng, lat = DH[0] + random.uniform(-0.02, 0.02), DH[1] + random.uniform(-0.02, 0.02)
    if action == "nearby":
        return session.get(f"{base}/api/v1/stations/", params={"lng": lng, "lat": lat}, timeout=30)
    if action == "detail":
        return session.get(f"{base}/api/v1/stations/{random.choice(station_ids)}/", timeout=30)
    if action == "checkin":
        return session.post(f"{base}/api/v1/stations/checkin/{random.choice(codes)}/", timeout=30)
    if action == "report":
        return session.post(
            f"{base}/api/v1/reports/",
            data={"category": "obstacle", "lng": f"{lng:.6f}", "lat": f"{lat:.6f}", "description": "soak"},
            headers={"Idempotency-Key": uuid.uuid4().hex},
            timeout=30,
        )
    if action == "housing":
        return session.get(f"{base}/api/v1/housing/projects/", timeout=30)
    return session.get(f"{base}/api/v1/activities/", timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def manage(env: dict, code: str) -> str:
    out = subprocess.run(
        [PY, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--rate", type=float, default=2.0, help="rider actions per second")
    parser.add_argument("--keep", action="store_true", help="keep the scratch VAR_DIR")
    args = parser.parse_args()

    var = Path(tempfile.mkdtemp(prefix="soak-"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"VAR_DIR": str(var), "PORT": str(port), "SMS_BACKEND": "file", "RATELIMIT_ENABLE": "0"})
    log_path = var / "run.log"
    log = open(log_path, "wb")  # noqa: SIM115 - closed at the end
    stack = subprocess.Popen(
        ["bash", "scripts/run.sh"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    base = f"http://127.0.0.1:{port}"
    stop = {"now": False}
    signal.signal(signal.SIGINT, lambda *a: stop.update(now=True))
    counts = {"requests": 0, "errors_5xx": 0, "unreachable": 0, "reports": 0}
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{base}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if stack.poll() is not None:
                raise SystemExit(f"make run exited: see {log_path}")
            time.sleep(1)
        else:
            raise SystemExit(f"the portal did not come up: see {log_path}")
        token = manage(
            env,
            "from accounts.models import User; from accounts.services import api_token_create; "
            "print(api_token_create(user=User.objects.get(phone='13900000002'))[1])",
        )
        codes = manage(
            env,
            "from stations.models import Station; print(','.join(Station.objects.values_list('code', flat=True)[:200]))",
        ).split(",")
        ids = manage(
            env,
            "from stations.models import Station; print(','.join(str(i) for i in Station.objects.values_list('id', flat=True)[:500]))",
        ).split(",")
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {token}"
        names, weights = zip(*MIX, strict=True)
        started = time.monotonic()
        end = started + args.minutes * 60
        next_report = 0.0
        while time.monotonic() < end and not stop["now"]:
            action = random.choices(names, weights)[0]
            if action == "report":
                if time.monotonic() < next_report:
                    action = "nearby"
                else:  # the rider's own limit allows 20 reports an hour; stay under 3 a minute
                    next_report = time.monotonic() + 20
            try:
                r = rider_action(session, base, action, station_ids=ids, codes=codes)
                counts["reports"] += action == "report" and r.status_code in (200, 201)
                counts["requests"] += 1
                counts["errors_5xx"] += r.status_code >= 500
            except requests.RequestException:
                counts["unreachable"] += 1
            time.sleep(max(0.0, random.expovariate(args.rate)))
        minutes = (time.monotonic() - started) / 60
        time.sleep(60)  # let the last reports go through the queue
        undispatched = manage(
            env,
            "from reports.models import Report; print(Report.objects.filter(status='submitted', description='soak').count())",
        )
    finally:
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
        log.close()
    output = log_path.read_text(errors="replace")
    supervisor = (var / "supervisord.log").read_text(errors="replace") if (var / "supervisord.log").exists() else ""
    crashes = len(re.findall(r"exited: \w+ \(.*not expected\)", supervisor))
    restarts = max(0, len(re.findall(r"spawned: '\w+'", supervisor)) - 3)
    print(
        f"minutes={minutes:.1f} requests={counts['requests']} errors_5xx={counts['errors_5xx']} "
        f"unreachable={counts['unreachable']} crashes={crashes} restarts={restarts} "
        f"unrecoverable={output.count('Unrecoverable error')} db_locked={output.count('database is locked')} "
        f"reports={counts['reports']} undispatched={undispatched}"
    )
    if not args.keep:
        subprocess.run(["rm", "-rf", str(var)], check=False)
    else:
        print(f"kept {var}", file=sys.stderr)


if __name__ == "__main__":
    main()
