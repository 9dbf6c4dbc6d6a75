"""The fault-injection scenarios of the 随手拍 dispatch flow, long versions (not part of the test suite).

Starts tests/faults/harness.py's world (scratch PostGIS database, its own Redis on a spare port, gunicorn,
a dispatch worker without database, a maintenance worker, beat and a local webhook receiver), runs the
scenarios and prints one line per scenario:

    scenario=<name> submitted= saved= delivered_once= lost= double= recover_s= <extras>

    .venv/bin/python bench/faults.py --scenario all --long          # minutes: broker down 60 s, …
    .venv/bin/python bench/faults.py --scenario broker_down          # the fast variant (seconds)
    .venv/bin/python bench/faults.py --scenario worker_sigkill --control   # its negative control too

Needs PostgreSQL/PostGIS on 127.0.0.1:5432 (user postgres, trust) and Debian's redis-server. Exits 1 when a
scenario lost or doubled a report or left the dispatch worker dead (controls are expected to fail).
"""

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)

from tests.faults import harness  # noqa: E402

# Durations of the long runs (the fast ones are the scenario functions' defaults, used by the tests).
LONG: dict[str, dict[str, Any]] = {
    "broker_down": {"down_s": 60, "rate": 2, "deadline_s": 120},
    "broker_restart_with_retries": {"n": 20, "down_s": 3, "deadline_s": 120},
    "worker_sigkill": {"n": 40, "delay": 2.0, "deadline_s": 120},
    "slow_receiver": {"n": 20, "delay": 5, "deadline_s": 120},
    "receiver_down_long": {"n": 10, "down_s": 180, "sms_wait_s": 120},
    "dropped_response": {"n": 40},
    "db_backends_terminated": {"n": 200, "rate": 10, "kills": 40, "every_s": 0.5},
}
# Controls are expected to lose reports: no point in waiting long for them.
CONTROL: dict[str, dict[str, Any]] = {
    "broker_down": {"deadline_s": 10},
    "broker_restart_with_retries": {"deadline_s": 10},
    "worker_sigkill": {"deadline_s": 10},
    "db_backends_terminated": {"kills": 20, "every_s": 0.2},
}
HAS_CONTROL = {
    "broker_down",
    "broker_restart_with_retries",
    "worker_sigkill",
    "dropped_response",
    "db_backends_terminated",
}


def passed(r: harness.Result) -> bool:
    return r.lost == 0 and r.double == 0 and r.extras.get("worker_alive", 1) == 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scenario", default="all", help="a name, a comma-separated list, or all")
    parser.add_argument("--long", action="store_true", help="minutes instead of seconds")
    parser.add_argument("--control", action="store_true", help="also run each scenario's negative control")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder (logs) and print its path")
    parser.add_argument("--verbose", action="store_true", help="print the notes (samples of what went wrong)")
    args = parser.parse_args()
    names = list(harness.SCENARIOS) if args.scenario == "all" else args.scenario.split(",")
    for name in names:
        if name not in harness.SCENARIOS:
            parser.error(f"unknown scenario {name!r}; one of: {', '.join(harness.SCENARIOS)}")
    failed = []
    started = time.monotonic()
    with harness.Harness(profile=harness.LONG_ENV if args.long else harness.FAST_ENV, keep=args.keep) as h:
        if args.keep:
            print(f"# workdir {h.workdir}", flush=True)
        for name in names:
            kwargs = LONG.get(name, {}) if args.long else {}
            runs = [(name, kwargs)]
            if args.control and name in HAS_CONTROL:
                runs.append((name, {**kwargs, **CONTROL.get(name, {}), "control": True}))
            for scenario, kw in runs:
                t = time.monotonic()
                r = harness.SCENARIOS[scenario](h, **kw)
                print(r.line() + f" took_s={time.monotonic() - t:.0f}", flush=True)
                if args.verbose or not passed(r):
                    for note in r.notes:
                        print(f"#   {note}", flush=True)
                if not kw.get("control") and not passed(r):
                    failed.append(scenario)
    print(f"# {len(names)} scenarios in {time.monotonic() - started:.0f} s; failing: {', '.join(failed) or 'none'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
