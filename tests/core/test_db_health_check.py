"""The PostGIS backend's health check: no round trip on a live connection, a reconnect after the server
dropped it. Against the real server: a second connection watches and terminates ours."""

import time

import psycopg
import pytest
from django.db import close_old_connections, connection, connections

from jurisdictions.models import Street

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the PostGIS backend's check"),
    pytest.mark.django_db(transaction=True),  # an idle connection in autocommit, as between requests
]


@pytest.fixture
def watcher():
    s = connection.settings_dict
    with psycopg.connect(
        host=s["HOST"] or None, port=s["PORT"] or None, user=s["USER"], dbname=s["NAME"], autocommit=True
    ) as conn:
        yield conn


def _last_statement(watcher: psycopg.Connection, pid: int) -> str:
    row = watcher.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None, f"backend {pid} is gone"
    return row[0]


def _backend_pid() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid() /* marker */")
        return cursor.fetchone()[0]


def test_the_project_backend_is_in_use():
    assert type(connections["default"]).__module__ == "chaoyang_friendly.db.postgis.base"
    assert connection.health_check_enabled


def test_a_live_connection_is_usable_without_a_statement(watcher):
    pid = _backend_pid()
    assert connection.is_usable()
    assert "marker" in _last_statement(watcher, pid)
    # The control: Django's own check sends SELECT 1, which the server sees.
    db = connections["default"]
    assert super(type(db), db).is_usable()
    assert _last_statement(watcher, pid) == "SELECT 1"


def test_a_connection_the_server_ended_is_replaced_at_the_next_request(watcher):
    pid = _backend_pid()
    assert watcher.execute("SELECT pg_terminate_backend(%s)", [pid]).fetchone() == (True,)
    deadline = time.monotonic() + 10
    while watcher.execute("SELECT 1 FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone():
        assert time.monotonic() < deadline, "the backend did not exit"
        time.sleep(0.02)
    assert not connection.is_usable()
    close_old_connections()  # what the request_started signal does
    assert Street.objects.count() >= 0
    assert _backend_pid() != pid
