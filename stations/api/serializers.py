"""Output shapes of the stations API: GeoJSON features with fixed precision (6 decimals ≈ 0.1 m).

Features are built as plain dicts: the list endpoint is the hot path (every rider's map), and a dict
per station is several times cheaper than a serializer instance per field.
"""

import functools
from typing import Any

from django.conf import settings
from django.contrib.gis.geos import Point
from django.utils.translation import get_language
from rest_framework import serializers

from chaoyang_friendly.geo import GCJ02, navigation_links, wgs84_to_gcj02

from ..hours import STATE_LABELS, describe
from ..models import Station
from ..selectors import NearbyStation

PRECISION = 6


@functools.lru_cache(maxsize=8)
def _labels(language: str | None) -> tuple[dict[str, str], dict[str, str]]:
    """Kind and opening-state labels in `language`, translated once per process (the list is the hot path)."""
    return (
        {value: str(label) for value, label in Station.Kind.choices},
        {state: str(label) for state, label in STATE_LABELS.items()},
    )


def station_feature(
    row: NearbyStation, labels: tuple[dict[str, str], dict[str, str]] | None = None, display_crs: str | None = None
) -> dict[str, Any]:
    """A GeoJSON Feature for the nearest list (WGS-84 geometry; `display` in the basemap's CRS).

    A list passes its labels and display CRS, read once for all its rows."""
    kind_labels, state_labels = labels or _labels(get_language())
    x, y = round(row.x, PRECISION), round(row.y, PRECISION)
    if (display_crs or settings.MAP_TILES_CRS) == GCJ02:
        dlng, dlat = wgs84_to_gcj02(row.x, row.y)
        display = [round(dlng, PRECISION), round(dlat, PRECISION)]
    else:
        display = [x, y]
    hours = row.hours
    return {
        "type": "Feature",
        "id": row.pk,
        "geometry": {"type": "Point", "coordinates": [x, y]},
        "properties": {
            "code": row.code,
            "name": row.name,
            "kind": row.kind,
            "kind_label": kind_labels.get(row.kind, row.kind),
            "street": row.street_name,
            "address": row.address,
            "distance_m": row.distance_m,
            "hours": row.opening_hours,
            "hours_text": describe(row.opening_hours),
            "hours_state": hours.state,
            "hours_label": state_labels[hours.state],
            "closes_at": hours.closes_at_iso,
            "amenities": row.amenity_codes,
            "charging_ports": row.charging_ports,
            "swap_ports": row.swap_ports,
            "parking_spots": row.parking_spots,
            "display": display,
            "url": f"/stations/{row.pk}/",
        },
    }


def station_collection(rows: list[NearbyStation], origin: Point | None = None) -> dict[str, Any]:
    """The list; with the query's point as `origin` (WGS-84 and `display`, so that a page can mark where
    the distances are measured from without datum maths of its own)."""
    labels, crs = _labels(get_language()), settings.MAP_TILES_CRS
    collection = {
        "type": "FeatureCollection",
        "display_crs": crs,
        "features": [station_feature(r, labels, crs) for r in rows],
    }
    if origin is not None:
        x, y = round(origin.x, PRECISION), round(origin.y, PRECISION)
        display = [round(v, PRECISION) for v in wgs84_to_gcj02(origin.x, origin.y)] if crs == GCJ02 else [x, y]
        collection["origin"] = {"coordinates": [x, y], "display": display}
    return collection


def station_detail_feature(station: Station) -> dict[str, Any]:
    row = NearbyStation(
        pk=station.pk,
        code=station.code,
        name=station.name,
        kind=station.kind,
        street_name=station.street_name,
        address=station.address,
        opening_hours=station.opening_hours,
        charging_ports=station.charging_ports,
        swap_ports=station.swap_ports,
        parking_spots=station.parking_spots,
        x=station.point.x,
        y=station.point.y,
        hours=station.hours,
    )
    feature = station_feature(row)
    props = feature["properties"]
    props.update(
        {
            "status": station.status,
            "status_label": str(station.get_status_display()),
            "host_org": station.host_org,
            "phone": station.phone,
            "notes": station.notes,
            "hours_state_detail": station.hours.as_dict(),
            "amenities": [{"code": a.code, "name": a.name, "icon": a.icon} for a in station.amenity_list],
            "photo": station.photo.url if station.photo else None,
            "last_verified_at": station.last_verified_at.isoformat() if station.last_verified_at else None,
            "navigation": navigation_links(station.point, station.name),
            "qr_url": f"/s/{station.code}",
        }
    )
    return feature


class FeatureCollectionSchema(serializers.Serializer):
    """Documentation only (drf-spectacular): a GeoJSON FeatureCollection of stations."""

    type = serializers.CharField(default="FeatureCollection")
    display_crs = serializers.CharField()
    origin = serializers.DictField(required=False, help_text="the query point: coordinates (WGS-84) and display")
    features = serializers.ListField(child=serializers.DictField())


class CheckinOutputSerializer(serializers.Serializer):
    visit_id = serializers.IntegerField()
    station = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    created = serializers.BooleanField()


class FeedbackInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["works", "broken", "wrong_hours"])
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class CoverageRowSerializer(serializers.Serializer):
    street_code = serializers.CharField()
    street_name = serializers.CharField()
    area_m2 = serializers.FloatField()
    covered_m2 = serializers.FloatField()
    share = serializers.FloatField()
    active_stations = serializers.IntegerField()
