"""Nearest-stations latency: the API against the raw KNN SQL, at 4,000 and 1,000,000 stations.

Creates a scratch PostGIS database (bench_stations), migrates it, loads the 43 streets and N random
stations inside them (one INSERT … SELECT over generate_series, so 1M loads in about a minute), then for
the same seeded query points measures
  * api: GET /api/v1/stations/?lng=&lat=&limit=20 through Django's test client (parsing, selector with
    KNN candidates + geodesic re-rank, amenity prefetch, GeoJSON rendering), and
  * sql: the bare KNN query `ORDER BY point <-> q LIMIT 20` with ST_DistanceSphere, on the same
    connection.
Prints one line per N and ends with `ratio_p95=<api p95 / sql p95>` for the largest N.

    .venv/bin/python bench/stations_nearby.py --n 4000 --n 1000000
Needs PostgreSQL/PostGIS on 127.0.0.1:5432 (user postgres). Not part of the test suite.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PG = os.environ.get("BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
DB = os.environ.get("BENCH_DB", "bench_stations")


def create_database() -> None:
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    with psycopg.connect(f"{PG}/{DB}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")


def setup_django() -> None:
    os.environ["DATABASE_URL"] = f"{PG.replace('postgresql://', 'postgis://')}/{DB}"
    os.environ.pop("REDIS_URL", None)
    os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="bench_stations_")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chaoyang_friendly.settings")
    os.environ["LOG_LEVEL"] = "WARNING"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from jurisdictions.services import streets_load

    streets_load()


LOAD_SQL = """
INSERT INTO stations_station (created_at, updated_at, code, name, kind, status, street_id, address, point,
    host_org, phone, photo, notes, opening_hours, charging_ports, swap_ports, parking_spots)
SELECT now(), now(), 'B' || pts.g, '压测驿站' || pts.g, 'station', 'active', s.id, '', pts.p, '', '', '', '',
       CASE WHEN pts.g %% 5 = 0 THEN '24/7' ELSE 'Mo-Su 07:00-23:00' END, pts.g %% 40, pts.g %% 7, 0
FROM (
    SELECT g, ST_SetSRID(ST_MakePoint(%(x1)s + random() * %(w)s, %(y1)s + random() * %(h)s), 4326) AS p
    FROM generate_series(1, %(n)s) AS g
) pts
JOIN LATERAL (
    SELECT st.id FROM jurisdictions_street st WHERE ST_Intersects(st.boundary, pts.p) ORDER BY st.code LIMIT 1
) s ON true
LIMIT %(want)s
"""


def load(n: int) -> float:
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute(
            "TRUNCATE stations_visit, stations_feedback, stations_stationevent, stations_station_amenities, stations_station CASCADE"
        )
        cur.execute(
            "SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e) FROM (SELECT ST_Extent(boundary) e FROM jurisdictions_street) x"
        )
        x1, y1, x2, y2 = cur.fetchone()
        cur.execute("SELECT setseed(0.42)")
        # The streets cover ~75% of their extent: draw extra points, keep the first n inside a street.
        cur.execute(LOAD_SQL, {"x1": x1, "y1": y1, "w": x2 - x1, "h": y2 - y1, "n": int(n * 1.6) + 100, "want": n})
        cur.execute(
            "INSERT INTO stations_station_amenities (station_id, amenity_id) "
            "SELECT s.id, a.id FROM stations_station s, stations_amenity a "
            "WHERE a.code = 'charging' AND s.id % 10 < 7"
        )
        cur.execute("ANALYZE stations_station")
        cur.execute("ANALYZE stations_station_amenities")
        cur.execute("SELECT count(*) FROM stations_station")
        loaded = cur.fetchone()[0]
    if loaded != n:
        raise SystemExit(f"loaded {loaded} stations, wanted {n}")
    return time.perf_counter() - started


def points(count: int) -> list[tuple[float, float]]:
    rng = random.Random(7)
    return [(rng.uniform(116.40, 116.60), rng.uniform(39.85, 40.05)) for _i in range(count)]


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def measure(queries: list[tuple[float, float]], amenity: bool) -> tuple[list[float], list[float]]:
    from django.db import connection
    from django.test import Client

    client = Client()
    extra = "&amenity=charging" if amenity else ""
    api_ms, sql_ms = [], []
    for lng, lat in queries:  # one warm pass: steady state, not the first reads of a fresh 1M-row table
        client.get(f"/api/v1/stations/?lng={lng}&lat={lat}&limit=20{extra}")
    sql = (
        "SELECT s.id, ST_DistanceSphere(s.point, q.p) FROM stations_station s, "
        "(SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS p) q "
        + (
            "WHERE s.status = 'active' AND EXISTS (SELECT 1 FROM stations_station_amenities sa "
            "WHERE sa.station_id = s.id AND sa.amenity_id = %s) "
            if amenity
            else "WHERE s.status = 'active' AND %s IS NOT NULL "
        )
        + "ORDER BY s.point <-> q.p LIMIT 20"
    )
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM stations_amenity WHERE code = 'charging'")
        charging = cur.fetchone()[0]
        for lng, lat in queries:
            t0 = time.perf_counter()
            response = client.get(f"/api/v1/stations/?lng={lng}&lat={lat}&limit=20{extra}")
            api_ms.append((time.perf_counter() - t0) * 1000)
            assert response.status_code == 200 and len(response.json()["features"]) == 20
            t0 = time.perf_counter()
            cur.execute(sql, [lng, lat, charging])
            rows = cur.fetchall()
            sql_ms.append((time.perf_counter() - t0) * 1000)
            assert len(rows) == 20
    return api_ms, sql_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append", help="stations to load (repeatable)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--amenity", action="store_true", help="also filter amenity=charging")
    args = parser.parse_args()
    sizes = args.n or [4000, 1_000_000]
    create_database()
    setup_django()
    queries = points(args.queries)
    ratio = None
    for n in sizes:
        seconds = load(n)
        api_ms, sql_ms = measure(queries, args.amenity)
        api50, api95, sql50, sql95 = pct(api_ms, 50), pct(api_ms, 95), pct(sql_ms, 50), pct(sql_ms, 95)
        ratio = api95 / sql95
        print(
            f"n={n} load_s={seconds:.1f} queries={len(queries)} api_p50_ms={api50:.2f} api_p95_ms={api95:.2f} "
            f"sql_p50_ms={sql50:.2f} sql_p95_ms={sql95:.2f} ratio_p95={ratio:.2f}",
            flush=True,
        )
    print(f"ratio_p95={ratio:.2f}")


if __name__ == "__main__":
    main()
