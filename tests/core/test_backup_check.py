"""backup_check restores a pg_dump into a scratch database and checks tables, counts and PostGIS."""

import io
import shutil
import subprocess
import tarfile
from io import StringIO

import psycopg
import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from chaoyang_friendly.management.commands.backup_check import _connect_kwargs, _pg_env

pytestmark = [
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL"),
    pytest.mark.skipif(shutil.which("pg_dump") is None, reason="needs pg_dump"),
]


def _scratch_databases() -> list[str]:
    with psycopg.connect(**{**_connect_kwargs(), "dbname": "postgres"}) as conn:
        return [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE '%restore_check%'")]


@pytest.mark.django_db
def test_backup_check_restores_the_live_database_and_compares_every_table():
    out = StringIO()
    call_command("backup_check", stdout=out)
    assert "restore ok" in out.getvalue() and "PostGIS 3." in out.getvalue()
    assert _scratch_databases() == []


@pytest.mark.django_db
def test_backup_check_reads_a_given_dump_and_media_tarball(tmp_path):
    dump = tmp_path / "portal.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "-d", connection.settings_dict["NAME"], "-f", str(dump)], env=_pg_env(), check=True
    )
    media = tmp_path / "media.tar.gz"
    with tarfile.open(media, "w:gz") as tar:
        info = tarfile.TarInfo("reports/photo.jpg")
        info.size = 3
        tar.addfile(info, io.BytesIO(b"abc"))
    out = StringIO()
    call_command("backup_check", "--dump", str(dump), "--media", str(media), stdout=out)
    assert "media: 1 files" in out.getvalue()


@pytest.mark.django_db
def test_backup_check_fails_on_a_truncated_dump(tmp_path):
    dump = tmp_path / "portal.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "-d", connection.settings_dict["NAME"], "-f", str(dump)], env=_pg_env(), check=True
    )
    dump.write_bytes(dump.read_bytes()[: dump.stat().st_size // 2])
    with pytest.raises(CommandError, match="pg_restore failed"):
        call_command("backup_check", "--dump", str(dump), stdout=StringIO())
    assert _scratch_databases() == []
