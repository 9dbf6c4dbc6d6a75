"""Parsing the query string of the nearest-stations API. Every error names its parameter (400)."""

import math

from django.http import QueryDict
from django.utils.translation import gettext as _

from chaoyang_friendly.errors import ApplicationError, InvalidCoordinatesError
from chaoyang_friendly.geo import COORDINATE_SYSTEMS, WGS84, make_point, parse_float

from ..models import Station
from ..selectors import NearbyQuery

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_RADIUS_M = 20_000
MAX_TEXT = 40
TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def _bad(name: str, message: str) -> ApplicationError:
    return ApplicationError(message, extra={"parameter": name})


def _int(params: QueryDict, name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise _bad(name, _("参数 %(name)s 必须是整数。") % {"name": name}) from None
    if not low <= value <= high:
        raise _bad(
            name, _("参数 %(name)s 必须在 %(low)s 到 %(high)s 之间。") % {"name": name, "low": low, "high": high}
        )
    return value


def _bool(params: QueryDict, name: str) -> bool:
    raw = (params.get(name) or "").strip().lower()
    if raw in TRUE_VALUES:
        return True
    if raw in FALSE_VALUES:
        return False
    raise _bad(name, _("参数 %(name)s 必须是 0 或 1。") % {"name": name})


def parse_nearby(params: QueryDict) -> NearbyQuery:
    """Return the NearbyQuery for a request's query string or raise ApplicationError (400)."""
    query = NearbyQuery()
    crs = params.get("crs") or WGS84
    if crs not in COORDINATE_SYSTEMS:
        raise _bad("crs", _("参数 crs 必须是 wgs84 或 gcj02。"))
    lng, lat = params.get("lng"), params.get("lat")
    if (lng is None) != (lat is None):
        missing = "lat" if lat is None else "lng"
        raise _bad(missing, _("参数 lng 和 lat 必须同时提供（缺少 %(name)s）。") % {"name": missing})
    if lng is not None:
        try:
            query.point = make_point(lng, lat, crs=crs)
        except InvalidCoordinatesError as exc:
            name = "lat" if "lat" in str(exc.message) and "lng" not in str(exc.message) else "lng"
            raise _bad(name, exc.message) from None
        except ApplicationError as exc:
            raise _bad("lng", exc.message) from None
    query.limit = _int(params, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    raw_radius = params.get("radius")
    if raw_radius not in (None, ""):
        try:
            radius = parse_float(raw_radius, "radius")
        except ApplicationError as exc:
            raise _bad("radius", exc.message) from None
        if not 0 < radius <= MAX_RADIUS_M:
            raise _bad("radius", _("参数 radius 必须大于 0 且不超过 %(max)s 米。") % {"max": MAX_RADIUS_M})
        if query.point is None:
            raise _bad("radius", _("参数 radius 需要同时提供 lng 和 lat。"))
        query.radius_m = radius
    kinds = [k for k in params.getlist("kind") if k]
    unknown_kinds = sorted(set(kinds) - set(Station.Kind.values))
    if unknown_kinds:
        raise _bad("kind", _("参数 kind 的值无效：%(v)s") % {"v": ", ".join(unknown_kinds)})
    query.kinds = kinds
    # Whether the codes exist is checked by the selector, and only when nothing matched: a station that
    # has every amenity asked for proves them all known, so the common request costs no vocabulary query.
    query.amenity_codes = sorted(
        {c.strip() for value in params.getlist("amenity") for c in value.split(",") if c.strip()}
    )
    query.open_now = _bool(params, "open_now")
    raw_bbox = params.get("in_bbox")
    if raw_bbox:
        parts = raw_bbox.split(",")
        if len(parts) != 4:
            raise _bad("in_bbox", _("参数 in_bbox 必须是 min_lng,min_lat,max_lng,max_lat。"))
        try:
            x1, y1, x2, y2 = (parse_float(p, "in_bbox") for p in parts)
        except ApplicationError as exc:
            raise _bad("in_bbox", exc.message) from None
        if not (-180 <= x1 < x2 <= 180 and -90 <= y1 < y2 <= 90) or any(map(math.isnan, (x1, y1, x2, y2))):
            raise _bad("in_bbox", _("参数 in_bbox 的范围无效。"))
        query.bbox = (x1, y1, x2, y2)
    text = " ".join((params.get("q") or "").split())
    if len(text) > MAX_TEXT:
        raise _bad("q", _("参数 q 不能超过 %(max)s 个字。") % {"max": MAX_TEXT})
    query.text = text
    return query
