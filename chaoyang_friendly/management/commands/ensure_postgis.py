"""Make sure the PostgreSQL server behind DATABASE_URL has PostGIS before `migrate` needs it.

`make run` calls it before migrating. Nothing to do on SpatiaLite or when the extension is there. When the
server lacks the extension package and runs on this Debian machine and we are root, the package is installed
(as scripts/bootstrap.sh does for the tests) and the extension created; otherwise the command stops with one
sentence saying what to run, instead of migrate's 60-line traceback.
"""

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.core.management.base import BaseCommand, CommandError
from django.db import connection

LOCAL_HOSTS = {"", "localhost", "127.0.0.1", "::1"}


@dataclass(frozen=True)
class Probe:
    major: int  # server major version, e.g. 15
    installed: bool  # CREATE EXTENSION done in this database
    available: bool  # the extension's files are on the server (pg_available_extensions)


def _connect_kwargs() -> dict[str, object]:
    s = connection.settings_dict
    kwargs = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"]}
    if s["PORT"]:
        kwargs["port"] = s["PORT"]
    return {k: v for k, v in kwargs.items() if v not in (None, "")}


def probe() -> Probe:
    with psycopg.connect(**_connect_kwargs(), connect_timeout=5) as conn:  # type: ignore[arg-type]
        major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000  # type: ignore[index]
        installed = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'postgis'").fetchone() is not None
        available = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone() is not None
    return Probe(major=major, installed=installed, available=available)


def create_extension() -> None:
    with psycopg.connect(**_connect_kwargs(), autocommit=True, connect_timeout=5) as conn:  # type: ignore[arg-type]
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def can_install_here(host: str) -> bool:
    """The server is on this machine (TCP loopback or a socket folder), which is Debian, and we are root."""
    local = host in LOCAL_HOSTS or host.startswith("/")
    return local and Path("/etc/debian_version").exists() and os.geteuid() == 0


def package_install(package: str) -> bool:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    apt = ["apt-get", "install", "-y", "-qq", "--no-install-recommends", package]
    if subprocess.run(apt, env=env, check=False, capture_output=True).returncode == 0:  # noqa: S603
        return True
    subprocess.run(["apt-get", "update", "-qq"], env=env, check=False, capture_output=True)  # noqa: S607
    return subprocess.run(apt, env=env, check=False, capture_output=True).returncode == 0  # noqa: S603


def missing_sentence(*, major: int, host: str, dbname: str) -> str:
    """The one sentence shown when PostGIS is missing and cannot be installed from here."""
    where = host or "the local socket"
    return (
        f"PostgreSQL {major} at {where} has no PostGIS: install it on that server "
        f"(Debian/Ubuntu: `apt-get install postgresql-{major}-postgis-3`) and run "
        f"`CREATE EXTENSION postgis;` in database {dbname} as a superuser, then start again."
    )


class Command(BaseCommand):
    help = "Make sure PostGIS is available in the DATABASE_URL database (installs it on a local Debian server)."
    requires_system_checks: list[str] = []

    def handle(self, *args: object, **options: object) -> None:
        if connection.vendor != "postgresql":
            return
        host, dbname = str(connection.settings_dict["HOST"] or ""), str(connection.settings_dict["NAME"])
        try:
            found = probe()
        except psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise CommandError(f"Cannot connect to PostgreSQL at {host or 'the local socket'}: {first}") from exc
        if found.installed:
            return
        if not found.available:
            package = f"postgresql-{found.major}-postgis-3"
            if not can_install_here(host):
                raise CommandError(missing_sentence(major=found.major, host=host, dbname=dbname))
            self.stdout.write(f">> installing {package} (the local PostgreSQL has no PostGIS)")
            if not package_install(package) or not probe().available:
                raise CommandError(missing_sentence(major=found.major, host=host, dbname=dbname))
        try:
            create_extension()
        except psycopg.Error as exc:
            raise CommandError(
                f"PostGIS is installed on {host or 'the local socket'} but this user may not enable it: run "
                f"`CREATE EXTENSION postgis;` in database {dbname} as a superuser, then start again."
            ) from exc
        self.stdout.write(f"PostGIS enabled in database {dbname}")
