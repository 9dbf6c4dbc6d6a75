"""Finding the street that contains a point, and loading the streets."""

import json
from pathlib import Path

from django.contrib.gis.geos import GEOSGeometry, MultiPolygon, Point
from django.db import transaction
from django.utils.translation import gettext as _

from chaoyang_friendly.errors import OutsideDistrictError

from .models import Street

DATA_DIR = Path(__file__).resolve().parent / "data"


def locate(point: Point) -> Street:
    """Return the street whose boundary contains `point` (WGS-84).

    On a shared border both streets intersect the point; the lowest code wins, so the answer is
    deterministic. Raises OutsideDistrictError when no street contains the point.
    """
    # The boundary is matched in the database; its polygon is not needed (or parsed) here.
    street = Street.objects.filter(boundary__intersects=point).order_by("code").defer("boundary").first()
    if street is None:
        raise OutsideDistrictError(
            _("位置 (%(lng).5f, %(lat).5f) 不在朝阳区的任何街道/地区内。") % {"lng": point.x, "lat": point.y}
        )
    return street


@transaction.atomic
def streets_load(*, path: Path = DATA_DIR / "chaoyang_streets.geojson", missing_only: bool = False) -> int:
    """Create or update the 43 streets from the shipped GeoJSON; return how many were written.

    missing_only: create the streets that are missing and leave existing ones as they are (load_reference)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    existing = set(Street.objects.values_list("code", flat=True)) if missing_only else set()
    count = 0
    for feature in data["features"]:
        props = feature["properties"]
        if props["code"] in existing:
            continue
        geom = GEOSGeometry(json.dumps(feature["geometry"]), srid=4326)
        if geom.geom_type == "Polygon":
            geom = MultiPolygon(geom, srid=4326)
        lng, lat = props["centre"]
        Street.objects.update_or_create(
            code=props["code"],
            defaults={
                "name": props["name"],
                "kind": props["kind"],
                "boundary": geom,
                "centre": Point(lng, lat, srid=4326),
            },
        )
        count += 1
    return count
