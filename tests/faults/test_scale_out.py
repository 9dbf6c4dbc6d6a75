"""Scale out, shown (issue 13): two web processes and two dispatch workers on the same PostGIS and Redis
serve one district. Requests reach both web servers, tasks are taken by both workers, and each report
still reaches its team exactly once (the delivery lease and the stable delivery id hold across hosts)."""

import os
import re
import sys
from collections.abc import Iterator

import pytest

from tests.faults import harness as fh

pytestmark = [pytest.mark.integration]


@pytest.fixture(autouse=True)
def _isolated_cache_and_files() -> Iterator[None]:
    """Overrides tests/conftest.py's: this process uses neither Django's cache nor its settings."""
    yield


@pytest.fixture(scope="module")
def two_of_each() -> Iterator[fh.Harness]:
    with fh.Harness(profile=fh.FAST_ENV, keep=bool(os.environ.get("FAULTS_KEEP"))) as h:
        web = h.procs["web"]
        port2 = fh.free_port()
        argv = [*web.argv]
        argv[argv.index("-b") + 1] = f"127.0.0.1:{port2}"
        h.procs["web2"] = fh.Proc("web2", argv, web.env, h.workdir)
        dispatch = h.procs["dispatch"]
        argv = [*dispatch.argv]
        argv[argv.index("-n") + 1] = f"dispatch2-{os.getpid()}@%h"
        h.procs["dispatch2"] = fh.Proc("dispatch2", argv, dispatch.env, h.workdir)
        h.procs["web2"].start()
        h.procs["dispatch2"].start()
        h.base2 = f"http://127.0.0.1:{port2}"  # type: ignore[attr-defined]
        assert fh.wait_for(lambda: _get(f"{h.base2}/healthz") == 200, 60, 0.2)  # type: ignore[attr-defined]
        h.wait_worker_ready("dispatch2")
        yield h


def _get(url: str) -> int | None:
    import requests

    try:
        return requests.get(url, timeout=5).status_code
    except requests.RequestException:
        return None


def test_requests_and_tasks_are_served_by_both_web_processes_and_both_workers(two_of_each):
    import requests

    h = two_of_each
    ids_by_web: dict[str, set[int]] = {h.base: set(), h.base2: set()}
    for i in range(24):
        base = h.base if i % 2 == 0 else h.base2
        token = h.riders.tokens[i % len(h.riders.tokens)]
        response = requests.post(
            f"{base}/api/v1/reports/",
            data={"category": "traffic_light", "lng": f"{fh.DH[0]:.6f}", "lat": f"{fh.DH[1]:.6f}", "description": "x"},
            headers={"Authorization": f"Bearer {token}", "Idempotency-Key": f"scale-{os.getpid()}-{i}"},
            timeout=15,
        )
        assert response.status_code == 201, response.text
        ids_by_web[base].add(response.json()["id"])
    ids = set().union(*ids_by_web.values())
    assert all(len(served) == 12 for served in ids_by_web.values()) and len(ids) == 24
    received = fh.wait_for(lambda: (r := h.team_received()) and all(r.get(i) == 1 for i in ids) and r, 90, 0.5)
    assert received and all(received[i] == 1 for i in ids)  # each report reached the team once
    done = {
        name: len(re.findall(r"Task reports\.dispatch\[[^\]]+\] succeeded", h.procs[name].all_logs()))
        for name in ("dispatch", "dispatch2")
    }
    print(f"scale_out web1={len(ids_by_web[h.base])} web2={len(ids_by_web[h.base2])} tasks={done}", file=sys.stderr)
    assert done["dispatch"] > 0 and done["dispatch2"] > 0, done
