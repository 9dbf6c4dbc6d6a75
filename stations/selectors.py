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
from django.db.models import F, Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from chaoyang_friendly.scoping import get_object_for_user

from .hours import hours_state
from .models import Amenity, Station

# Metres per degree (sphere of ST_DistanceSphere) in the worst direction (east-west) at 41° N, a little
# north of the district, so the bound below never over-promises inside it.
EARTH_RADIUS_M = 6370986.0
METRES_PER_DEGREE_MIN = EARTH_RADIUS_M * math.pi / 180 * math.cos(math.radians(41.0)) * 0.99
MAX_CANDIDATES = 200_000
DISTRICT_SPAN_M = 60_000

LIST_FIELDS = (
    "id",
    "code",
    "name",
    "kind",
    "status",
    "point",
    "address",
    "opening_hours",
    "charging_ports",
    "swap_ports",
    "parking_spots",
    "street_id",
)


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
    qs = Station.objects.active().only(*LIST_FIELDS).annotate(street_name=F("street__name"))
    if query.kinds:
        qs = qs.filter(kind__in=query.kinds)
    if query.amenity_ids:
        qs = qs.with_all_amenities(query.amenity_ids)
    if query.bbox:
        qs = qs.filter(point__bboverlaps=Polygon.from_bbox(query.bbox))
    return qs


def radius_bbox(point: Point, radius_m: float) -> Polygon:
    """A lng/lat box that contains the circle of `radius_m` metres around `point`."""
    dlat = radius_m / (EARTH_RADIUS_M * math.pi / 180) * 1.01
    far_lat = min(abs(point.y) + dlat, 89.0)
    dlng = radius_m / (EARTH_RADIUS_M * math.pi / 180 * math.cos(math.radians(far_lat))) * 1.01
    return Polygon.from_bbox((point.x - dlng, point.y - dlat, point.x + dlng, point.y + dlat))


def _decorate(stations: list[Station], now: datetime | None) -> list[Station]:
    for station in stations:
        distance = getattr(station, "distance", None)
        station.distance_m = round(distance.m, 1) if distance is not None else None
        station.hours = hours_state(station.opening_hours, now)
    return stations


def _keep(station: Station, query: NearbyQuery) -> bool:
    if query.radius_m is not None and station.distance_m is not None and station.distance_m > query.radius_m:
        return False
    return not (query.open_now and not station.hours.is_open)


def station_nearby(*, query: NearbyQuery, now: datetime | None = None) -> list[Station]:
    """Return up to `query.limit` active stations, nearest first (each with .distance_m and .hours).

    Without a point, stations come in name order and distance_m is None.
    """
    base = _base(query)
    if query.point is None:
        rows = []
        chunk = max(query.limit * 4, 100)
        offset = 0
        # open_now is evaluated in Python (OSM syntax), so read on until enough stations are open.
        while len(rows) < query.limit:
            batch = _decorate(list(base.order_by("name", "pk")[offset : offset + chunk]), now)
            rows.extend(s for s in batch if _keep(s, query))
            if len(batch) < chunk:
                break
            offset += chunk
        result = rows[: query.limit]
    elif connection.vendor == "postgresql":
        result = _nearby_knn(base, query, now)
    else:
        result = _nearby_bbox(base, query, now)
    _prefetch_amenities(result)
    return result


def _nearby_knn(base: QuerySet[Station], query: NearbyQuery, now: datetime | None) -> list[Station]:
    point = query.point
    if query.radius_m is not None:
        # The && box lets the planner combine the radius with the index-ordered scan.
        base = base.filter(point__bboverlaps=radius_bbox(point, query.radius_m))
    ordered = base.annotate(knn=GeometryDistance("point", point), distance=Distance("point", point)).order_by("knn")
    k = max(query.limit * 3 + 20, 50)
    while True:
        rows = _decorate(list(ordered[:k]), now)
        exhausted = len(rows) < k
        bound_m = math.inf if exhausted else rows[-1].knn * METRES_PER_DEGREE_MIN
        if query.radius_m is not None and bound_m >= query.radius_m:
            bound_m = math.inf  # every station within the radius is among the candidates
        kept = sorted((s for s in rows if _keep(s, query)), key=lambda s: (s.distance_m, s.pk))
        certified = [s for s in kept if s.distance_m <= bound_m]
        if len(certified) >= query.limit or bound_m == math.inf or k >= MAX_CANDIDATES:
            return certified[: query.limit]
        k *= 4


def _nearby_bbox(base: QuerySet[Station], query: NearbyQuery, now: datetime | None) -> list[Station]:
    point = query.point
    limit_m = query.radius_m if query.radius_m is not None else DISTRICT_SPAN_M
    radius = min(limit_m, 1500.0)
    annotated = base.annotate(distance=Distance("point", point))
    while True:
        rows = _decorate(list(annotated.filter(point__bboverlaps=radius_bbox(point, radius))), now)
        kept = sorted((s for s in rows if _keep(s, query)), key=lambda s: (s.distance_m, s.pk))
        certified = [s for s in kept if s.distance_m <= radius]
        if len(certified) >= query.limit or radius >= limit_m:
            return certified[: query.limit]
        radius = min(radius * 2.5, limit_m)


def _prefetch_amenities(stations: list[Station]) -> None:
    """One query for the amenity codes of all listed stations."""
    if not stations:
        return
    through = Station.amenities.through
    by_station: dict[int, list[Amenity]] = {s.pk: [] for s in stations}
    links = through.objects.filter(station_id__in=list(by_station)).select_related("amenity")
    for link in links.order_by("amenity__sort_order", "amenity__code"):
        by_station[link.station_id].append(link.amenity)
    for station in stations:
        station.amenity_list = by_station[station.pk]


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
