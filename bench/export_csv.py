"""Benchmark: stream the station-visits export through Django vs PostgreSQL's COPY on the same query.

    .venv/bin/python bench/export_csv.py --n 1000000 --n 10000000

For each N: fill a scratch PostGIS database (bench_export) with N visits, then in a fresh process
stream /analytics/exports/station-visits.csv through Django's test client (a real request: auth,
scoping, masking, the export log) and `COPY (<the same SELECT>) TO STDOUT (FORMAT csv)` with psycopg.
Prints rows/s of both, their ratio and the peak RSS of the exporting process; ends with
`ratio=<x> rss_mb=<y>` for the largest N. Not part of the test suite.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DB = "bench_export"
BASE = os.environ.get("BENCH_PG", "postgis://postgres@127.0.0.1:5432")


def psql(sql: str, db: str = "postgres") -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", db, "-qc", sql], check=True)


def prepare(n: int) -> None:
    env = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}"}
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    psql(f"CREATE DATABASE {DB}")
    psql("CREATE EXTENSION postgis", DB)
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([sys.executable, "-c", SETUP], cwd=ROOT, env=env, check=True)
    # N visits spread over 200 stations, 5,000 riders and 30 days, written by the server itself.
    psql(
        "INSERT INTO stations_visit (station_id, rider_id, created_at) "
        "SELECT (SELECT min(id) FROM stations_station) + (g % 200), "
        "(SELECT min(id) FROM accounts_user WHERE role='rider') + (g % 5000), "
        f"now() - (g % 2592000) * interval '1 second' FROM generate_series(1, {n}) g",
        DB,
    )
    psql("VACUUM ANALYZE stations_visit", DB)


SETUP = """
import django, os
os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'chaoyang_friendly.settings')
django.setup()
from django.contrib.gis.geos import Point
from accounts.models import User, Role
from jurisdictions.services import streets_load, locate
from stations.models import Station
from jurisdictions.models import Street
streets_load()
User.objects.create_user('13800000001', password='x', role=Role.DISTRICT_STAFF, is_staff=True)
User.objects.bulk_create([User(phone=f'139{i:08d}', role=Role.RIDER, password='!') for i in range(5000)])
streets = list(Street.objects.all())
Station.objects.bulk_create([Station(name=f'驿站{i}', code=f'B{i:06d}', point=streets[i % 43].centre, street=streets[i % 43]) for i in range(200)])
"""


def measure() -> dict:
    """Runs in a fresh process: the Django export first (peak RSS is read right after it), then COPY."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")
    django.setup()
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from analytics.filters import parse_filters
    from analytics.registry import EXPORTS

    analyst = User.objects.get(phone="13800000001")
    client = Client()
    client.force_login(analyst)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    response = client.get("/analytics/exports/station-visits.csv")
    lines = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
    django_s = time.perf_counter() - started
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = lines - 1

    definition = EXPORTS["station-visits"]
    qs = definition.rows(definition.filtered(user=analyst, filters=parse_filters({}, analyst)))
    sql, params = qs.query.get_compiler("default").as_sql()
    started = time.perf_counter()
    copied = 0
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor
        with raw.copy(f"COPY ({sql}) TO STDOUT (FORMAT csv)", params) as copy:
            for data in copy:
                copied += bytes(data).count(b"\n")
    copy_s = time.perf_counter() - started
    return {
        "rows": rows,
        "copied": copied,
        "django_rows_s": rows / django_s,
        "copy_rows_s": copied / copy_s,
        "rss_mb": rss_mb,
        "rss_before_mb": rss_before / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, action="append", help="visits to export (repeatable)")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure()))
        return
    sizes = sorted(args.n or [1_000_000])
    env = {**os.environ, "DATABASE_URL": f"{BASE}/{DB}", "DJANGO_DEBUG": "1", "LOG_LEVEL": "WARNING"}
    results = []
    for n in sizes:
        t = time.perf_counter()
        prepare(n)
        fill_s = time.perf_counter() - t
        out = subprocess.run(
            [sys.executable, __file__, "--measure"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
        )
        r = json.loads(out.stdout.strip().splitlines()[-1])
        ratio = r["django_rows_s"] / r["copy_rows_s"]
        results.append((n, ratio, r["rss_mb"]))
        print(
            f"n={n} rows={r['rows']} django_rows_s={r['django_rows_s']:.0f} copy_rows_s={r['copy_rows_s']:.0f} "
            f"ratio={ratio:.2f} rss_mb={r['rss_mb']:.1f} (fill {fill_s:.0f}s)",
            flush=True,
        )
    if len(results) > 1:
        print(f"rss_growth={results[-1][2] / results[0][2] - 1:+.1%} between n={results[0][0]} and n={results[-1][0]}")
    psql(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
    print(f"ratio={results[-1][1]:.2f} rss_mb={results[-1][2]:.1f}")


if __name__ == "__main__":
    main()
