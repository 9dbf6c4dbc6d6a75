"""ensure_postgis (run by `make run` before migrate): nothing to do when PostGIS is there; otherwise install it
on a local Debian server as root, or stop with one sentence saying what to run."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chaoyang_friendly.management.commands import ensure_postgis
from chaoyang_friendly.management.commands.ensure_postgis import Probe

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL")


@pytest.mark.django_db
def test_it_does_nothing_when_postgis_is_installed(capsys):
    call_command("ensure_postgis")
    assert ensure_postgis.probe().installed


@pytest.mark.django_db
def test_a_remote_server_without_postgis_gets_one_sentence_saying_what_to_run(monkeypatch, settings):
    monkeypatch.setattr(ensure_postgis, "probe", lambda: Probe(major=16, installed=False, available=False))
    monkeypatch.setitem(connection.settings_dict, "HOST", "db.example.internal")
    installs = []
    monkeypatch.setattr(ensure_postgis, "package_install", installs.append)
    with pytest.raises(CommandError) as error:
        call_command("ensure_postgis")
    message = str(error.value)
    assert message.count(". ") == 0 and message.endswith(".")  # one sentence
    assert "db.example.internal" in message
    assert "apt-get install postgresql-16-postgis-3" in message
    assert "CREATE EXTENSION postgis;" in message
    assert installs == []


@pytest.mark.django_db
def test_a_local_debian_server_gets_the_package_installed_and_the_extension_created(monkeypatch):
    probes = iter([Probe(15, False, False), Probe(15, False, True)])
    monkeypatch.setattr(ensure_postgis, "probe", lambda: next(probes))
    monkeypatch.setattr(ensure_postgis, "can_install_here", lambda host: True)
    installed, created = [], []
    monkeypatch.setattr(ensure_postgis, "package_install", lambda package: installed.append(package) or True)
    monkeypatch.setattr(ensure_postgis, "create_extension", lambda: created.append(True))
    call_command("ensure_postgis")
    assert installed == ["postgresql-15-postgis-3"]
    assert created == [True]


def test_only_a_local_server_on_debian_as_root_is_installed_here(monkeypatch):
    monkeypatch.setattr(ensure_postgis.os, "geteuid", lambda: 0)
    assert ensure_postgis.can_install_here("db.example.internal") is False
    if ensure_postgis.Path("/etc/debian_version").exists():
        assert ensure_postgis.can_install_here("127.0.0.1") is True
        assert ensure_postgis.can_install_here("/var/run/postgresql") is True
    monkeypatch.setattr(ensure_postgis.os, "geteuid", lambda: 1000)
    assert ensure_postgis.can_install_here("127.0.0.1") is False
