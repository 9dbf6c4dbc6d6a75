"""Reads: nearest stations, one station, a street's stations for staff.

Nearest search on PostGIS: a candidate set ordered by the KNN operator (`<->`, GeometryDistance, which
walks the GiST index), then exact re-ranking by geodesic metres (ST_DistanceSphere via Distance). The
candidate set is provably large enough: a station outside it is at least `knn_K` degrees away, hence at
least `knn_K × METRES_PER_DEGREE_MIN` metres; results closer than that bound are certified, otherwise the
set grows. On SpatiaLite (no KNN operator through Django) a growing bounding box does the same job.
"""

import dataclasses
import math
from datetime import datetime

from django.contrib.gis.db.models.functions import Distance, GeometryDistance
from django.contrib.gis.geos import Point, Polygon
from django.db import connection
from django.db.models import F, FloatField, Func, OuterRef, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from chaoyang_friendly.scoping import get_object_for_user

from .hours import HoursState, hours_state
from .models import Amenity, Station

# Metres per degree (sphere of ST_DistanceSphere) in the worst direction (east-west) at 41° N, a little
# north of the district, so the bound below never over-promises inside it.
EARTH_RADIUS_M = 6370986.0
METRES_PER_DEGREE_MIN = EARTH_RADIUS_M * math.pi / 180 * math.cos(math.radians(41.0)) * 0.99
MAX_CANDIDATES = 200_000
DISTRICT_SPAN_M = 60_000

# Columns of a list row: read as tuples (no model instances) because the list is the hot path.
ROW_FIELDS = (
    "pk",
    "code",
    "name",
    "kind",
    "street_name",
    "address",
    "opening_hours",
    "charging_ports",
    "swap_ports",
    "parking_spots",
    "x",
    "y",
)


@dataclasses.dataclass
class NearbyStation:
    """One row of the nearest list: plain values, with geodesic distance and the opening state."""

    pk: int
    code: str
    name: str
    kind: str
    street_name: str
    address: str
    opening_hours: str
    charging_ports: int
    swap_ports: int
    parking_spots: int
    x: float
    y: float
    distance_m: float | None = None
    knn: float = 0.0
    amenity_codes: list[str] = dataclasses.field(default_factory=list)
    hours: HoursState | None = None

    @property
    def point(self) -> Point:
        return Point(self.x, self.y, srid=4326)


@dataclasses.dataclass
class NearbyQuery:
    point: Point | None = None
    limit: int = 20
    radius_m: float | None = None
    kinds: list[str] = dataclasses.field(default_factory=list)
    amenity_ids: list[int] = dataclasses.field(default_factory=list)
    open_now: bool = False
    bbox: tuple[float, float, float, float] | None = None


def amenity_list() -> QuerySet[Amenity]:
    return Amenity.objects.all()


def _base(query: NearbyQuery) -> QuerySet[Station]:
    qs = Station.objects.active()
    if query.kinds:
        qs = qs.filter(kind__in=query.kinds)
    if query.amenity_ids:
        qs = qs.with_all_amenities(query.amenity_ids)
    if query.bbox:
        qs = qs.filter(point__bboverlaps=Polygon.from_bbox(query.bbox))
    return qs


def _rows(
    qs: QuerySet[Station],
    point: Point | None,
    *,
    knn: bool = False,
    order: tuple[str, ...] = (),
    start: int = 0,
    stop: int | None = None,
) -> list[NearbyStation]:
    """Evaluate `qs` into NearbyStation rows (with distance and, on PostgreSQL, amenity codes) in one query."""
    qs = qs.annotate(
        street_name=F("street__name"),
        x=Func("point", function="ST_X", output_field=FloatField()),
        y=Func("point", function="ST_Y", output_field=FloatField()),
    )
    fields = list(ROW_FIELDS)
    if point is not None:
        qs = qs.annotate(distance=Distance("point", point))
        fields.append("distance")
    if knn:
        qs = qs.annotate(knn=GeometryDistance("point", point)).order_by("knn")
        fields.append("knn")
    postgres = connection.vendor == "postgresql"
    if postgres:
        from django.contrib.postgres.expressions import ArraySubquery

        through = Station.amenities.through
        codes = through.objects.filter(station_id=OuterRef("pk")).order_by("amenity__sort_order", "amenity__code")
        qs = qs.annotate(amenity_codes=ArraySubquery(codes.values("amenity__code")))
        fields.append("amenity_codes")
    if order:
        qs = qs.order_by(*order)
    rows = []
    for values in qs.values(*fields)[start:stop]:
        distance = values.pop("distance", None)
        rows.append(NearbyStation(**values, distance_m=distance.m if distance is not None else None))
    return rows


def radius_bbox(point: Point, radius_m: float) -> Polygon:
    """A lng/lat box that contains the circle of `radius_m` metres around `point`."""
    dlat = radius_m / (EARTH_RADIUS_M * math.pi / 180) * 1.01
    far_lat = min(abs(point.y) + dlat, 89.0)
    dlng = radius_m / (EARTH_RADIUS_M * math.pi / 180 * math.cos(math.radians(far_lat))) * 1.01
    return Polygon.from_bbox((point.x - dlng, point.y - dlat, point.x + dlng, point.y + dlat))


def _keep(row: NearbyStation, query: NearbyQuery, now: datetime | None) -> bool:
    if query.radius_m is not None and row.distance_m is not None and row.distance_m > query.radius_m:
        return False
    if query.open_now:
        row.hours = hours_state(row.opening_hours, now)
        return row.hours.is_open
    return True


def station_nearby(*, query: NearbyQuery, now: datetime | None = None) -> list[NearbyStation]:
    """Return up to `query.limit` active stations, nearest first, with .distance_m (geodesic metres) and
    .hours. Without a point, stations come in name order and distance_m is None."""
    base = _base(query)
    if query.point is None:
        result = _by_name(base, query, now)
    elif connection.vendor == "postgresql":
        result = _nearby_knn(base, query, now)
    else:
        result = _nearby_bbox(base, query, now)
    for row in result:
        if row.hours is None:
            row.hours = hours_state(row.opening_hours, now)
        if row.distance_m is not None:
            row.distance_m = round(row.distance_m, 1)
    if connection.vendor != "postgresql":
        _amenity_codes(result)
    return result


def _by_name(base: QuerySet[Station], query: NearbyQuery, now: datetime | None) -> list[NearbyStation]:
    rows: list[NearbyStation] = []
    chunk = max(query.limit * 4, 100)
    offset = 0
    # open_now is evaluated in Python (OSM syntax), so read on until enough stations are open.
    while len(rows) < query.limit:
        batch = _rows(base, None, order=("name", "pk"), start=offset, stop=offset + chunk)
        rows.extend(r for r in batch if _keep(r, query, now))
        if len(batch) < chunk:
            break
        offset += chunk
    return rows[: query.limit]


def _nearby_knn(base: QuerySet[Station], query: NearbyQuery, now: datetime | None) -> list[NearbyStation]:
    point = query.point
    if query.radius_m is not None:
        # The && box lets the planner combine the radius with the index-ordered scan.
        base = base.filter(point__bboverlaps=radius_bbox(point, query.radius_m))
    # ~75% of the k candidates fall inside the certified circle (cos 40° anisotropy): 2k+10 is ample, and the
    # loop below widens the set in the rare case it is not.
    k = max(query.limit * 2 + 10, 30)
    while True:
        rows = _rows(base, point, knn=True, stop=k)
        exhausted = len(rows) < k
        bound_m = math.inf if exhausted else rows[-1].knn * METRES_PER_DEGREE_MIN
        if query.radius_m is not None and bound_m >= query.radius_m:
            bound_m = math.inf  # every station within the radius is among the candidates
        kept = sorted((r for r in rows if _keep(r, query, now)), key=lambda r: (r.distance_m, r.pk))
        certified = [r for r in kept if r.distance_m <= bound_m]
        if len(certified) >= query.limit or bound_m == math.inf or k >= MAX_CANDIDATES:
            return certified[: query.limit]
        k *= 4


def _nearby_bbox(base: QuerySet[Station], query: NearbyQuery, now: datetime | None) -> list[NearbyStation]:
    point = query.point
    limit_m = query.radius_m if query.radius_m is not None else DISTRICT_SPAN_M
    radius = min(limit_m, 1500.0)
    while True:
        rows = _rows(base.filter(point__bboverlaps=radius_bbox(point, radius)), point)
        kept = sorted((r for r in rows if _keep(r, query, now)), key=lambda r: (r.distance_m, r.pk))
        certified = [r for r in kept if r.distance_m <= radius]
        if len(certified) >= query.limit or radius >= limit_m:
            return certified[: query.limit]
        radius = min(radius * 2.5, limit_m)


def _amenity_codes(rows: list[NearbyStation]) -> None:
    """One query for the amenity codes of all listed stations (where ArraySubquery is not available)."""
    if not rows:
        return
    through = Station.amenities.through
    by_station: dict[int, list[str]] = {r.pk: [] for r in rows}
    links = through.objects.filter(station_id__in=list(by_station)).order_by("amenity__sort_order", "amenity__code")
    for station_id, code in links.values_list("station_id", "amenity__code"):
        by_station[station_id].append(code)
    for row in rows:
        row.amenity_codes = by_station[row.pk]


def station_public_get(*, pk: int, now: datetime | None = None) -> Station:
    """One station riders may see (not defunct), with street, amenities and hours; Http404 otherwise."""
    station = (
        Station.objects.exclude(status=Station.Status.DEFUNCT)
        .annotate(street_name=F("street__name"))
        .prefetch_related(Prefetch("amenities", queryset=Amenity.objects.all()))
        .filter(pk=pk)
        .first()
    )
    if station is None:
        raise Http404(_("未找到该驿站。"))
    station.hours = hours_state(station.opening_hours, now)
    station.amenity_list = list(station.amenities.all())
    return station


def station_by_code(*, code: str) -> Station:
    station = (
        Station.objects.exclude(status=Station.Status.DEFUNCT)
        .annotate(street_name=F("street__name"))
        .filter(code=code.strip().upper())
        .first()
    )
    if station is None:
        raise Http404(_("未找到该驿站。"))
    return station


def station_get_for_staff(*, user, pk: int) -> Station:
    """A station the staff `user` may see; Http404 across streets."""
    return get_object_for_user(Station.objects.select_related("street"), user, pk=pk)
