"""Coordinates at the edge of the system.

Every coordinate that comes in is checked here before it reaches GEOS (GEOS aborts the whole process on
absurd values such as 1e150). GCJ-02 (the Chinese basemaps' "Mars" datum) is converted here and only
here; the database stores WGS-84.
"""

import math

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import gettext as _

from .errors import InvalidCoordinatesError, OutsideDistrictError

WGS84 = "wgs84"
GCJ02 = "gcj02"
COORDINATE_SYSTEMS = (WGS84, GCJ02)


def parse_float(value: object, name: str) -> float:
    """Return `value` as a finite float or raise InvalidCoordinatesError naming the parameter."""
    try:
        number = float(str(value).strip())
    except (TypeError, ValueError):
        raise InvalidCoordinatesError(_("参数 %(name)s 必须是数字。") % {"name": name}) from None
    if not math.isfinite(number):
        raise InvalidCoordinatesError(_("参数 %(name)s 必须是有限的数字。") % {"name": name})
    return number


def make_point(lng: object, lat: object, *, crs: str = WGS84, district_only: bool = True) -> Point:
    """Return a WGS-84 Point from user input, range-checked.

    Raises InvalidCoordinatesError for non-numbers or values outside the globe, and OutsideDistrictError
    for points outside the district's bounding box (when district_only).
    """
    x = parse_float(lng, "lng")
    y = parse_float(lat, "lat")
    if not -180 <= x <= 180:
        raise InvalidCoordinatesError(_("经度 lng 必须在 -180 到 180 之间。"))
    if not -90 <= y <= 90:
        raise InvalidCoordinatesError(_("纬度 lat 必须在 -90 到 90 之间。"))
    if crs not in COORDINATE_SYSTEMS:
        raise InvalidCoordinatesError(_("坐标系必须是 wgs84 或 gcj02。"))
    if crs == GCJ02:
        x, y = gcj02_to_wgs84(x, y)
    if district_only:
        min_x, min_y, max_x, max_y = settings.DISTRICT_BBOX
        if not (min_x <= x <= max_x and min_y <= y <= max_y):
            raise OutsideDistrictError()
    return Point(x, y, srid=4326)


# --- GCJ-02 <-> WGS-84 (the published Krasovsky-ellipsoid offset; accurate to ~1 m after iteration) ---
_A = 6378245.0
_EE = 0.00669342162296594323


def _out_of_china(lng: float, lat: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _transform_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _transform_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """Return (lng, lat) in GCJ-02 for a WGS-84 point (unchanged outside China)."""
    if _out_of_china(lng, lat):
        return lng, lat
    dlat = _transform_lat(lng - 105.0, lat - 35.0)
    dlng = _transform_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float) -> tuple[float, float]:
    """Return (lng, lat) in WGS-84 for a GCJ-02 point, by fixed-point iteration (error < 0.01 m)."""
    if _out_of_china(lng, lat):
        return lng, lat
    x, y = lng, lat
    for _i in range(10):
        gx, gy = wgs84_to_gcj02(x, y)
        dx, dy = gx - lng, gy - lat
        x, y = x - dx, y - dy
        if abs(dx) < 1e-10 and abs(dy) < 1e-10:
            break
    return x, y


def gcj02_to_bd09(lng: float, lat: float) -> tuple[float, float]:
    """Return (lng, lat) in Baidu's BD-09 for a GCJ-02 point."""
    x_pi = math.pi * 3000.0 / 180.0
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * x_pi)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * x_pi)
    return z * math.cos(theta) + 0.0065, z * math.sin(theta) + 0.006


def display_coords(point: Point) -> tuple[float, float]:
    """Return (lng, lat) for the configured basemap (GCJ-02 tiles need shifted markers)."""
    if settings.MAP_TILES_CRS == GCJ02:
        return wgs84_to_gcj02(point.x, point.y)
    return point.x, point.y


def navigation_links(point: Point, name: str) -> dict[str, str]:
    """Return deep links for Amap (GCJ-02), Baidu (BD-09) and Apple Maps (GCJ-02 inside China)."""
    from urllib.parse import quote

    glng, glat = wgs84_to_gcj02(point.x, point.y)
    blng, blat = gcj02_to_bd09(glng, glat)
    q = quote(name)
    return {
        "amap": f"https://uri.amap.com/navigation?to={glng:.6f},{glat:.6f},{q}&mode=ride&coordinate=gaode&callnative=1",
        "baidu": (
            f"https://api.map.baidu.com/direction?destination=latlng:{blat:.6f},{blng:.6f}|name:{q}"
            f"&coord_type=bd09ll&mode=riding&output=html&src=chaoyang_friendly"
        ),
        "apple": f"https://maps.apple.com/?daddr={glat:.6f},{glng:.6f}&q={q}&dirflg=w",
    }
