"""Check that a backup restores: pg_restore a custom-format dump into a scratch database, then check that
every model's table is there, count the rows, and check PostGIS answers (extension version, valid street
boundaries); optionally check that a media tarball reads to the end. The scratch database is dropped after.

    manage.py backup_check --dump portal.dump --media media.tar.gz   # a backup you made (README, Backups)
    manage.py backup_check                                           # dump the live database now, restore
                                                                     # it and compare every table's count
"""

import os
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import psycopg
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection
from psycopg import sql

from .ensure_postgis import _connect_kwargs


def _pg_env() -> dict[str, str]:
    s = connection.settings_dict
    env = {**os.environ}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s[key]:
            env[var] = str(s[key])
    return env


def _run(args: list[str]) -> None:
    done = subprocess.run(args, env=_pg_env(), check=False, capture_output=True, text=True)  # noqa: S603
    if done.returncode != 0:
        tail = " ".join(done.stderr.strip().splitlines()[-3:])
        raise CommandError(f"{args[0]} failed ({done.returncode}): {tail}")


def _model_tables() -> list[str]:
    tables = {m._meta.db_table for m in apps.get_models(include_auto_created=True) if m._meta.managed}
    return sorted(tables | {"django_migrations"})


def table_counts(dbname: str, tables: list[str]) -> dict[str, int | None]:
    """Rows of each table in `dbname` (None: the table is missing)."""
    out: dict[str, int | None] = {}
    with psycopg.connect(**{**_connect_kwargs(), "dbname": dbname}, autocommit=True) as conn:  # type: ignore[arg-type]
        present = {r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
        for table in tables:
            if table in present:
                row = conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()
                out[table] = int(row[0]) if row else 0
            else:
                out[table] = None
    return out


def postgis_check(dbname: str) -> str:
    """PostGIS' version in `dbname`; raises if spatial functions or the street boundaries do not work."""
    with psycopg.connect(**{**_connect_kwargs(), "dbname": dbname}, autocommit=True) as conn:  # type: ignore[arg-type]
        version = conn.execute("SELECT postgis_lib_version()").fetchone()[0]  # type: ignore[index]
        invalid = conn.execute(
            "SELECT count(*) FROM jurisdictions_street WHERE NOT ST_IsValid(boundary) OR ST_SRID(boundary) <> 4326"
        ).fetchone()[0]  # type: ignore[index]
    if invalid:
        raise CommandError(f"{invalid} street boundaries are invalid after the restore")
    return str(version)


def media_check(path: Path) -> int:
    """Files in the media tarball (reads every member, so a truncated archive fails)."""
    files = 0
    try:
        with tarfile.open(path) as tar:
            for member in tar:
                if member.isfile():
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        while extracted.read(1 << 20):
                            pass
                    files += 1
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise CommandError(f"media archive {path} is unreadable: {exc}") from exc
    return files


class Command(BaseCommand):
    help = "Restore a pg_dump (custom format) into a scratch database and check it; optionally a media tarball."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dump", type=Path, help="a `pg_dump -Fc` file (default: dump the live database now)")
        parser.add_argument("--media", type=Path, help="a media tarball to read through")

    def handle(self, *args: object, **options: object) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("backup_check needs DATABASE_URL=postgis://… (SpatiaLite: copy var/ while stopped).")
        live = str(connection.settings_dict["NAME"])
        tables = _model_tables()
        scratch = f"{live}_restore_check_{os.getpid()}"
        with tempfile.TemporaryDirectory() as tmp:
            dump = options["dump"]
            expected = None
            if dump is None:
                dump = Path(tmp) / "live.dump"
                started = time.monotonic()
                _run(["pg_dump", "-Fc", "-d", live, "-f", str(dump)])
                expected = table_counts(live, tables)
                self.stdout.write(f"dumped {live} in {time.monotonic() - started:.1f}s ({dump.stat().st_size} bytes)")
            admin = {**_connect_kwargs(), "dbname": "postgres"}
            with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(scratch)))
            try:
                started = time.monotonic()
                _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "-d", scratch, str(dump)])
                restored = table_counts(scratch, tables)
                version = postgis_check(scratch)
                elapsed = time.monotonic() - started
            finally:
                with psycopg.connect(**admin, autocommit=True) as conn:  # type: ignore[arg-type]
                    conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(scratch)))
        missing = [t for t, n in restored.items() if n is None]
        if missing:
            raise CommandError(f"tables missing after the restore: {', '.join(missing)}")
        if expected is not None:
            differ = [f"{t} {expected[t]}→{restored[t]}" for t in tables if expected[t] != restored[t]]
            if differ:
                raise CommandError(f"row counts differ after the restore: {', '.join(differ)}")
        rows = sum(n or 0 for n in restored.values())
        summary = f"restore ok in {elapsed:.1f}s: {len(tables)} tables, {rows} rows, PostGIS {version}"
        if options["media"]:
            summary += f", media: {media_check(options['media'])} files"  # type: ignore[arg-type]
        self.stdout.write(self.style.SUCCESS(summary))
