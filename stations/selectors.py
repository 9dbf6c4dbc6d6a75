"""Reads: nearest stations, one station, a street's stations for staff.

Nearest search on PostGIS, in one statement: the KNN operator (`<->`) on the points as geography walks a
GiST index in sphere-distance order, the same order as the reported ST_DistanceSphere metres, so the
first rows are the answer. On SpatiaLite (no KNN operator through Django) a growing bounding box around
the point, certified by its radius, does the same job.
"""

import dataclasses
import functools
import math
from datetime import datetime

from django.contrib.gis.db.models.functions import Distance
from django.contrib.gis.geos import Point, Polygon
from django.db import connection
from django.db.models import F, FloatField, Func, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from chaoyang_friendly.errors import ApplicationError
from chaoyang_friendly.scoping import get_object_for_user
from jurisdictions.models import Street

from .hours import HoursClock, HoursState, hours_state
from .models import Amenity, Station

EARTH_RADIUS_M = 6370986.0  # the sphere of ST_DistanceSphere
# Metres per degree in the worst direction (east-west) at 41° N, a little north of the district: a lower
# bound that never over-promises inside it (used for degree buffers by the coverage analysis).
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


@dataclasses.dataclass(slots=True)
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
    amenity_codes: list[str] = dataclasses.field(default_factory=list)
    open_now: bool = False
    bbox: tuple[float, float, float, float] | None = None
    text: str = ""  # a part of the name or the address (the rider's search box)


def amenity_list() -> QuerySet[Amenity]:
    return Amenity.objects.all()


def _base(query: NearbyQuery) -> QuerySet[Station]:
    qs = Station.objects.active()
    if query.kinds:
        qs = qs.filter(kind__in=query.kinds)
    if query.amenity_codes:
        qs = qs.with_all_amenities(query.amenity_codes)
    if query.bbox:
        qs = qs.filter(point__bboverlaps=Polygon.from_bbox(query.bbox))
    if query.text:
        qs = qs.filter(Q(name__icontains=query.text) | Q(address__icontains=query.text))
    return qs


def _rows(
    qs: QuerySet[Station],
    point: Point | None,
    *,
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


def _keep(row: NearbyStation, query: NearbyQuery, clock: HoursClock) -> bool:
    if query.radius_m is not None and row.distance_m is not None and row.distance_m > query.radius_m:
        return False
    if query.open_now:
        row.hours = clock.state(row.opening_hours)
        return row.hours.is_open
    return True


def station_nearby(*, query: NearbyQuery, now: datetime | None = None) -> list[NearbyStation]:
    """Return up to `query.limit` active stations, nearest first, with .distance_m (geodesic metres) and
    .hours. Without a point, stations come in name order and distance_m is None."""
    clock = HoursClock(now)  # one instant for the whole list
    if query.point is None:
        result = _by_name(_base(query), query, clock)
    elif connection.vendor == "postgresql":
        result = _nearby_knn(query, clock)
    else:
        result = _nearby_bbox(_base(query), query, clock)
    if not result and query.amenity_codes:
        _check_amenity_codes(query.amenity_codes)
    for row in result:
        if row.hours is None:
            row.hours = clock.state(row.opening_hours)
        if row.distance_m is not None:
            row.distance_m = round(row.distance_m, 1)
    if connection.vendor != "postgresql":
        _amenity_codes(result)
    return result


def _check_amenity_codes(codes: list[str]) -> None:
    """Raise ApplicationError (400, parameter amenity) naming the codes that are not in the vocabulary."""
    known = set(Amenity.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [c for c in codes if c not in known]
    if unknown:
        raise ApplicationError(
            _("参数 amenity 的值未知：%(v)s") % {"v": ", ".join(unknown)}, extra={"parameter": "amenity"}
        )


def _by_name(base: QuerySet[Station], query: NearbyQuery, clock: HoursClock) -> list[NearbyStation]:
    rows: list[NearbyStation] = []
    chunk = max(query.limit * 4, 100)
    offset = 0
    # open_now is evaluated in Python (OSM syntax), so read on until enough stations are open.
    while len(rows) < query.limit:
        batch = _rows(base, None, order=("name", "pk"), start=offset, stop=offset + chunk)
        rows.extend(r for r in batch if _keep(r, query, clock))
        if len(batch) < chunk:
            break
        offset += chunk
    return rows[: query.limit]


# The nearest list is every rider's map, so on PostgreSQL it is one hand-written statement: building the
# equivalent queryset costs more Python time (~1 ms) than the query takes to run. It walks the geography
# GiST index (migration 0003) with `<->`, which yields stations in true sphere-distance order: the first
# rows are the answer, with no candidate set to re-rank. Filters are appended as `AND …` clauses; the
# box and radius filters are written on `point::geography` so that they are conditions of that same index
# scan (a filter the index cannot check would let the scan run on past the box).
_KNN_SQL = """
SELECT s.id, s.code, s.name, s.kind, (SELECT st.name FROM {street} st WHERE st.id = s.street_id), s.address,
       s.opening_hours, s.charging_ports, s.swap_ports, s.parking_spots, ST_X(s.point), ST_Y(s.point),
       ST_DistanceSphere(s.point, q.p),
       ARRAY(SELECT a.code FROM {through} sa JOIN {amenity} a ON a.id = sa.amenity_id
             WHERE sa.station_id = s.id ORDER BY a.sort_order, a.code)
FROM {station} s, (SELECT p, p::geography AS g FROM ST_SetSRID(ST_MakePoint(%(lng)s, %(lat)s), 4326) AS p) q
WHERE s.status = 'active'{filters}
ORDER BY s.point::geography <-> q.g
LIMIT %(k)s
"""
_AMENITY_FILTER = (
    " AND EXISTS (SELECT 1 FROM {through} sa WHERE sa.station_id = s.id"
    " AND sa.amenity_id = (SELECT id FROM {amenity} WHERE code = %(amenity{i})s))"
)
# A geography box's edges are great circles, which bow a few metres off the parallels: the index condition
# uses a box this much wider (degrees), and the exact lng/lat box is checked on the geometry.
_BOX_MARGIN = 0.001
# ST_DWithin on geography uses a sphere 23 m larger in radius than ST_DistanceSphere's; the index condition
# is widened by more than that ratio and the exact radius is checked on the reported distance.
_RADIUS_MARGIN = 1.0001


@functools.lru_cache(maxsize=64)
def _knn_sql(*, kinds: bool, amenities: int, bbox: bool, radius: bool, text: bool = False) -> str:
    """The KNN statement for one shape of filters (built once per shape and process)."""
    quote = connection.ops.quote_name
    tables = {
        "station": quote(Station._meta.db_table),
        "through": quote(Station.amenities.through._meta.db_table),
        "amenity": quote(Amenity._meta.db_table),
        "street": quote(Station._meta.get_field("street").related_model._meta.db_table),
    }
    filters = []
    if kinds:
        filters.append(" AND s.kind = ANY(%(kinds)s)")
    filters.extend(_AMENITY_FILTER.replace("{i}", str(i)) for i in range(amenities))
    if bbox:
        filters.append(
            " AND s.point::geography && ST_MakeEnvelope(%(gx1)s, %(gy1)s, %(gx2)s, %(gy2)s, 4326)::geography"
            " AND s.point && ST_MakeEnvelope(%(x1)s, %(y1)s, %(x2)s, %(y2)s, 4326)"
        )
    if radius:
        filters.append(" AND ST_DWithin(s.point::geography, q.g, %(radius)s, false)")
    if text:
        filters.append(" AND (s.name ILIKE %(text)s OR s.address ILIKE %(text)s)")
    return _KNN_SQL.format(filters="".join(filters).format(**tables), **tables)


def _knn_statement(query: NearbyQuery) -> tuple[str, dict]:
    """The KNN statement for `query`'s filters and its parameters (`k` is filled in per round)."""
    params: dict = {"lng": query.point.x, "lat": query.point.y}
    if query.kinds:
        params["kinds"] = list(query.kinds)
    for i, code in enumerate(query.amenity_codes):
        params[f"amenity{i}"] = code
    if query.bbox:
        x1, y1, x2, y2 = query.bbox
        m = _BOX_MARGIN
        params.update(x1=x1, y1=y1, x2=x2, y2=y2, gx1=x1 - m, gy1=y1 - m, gx2=x2 + m, gy2=y2 + m)
    if query.radius_m is not None:
        params["radius"] = query.radius_m * _RADIUS_MARGIN
    if query.text:
        params["text"] = "%" + _like_escape(query.text) + "%"
    sql = _knn_sql(
        kinds=bool(query.kinds),
        amenities=len(query.amenity_codes),
        bbox=query.bbox is not None,
        radius=query.radius_m is not None,
        text=bool(query.text),
    )
    return sql, params


def _like_escape(text: str) -> str:
    """`text` as a literal inside an (I)LIKE pattern: its own %, _ and backslashes match themselves."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _nearby_knn(query: NearbyQuery, clock: HoursClock) -> list[NearbyStation]:
    sql, params = _knn_statement(query)
    # The order is final, so without open_now the first `limit` rows are the answer. open_now is evaluated
    # in Python (OSM syntax): read more, and more again until enough are open or none are left.
    k = query.limit * 2 + 10 if query.open_now else query.limit
    filtered = query.open_now or query.radius_m is not None
    with connection.cursor() as cursor:
        while True:
            params["k"] = k
            cursor.execute(sql, params)
            fetched = cursor.fetchall()
            rows = [NearbyStation(*values[:13], amenity_codes=values[13]) for values in fetched]
            # Equal distances come in index order; pk breaks the tie so that answers are repeatable.
            rows.sort(key=lambda r: (r.distance_m, r.pk))
            kept = [r for r in rows if _keep(r, query, clock)] if filtered else rows
            if len(kept) >= query.limit or len(fetched) < k or k >= MAX_CANDIDATES:
                return kept[: query.limit]
            k *= 4


def _nearby_bbox(base: QuerySet[Station], query: NearbyQuery, clock: HoursClock) -> list[NearbyStation]:
    point = query.point
    limit_m = query.radius_m if query.radius_m is not None else DISTRICT_SPAN_M
    radius = min(limit_m, 1500.0)
    while True:
        rows = _rows(base.filter(point__bboverlaps=radius_bbox(point, radius)), point)
        kept = sorted((r for r in rows if _keep(r, query, clock)), key=lambda r: (r.distance_m, r.pk))
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


def street_choices() -> QuerySet[Street]:
    """The 43 streets for the rider's street picker: 街道 first, then 地区 (name and kind only)."""
    return Street.objects.order_by("-kind", "code").only("code", "name", "kind")


def street_by_code(*, code: str) -> Street | None:
    return Street.objects.filter(code=code.strip().upper()).only("code", "name", "centre").first() if code else None


def rider_work_street(*, user) -> Street | None:
    """The street a rider said they work in (我的 → 工作街道), or None (anonymous, staff, not filled in)."""
    if not user.is_authenticated:
        return None
    return Street.objects.filter(riders__user=user).only("code", "name", "centre").first()
