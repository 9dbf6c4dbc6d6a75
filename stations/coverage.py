"""The 15-minute friendly service circle: how much of each street lies within COVERAGE_DISTANCE_M of an
active station, and where the gaps are.

PostGIS (exact): per street, the union of geography buffers (metres) of the active stations near it,
intersected with the street boundary; areas are geography areas in m².

SpatiaLite (documented approximation): the street is sampled on a grid of GRID_CELL_M cells; a cell
counts as covered when its centre is within the distance of an active station (haversine), and the gaps
are the union of the uncovered cells clipped to the boundary. Shares agree with PostGIS to a few percent.
"""

import dataclasses
import json
import math
from collections import defaultdict

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Polygon
from django.core.cache import cache
from django.db import connection

from jurisdictions.models import Street

from .models import Station
from .selectors import EARTH_RADIUS_M, METRES_PER_DEGREE_MIN

GRID_CELL_M = 300.0


@dataclasses.dataclass
class StreetCoverage:
    street_id: int
    street_code: str
    street_name: str
    area_m2: float
    covered_m2: float
    active_stations: int
    gaps_geojson: str  # a GeoJSON geometry (WGS-84)

    @property
    def share(self) -> float:
        return round(self.covered_m2 / self.area_m2, 4) if self.area_m2 else 0.0

    def as_dict(self, *, with_gaps: bool = False) -> dict:
        row = {
            "street_code": self.street_code,
            "street_name": self.street_name,
            "area_m2": round(self.area_m2, 1),
            "covered_m2": round(self.covered_m2, 1),
            "share": self.share,
            "active_stations": self.active_stations,
        }
        if with_gaps:
            row["gaps"] = json.loads(self.gaps_geojson)
        return row


def coverage_by_street(*, distance_m: float | None = None, use_cache: bool = True) -> list[StreetCoverage]:
    """Return the coverage of every street (cached for STATIONS_COVERAGE_CACHE_SECONDS)."""
    distance_m = float(distance_m if distance_m is not None else settings.COVERAGE_DISTANCE_M)
    key = f"stations:coverage:{connection.vendor}:{distance_m:.0f}"
    if use_cache:
        cached = cache.get(key)
        if cached is not None:
            return cached
    rows = _coverage_postgis(distance_m) if connection.vendor == "postgresql" else _coverage_grid(distance_m)
    if use_cache:
        cache.set(key, rows, settings.STATIONS_COVERAGE_CACHE_SECONDS)
    return rows


_POSTGIS_SQL = """
SELECT s.id, s.code, s.name,
       ST_Area(s.boundary::geography) AS area,
       COALESCE(ST_Area(ST_Intersection(s.boundary, c.u)::geography), 0) AS covered,
       ST_AsGeoJSON(COALESCE(ST_Difference(s.boundary, c.u), s.boundary), 6) AS gaps,
       (SELECT count(*) FROM stations_station i WHERE i.street_id = s.id AND i.status = 'active') AS inside
FROM jurisdictions_street s
LEFT JOIN LATERAL (
    SELECT ST_Union(ST_Buffer(st.point::geography, %(d)s, 'quad_segs=8')::geometry) AS u
    FROM stations_station st
    WHERE st.status = 'active'
      AND st.point && ST_Expand(s.boundary, %(deg)s)
      AND ST_DWithin(st.point::geography, s.boundary::geography, %(d)s)
) c ON true
ORDER BY s.code
"""


def _coverage_postgis(distance_m: float) -> list[StreetCoverage]:
    with connection.cursor() as cursor:
        cursor.execute(_POSTGIS_SQL, {"d": distance_m, "deg": distance_m / METRES_PER_DEGREE_MIN})
        return [
            StreetCoverage(
                street_id=row[0],
                street_code=row[1],
                street_name=row[2],
                area_m2=float(row[3]),
                covered_m2=min(float(row[4]), float(row[3])),
                gaps_geojson=row[5],
                active_stations=int(row[6]),
            )
            for row in cursor.fetchall()
        ]


def _haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def _coverage_grid(distance_m: float) -> list[StreetCoverage]:
    points = list(Station.objects.active().values_list("point", "street_id"))
    inside: dict[int, int] = defaultdict(int)
    # Bucket stations into cells of `distance_m` so each sample looks at its 3×3 neighbourhood only.
    deg_lat = distance_m / (EARTH_RADIUS_M * math.pi / 180)
    deg_lng = distance_m / METRES_PER_DEGREE_MIN
    buckets: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    for point, street_id in points:
        inside[street_id] += 1
        buckets[(int(point.x // deg_lng), int(point.y // deg_lat))].append((point.x, point.y))

    def covered(x: float, y: float) -> bool:
        bx, by = int(x // deg_lng), int(y // deg_lat)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                for sx, sy in buckets.get((bx + dx, by + dy), ()):
                    if _haversine_m(x, y, sx, sy) <= distance_m:
                        return True
        return False

    result = []
    for street in Street.objects.order_by("code"):
        boundary = street.boundary.prepared
        x1, y1, x2, y2 = street.boundary.extent
        mid_lat = (y1 + y2) / 2
        step_y = GRID_CELL_M / (EARTH_RADIUS_M * math.pi / 180)
        step_x = GRID_CELL_M / (EARTH_RADIUS_M * math.pi / 180 * math.cos(math.radians(mid_lat)))
        cell_area = GRID_CELL_M * GRID_CELL_M
        total = hit = 0
        gap_cells = []
        y = y1 + step_y / 2
        while y < y2:
            x = x1 + step_x / 2
            while x < x2:
                if boundary.contains(GEOSGeometry(f"POINT({x} {y})", srid=4326)):
                    total += 1
                    if covered(x, y):
                        hit += 1
                    else:
                        gap_cells.append(
                            Polygon.from_bbox((x - step_x / 2, y - step_y / 2, x + step_x / 2, y + step_y / 2))
                        )
                x += step_x
            y += step_y
        if gap_cells:
            gaps = MultiPolygon(gap_cells, srid=4326).unary_union.intersection(street.boundary)
        else:
            gaps = MultiPolygon(srid=4326)
        result.append(
            StreetCoverage(
                street_id=street.pk,
                street_code=street.code,
                street_name=street.name,
                area_m2=total * cell_area,
                covered_m2=hit * cell_area,
                active_stations=inside.get(street.pk, 0),
                gaps_geojson=gaps.json,
            )
        )
    return result


def coverage_geojson(rows: list[StreetCoverage]) -> dict:
    """The gaps as a FeatureCollection (one feature per street) for the admin map."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": json.loads(r.gaps_geojson),
                "properties": r.as_dict(),
            }
            for r in rows
        ],
    }
