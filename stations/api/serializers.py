"""Output shapes of the stations API: GeoJSON features with fixed precision (6 decimals ≈ 0.1 m).

Features are built as plain dicts: the list endpoint is the hot path (every rider's map), and a dict
per station is several times cheaper than a serializer instance per field.
"""

from typing import Any

from django.conf import settings
from rest_framework import serializers

from chaoyang_friendly.geo import display_coords, navigation_links

from ..models import Station

PRECISION = 6


def _coords(station: Station) -> list[float]:
    return [round(station.point.x, PRECISION), round(station.point.y, PRECISION)]


def station_feature(station: Station) -> dict[str, Any]:
    """A GeoJSON Feature for the nearest list (WGS-84 geometry; `display` in the basemap's CRS)."""
    dlng, dlat = display_coords(station.point)
    hours = station.hours
    return {
        "type": "Feature",
        "id": station.pk,
        "geometry": {"type": "Point", "coordinates": _coords(station)},
        "properties": {
            "code": station.code,
            "name": station.name,
            "kind": station.kind,
            "kind_label": str(station.get_kind_display()),
            "street": getattr(station, "street_name", None),
            "address": station.address,
            "distance_m": station.distance_m,
            "hours": station.opening_hours,
            "hours_state": hours.state,
            "hours_label": hours.label,
            "closes_at": hours.closes_at.isoformat() if hours.closes_at else None,
            "amenities": [a.code for a in station.amenity_list],
            "charging_ports": station.charging_ports,
            "swap_ports": station.swap_ports,
            "parking_spots": station.parking_spots,
            "display": [round(dlng, PRECISION), round(dlat, PRECISION)],
            "url": f"/stations/{station.pk}/",
        },
    }


def station_collection(stations: list[Station]) -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "display_crs": settings.MAP_TILES_CRS,
        "features": [station_feature(s) for s in stations],
    }


def station_detail_feature(station: Station) -> dict[str, Any]:
    station.distance_m = getattr(station, "distance_m", None)
    feature = station_feature(station)
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
