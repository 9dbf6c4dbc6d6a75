"""The 随手拍 flow under faults, fast versions (seconds each; bench/faults.py --long runs the long ones).

One harness (tests/faults/harness.py) is shared by the module: scratch PostGIS database, its own Redis on a
spare port, gunicorn, a dispatch worker without database, a maintenance worker, beat and a webhook receiver.
Each scenario resets it (receiver healthy, every process up, no open report left) and prints its metric line
(`pytest -s` shows them). Every scenario has a negative control that must come out failing, so a green
scenario means the protection works, not that the measurement is blind.

These tests do not use pytest-django's database: the harness talks to its own scratch database with psycopg.
"""

import os
from collections.abc import Iterator

import pytest

from tests.faults import harness as fh

pytestmark = [pytest.mark.integration]  # scripts/bootstrap.sh installs redis-server for `make test`


@pytest.fixture(autouse=True)
def _isolated_cache_and_files() -> Iterator[None]:
    """Overrides tests/conftest.py's: nothing here uses Django's cache or settings in this process (and the
    shared Redis stays untouched)."""
    yield


@pytest.fixture(scope="module")
def h() -> Iterator[fh.Harness]:
    # FAULTS_KEEP=1 keeps the scratch folder with every process's log (its path is printed).
    with fh.Harness(profile=fh.FAST_ENV, keep=bool(os.environ.get("FAULTS_KEEP"))) as harness:
        print(f"# fault harness workdir {harness.workdir}")
        yield harness


def _show(r: fh.Result) -> str:
    print(r.line())
    return "\n".join([r.line(), *r.notes])


def _held(r: fh.Result) -> None:
    why = _show(r)
    assert r.submitted > 0 and r.saved == r.submitted, why
    assert r.lost == 0, why
    assert r.double == 0, why
    assert r.delivered_once == r.submitted, why
    assert r.extras["worker_alive"] == 1, why


def test_broker_down_saves_every_submission_and_the_sweeper_delivers_each_once(h):
    r = fh.broker_down(h)
    _held(r)
    assert r.extras["http5xx"] == 0 and r.extras["unretried_fail"] == 0, _show(r)
    assert r.extras["maintenance_alive"] == 1 and r.extras["healthz"] == 200, _show(r)
    # How long a submission waited during the outage is printed (p95_outage_submit_ms), not asserted:
    # timings belong to the bench (bench/faults.py), not to pass/fail.


def test_control_broker_down_without_beat_leaves_reports_undelivered(h):
    r = fh.broker_down(h, down_s=3, deadline_s=8, control=True)
    why = _show(r)
    assert r.lost > 0, why


def test_broker_restart_while_retries_count_down_keeps_the_worker_alive(h):
    r = fh.broker_restart_with_retries(h)
    _held(r)
    assert r.extras["failed_before_restart"] >= r.submitted, _show(r)


def test_control_broker_restart_with_wiped_data_and_no_sweeper_loses_the_countdowns(h):
    r = fh.broker_restart_with_retries(h, deadline_s=10, control=True)
    why = _show(r)
    assert r.lost > 0, why


def test_worker_sigkill_mid_webhook_delivers_each_report_once(h):
    r = fh.worker_sigkill(h)
    _held(r)
    assert r.extras["stored_at_kill"] >= 2, _show(r)  # webhooks were in flight when the worker died


def test_control_worker_sigkill_without_a_replacement_loses_reports(h):
    r = fh.worker_sigkill(h, deadline_s=8, control=True)
    why = _show(r)
    assert r.lost > 0 and r.extras["worker_alive"] == 0, why


def test_receiver_slower_than_the_timeout_gets_each_report_once(h):
    r = fh.slow_receiver(h)
    _held(r)
    # Control, same run: the transport did retry, so a team that kept every request would have doubles.
    assert r.extras["naive_double"] > 0, _show(r)


def test_receiver_down_longer_than_the_retries_falls_back_to_sms_then_undeliverable_without_a_storm(h):
    r = fh.receiver_down_long(h)
    why = _show(r)
    assert r.lost == 0 and r.double == 0, why
    assert r.extras["sms_delivered"] == r.saved // 2, why  # batch 1: the team's SMS
    assert r.extras["undeliverable"] == r.saved // 2, why  # batch 2: SMS failing too
    budget = int(fh.FAST_ENV["REPORTS_UNDELIVERABLE_AFTER_FAILURES"]) + int(fh.FAST_ENV["REPORTS_DISPATCH_MAX_RETRIES"])
    assert 0 < r.extras["webhook_attempts_max"] <= budget, why
    # No storm: in the last third no webhook attempt, and at most one retry chain per report per redeliver
    # period (a storm starts one every sweep).
    assert r.extras["late_growth"] == 0 and r.extras["late_growth_db"] <= r.extras["late_allowed"], why
    assert r.extras["early_growth"] > 0, why  # control: the growth measure sees attempts when there are some
    assert r.extras["worker_alive"] == 1, why


def test_dropped_response_retried_with_the_same_key_saves_one_report(h):
    r = fh.dropped_response(h)
    _held(r)
    assert r.extras["responses_dropped"] >= r.submitted, _show(r)


def test_control_dropped_response_retried_without_the_key_saves_two(h):
    r = fh.dropped_response(h, control=True)
    why = _show(r)
    assert r.double > 0, why


def test_db_backends_terminated_every_submission_saved_once_and_no_orphan_photos(h):
    r = fh.db_backends_terminated(h)
    _held(r)
    assert r.extras["terminated"] > 0 and r.extras["unretried_fail"] == 0, _show(r)
    assert r.extras["orphan_files"] == 0, _show(r)


def test_control_db_backends_terminated_without_client_retries_loses_reports(h):
    r = fh.db_backends_terminated(h, kills=20, every_s=0.2, control=True)
    why = _show(r)
    assert r.lost > 0, why
