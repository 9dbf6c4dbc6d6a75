import csv
import json
from pathlib import Path

import pytest
from django.contrib.gis.geos import GEOSGeometry, Point

from chaoyang_friendly.errors import InvalidCoordinatesError, OutsideDistrictError
from chaoyang_friendly.geo import make_point
from jurisdictions.services import DATA_DIR, locate

CENTRES = list(csv.DictReader((DATA_DIR / "chaoyang_streets.csv").open(encoding="utf-8")))


def test_the_district_has_43_streets_24_subdistricts_and_19_areas(streets):
    kinds = [s.kind for s in streets.values()]
    assert len(streets) == 43
    assert kinds.count("街道") == 24
    assert kinds.count("地区") == 19


@pytest.mark.parametrize("row", CENTRES, ids=[r["code"] for r in CENTRES])
def test_it_locates_every_street_centre_in_its_own_street(streets, row):
    assert locate(Point(float(row["lng"]), float(row["lat"]), srid=4326)).code == row["code"]


def _shared_vertex() -> tuple[tuple[float, float], set[str]]:
    """A boundary vertex that belongs to two or more streets (from the shipped data)."""
    data = json.loads(Path(DATA_DIR / "chaoyang_streets.geojson").read_text(encoding="utf-8"))
    owners: dict[tuple[float, float], set[str]] = {}
    for feature in data["features"]:
        for polygon in feature["geometry"]["coordinates"]:
            for x, y in polygon[0]:
                owners.setdefault((x, y), set()).add(feature["properties"]["code"])
    return next((v, codes) for v, codes in owners.items() if len(codes) >= 2)


def test_a_point_on_a_shared_border_goes_to_one_street_deterministically(streets):
    (x, y), codes = _shared_vertex()
    point = Point(x, y, srid=4326)
    answers = {locate(point).code for _ in range(5)}
    assert len(answers) == 1
    assert answers.pop() == min(codes)


@pytest.mark.parametrize(
    ("lng", "lat"),
    [(116.397, 39.800), (116.31, 40.11), (116.69, 39.79)],
    ids=["south-west", "north-west corner", "south-east corner"],
)
def test_it_rejects_points_inside_the_bbox_but_outside_every_street(streets, lng, lat):
    district = GEOSGeometry(json.dumps({"type": "Point", "coordinates": [lng, lat]}), srid=4326)
    with pytest.raises(OutsideDistrictError) as err:
        locate(district)
    assert "不在朝阳区" in str(err.value)


@pytest.mark.parametrize(
    ("lng", "lat", "error"),
    [
        (121.47, 31.23, OutsideDistrictError),  # Shanghai
        (1e150, 39.9, InvalidCoordinatesError),
        ("nan", 39.9, InvalidCoordinatesError),
        ("inf", "inf", InvalidCoordinatesError),
        ("abc", 39.9, InvalidCoordinatesError),
        (116.4, 95, InvalidCoordinatesError),
    ],
)
def test_make_point_checks_ranges_before_geos(lng, lat, error):
    with pytest.raises(error):
        make_point(lng, lat)


def test_gcj02_input_is_converted_to_wgs84(streets):
    from chaoyang_friendly.geo import gcj02_to_wgs84, wgs84_to_gcj02

    glng, glat = wgs84_to_gcj02(116.4665, 39.8935)
    assert abs(glng - 116.4665) > 0.004  # the GCJ-02 offset in Beijing is several hundred metres
    lng, lat = gcj02_to_wgs84(glng, glat)
    assert abs(lng - 116.4665) < 1e-7 and abs(lat - 39.8935) < 1e-7
    point = make_point(glng, glat, crs="gcj02")
    assert round(point.x, 6) == 116.4665 and round(point.y, 6) == 39.8935
