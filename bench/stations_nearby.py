"""Nearest-stations latency: the API against the raw KNN SQL, at 4,000 and 1,000,000 stations.

Creates a scratch PostGIS database (bench_stations), migrates it, loads the 43 streets and N random
stations inside them (one INSERT … SELECT over generate_series, so 1M loads in about a minute), then for
the same seeded query points, interleaved, measures
  * api: GET /api/v1/stations/?lng=&lat=&limit=20 with the production settings (DJANGO_DEBUG=0, HTTPS),
    by default (`--via wsgi`) through Django's WSGI application called in this process as gunicorn calls
    it (request signals, connection health check, every middleware, parsing, the selector's one KNN
    statement, hours, GeoJSON, the body joined and closed). `--via server` asks a running gunicorn
    (one sync worker, started here) over loopback HTTP instead, so a new TCP connection and gunicorn's
    HTTP parsing are in every figure; `--via client` uses Django's test client, which skips the request
    signals and adds its own instrumentation (its `response.json` cycle is dropped after each request);
  * sql: the raw KNN SQL that returns the same rows and columns (the 20 nearest with their distance,
    street name, hours text, counts and amenities), run on the same connection: the database work the
    answer needs, so the ratio is what Django, DRF and our Python add on top of it; and
  * bare: the bare KNN query `ORDER BY point <-> q LIMIT 20` with only id and ST_DistanceSphere, for scale.
Prints one line per run (the smallest N runs again last, to bracket the machine's drift), the growth of the
API's p95 from the smallest to the largest N, and ends with `ratio_p95=<api p95 / sql p95>` for the largest N.

    .venv/bin/python bench/stations_nearby.py --n 4000 --n 1000000
Needs PostgreSQL/PostGIS on 127.0.0.1:5432 (user postgres). Not part of the test suite.
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
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
    # Measure what production runs: no debug cursor, no static-file autorefresh on every request.
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SECRET_KEY"] = secrets.token_urlsafe(50)
    os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
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
        # Settle the fresh rows before measuring: VACUUM sets hint bits and the visibility map (so
        # autovacuum does not wake up mid-run on these 2 cores) and CHECKPOINT writes the dirty pages out.
        cur.execute("VACUUM (ANALYZE) stations_station")
        cur.execute("VACUUM (ANALYZE) stations_station_amenities")
        cur.execute("CHECKPOINT")
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


BARE_SQL = (
    "SELECT s.id, ST_DistanceSphere(s.point, q.p) FROM stations_station s, "
    "(SELECT ST_SetSRID(ST_MakePoint(%s, %s), 4326) AS p) q "
    "WHERE s.status = 'active' {amenity}ORDER BY s.point <-> q.p LIMIT 20"
)
BARE_AMENITY = (
    "AND EXISTS (SELECT 1 FROM stations_station_amenities sa WHERE sa.station_id = s.id AND sa.amenity_id = %s) "
)


def wsgi_get(application, path: str, query: str) -> tuple[str, bytes]:
    """GET `path?query` from a WSGI application as a WSGI server calls it (PEP 3333): status and body."""
    environ = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "443",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "testserver",
        "HTTP_ACCEPT": "application/json",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "https",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    status: list[str] = []
    body = application(environ, lambda line, headers, exc_info=None: status.append(line))
    try:
        return status[0], b"".join(body)
    finally:
        body.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server() -> Iterator[int]:
    """gunicorn with one sync worker on a free loopback port, with this process's settings; its port."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "chaoyang_friendly.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start") from None
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


def http_get(port: int, path: str) -> tuple[int, bytes]:
    # gunicorn's sync worker closes every connection after its response: one connection per request, as a
    # proxy without keep-alive to the upstream would do. The proxy's headers: host and the HTTPS scheme.
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": "testserver", "X-Forwarded-Proto": "https"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def api_getter(via: str, port: int | None = None):
    """A function GET(query string) -> (status code, JSON body) through the WSGI app, a server or the client."""
    if via == "server":
        assert port is not None
        return lambda query: http_get(port, f"/api/v1/stations/?{query}")
    if via == "client":
        from django.test import Client

        client = Client()

        def via_client(query: str) -> tuple[int, bytes]:
            response = client.get(f"/api/v1/stations/?{query}", secure=True)
            # The client sets response.json = partial(..., response): a cycle no server makes, which would
            # leave the response and its payload to the garbage collector.
            vars(response).pop("json", None)
            return response.status_code, response.content

        return via_client
    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def via_wsgi(query: str) -> tuple[int, bytes]:
        status, body = wsgi_get(application, "/api/v1/stations/", query)
        return int(status.split()[0]), body

    return via_wsgi


def measure(queries: list[tuple[float, float]], amenity: bool, via: str, port: int | None) -> dict[str, list[float]]:
    from django.contrib.gis.geos import Point
    from django.db import connection

    from stations.selectors import NearbyQuery, _knn_statement

    get = api_getter(via, port)
    extra = "&amenity=charging" if amenity else ""
    codes = ["charging"] if amenity else []
    times: dict[str, list[float]] = {"api": [], "sql": [], "bare": []}
    # A fresh cursor for every raw query, taken outside the timing: a request through the WSGI app closes
    # the connection on its way out when it has outlived CONN_MAX_AGE, as it does in production.
    with connection.cursor() as cur:
        cur.execute("SELECT id FROM stations_amenity WHERE code = 'charging'")
        charging = cur.fetchone()[0]
    bare = BARE_SQL.format(amenity=BARE_AMENITY if amenity else "")
    for measured in (False, True):  # one warm pass: steady state, not the first reads of a fresh table
        for i, (lng, lat) in enumerate(queries):
            sql, params = _knn_statement(NearbyQuery(point=Point(lng, lat, srid=4326), amenity_codes=codes))
            params["k"] = 20
            # Back to back on the same point; whichever runs first reads colder caches, so they alternate.
            for step in (i % 2, (i + 1) % 2):
                cur = connection.cursor() if step else None
                t0 = time.perf_counter()
                if step == 0:
                    status, body = get(f"lng={lng}&lat={lat}&limit=20{extra}")
                else:
                    assert cur is not None
                    cur.execute(sql, params)
                    rows = cur.fetchall()
                if measured:
                    times["api" if step == 0 else "sql"].append((time.perf_counter() - t0) * 1000)
            assert status == 200, body[:500]
            if not measured:  # check the answers once, outside the measured pass
                api_ids = [f["id"] for f in json.loads(body)["features"]]
                assert len(api_ids) == 20 and [r[0] for r in rows] == api_ids
    # The bare query walks the other (geometry) index: in its own pass, so that it does not compete with the
    # API's index for the buffer cache.
    for measured in (False, True):
        for lng, lat in queries:
            cur = connection.cursor()
            t0 = time.perf_counter()
            cur.execute(bare, [lng, lat, charging] if amenity else [lng, lat])
            assert len(cur.fetchall()) == 20
            if measured:
                times["bare"].append((time.perf_counter() - t0) * 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, action="append", help="stations to load (repeatable)")
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--amenity", action="store_true", help="also filter amenity=charging")
    parser.add_argument(
        "--via", choices=["wsgi", "server", "client"], default="wsgi", help="how the API is called (see above)"
    )
    args = parser.parse_args()
    sizes = sorted(set(args.n or [4000, 1_000_000]))
    create_database()
    setup_django()
    queries = points(args.queries)
    # This machine's speed drifts over minutes, so the smallest N is measured again after the largest:
    # the growth figure compares the largest N with the mean of the runs either side of it.
    runs = sizes + sizes[:1] if len(sizes) > 1 else sizes
    ratios: dict[int, float] = {}
    api_p95: dict[int, list[float]] = {}
    with running_server() if args.via == "server" else contextlib.nullcontext() as port:
        for n in runs:
            seconds = load(n)
            times = measure(queries, args.amenity, args.via, port)
            p = {f"{name}_p{q}_ms": pct(values, q) for name, values in times.items() for q in (50, 95)}
            ratios[n] = p["api_p95_ms"] / p["sql_p95_ms"]
            figures = " ".join(f"{key}={value:.2f}" for key, value in p.items())
            print(
                f"n={n} via={args.via} load_s={seconds:.1f} queries={len(queries)} {figures} "
                f"ratio_p95={ratios[n]:.2f} ratio_p95_bare={p['api_p95_ms'] / p['bare_p95_ms']:.2f}",
                flush=True,
            )
            api_p95.setdefault(n, []).append(p["api_p95_ms"])
    small, large = sizes[0], sizes[-1]
    if large != small:
        growth = api_p95[large][0] / statistics.mean(api_p95[small])
        print(f"api_p95_growth={growth:.2f} (n={large} vs the mean of n={small} before and after)")
    print(f"ratio_p95={ratios[large]:.2f}")


if __name__ == "__main__":
    main()
