"""Coverage of the 15-minute circle on hand-made geometry (no shipped streets)."""

import math

import pytest
from django.contrib.gis.geos import MultiPolygon, Point, Polygon

from jurisdictions.models import Street
from stations.coverage import coverage_by_street
from stations.models import Station

R = 6370986.0


def _street(code, x1, y1, x2, y2):
    poly = Polygon.from_bbox((x1, y1, x2, y2))
    poly.srid = 4326
    return Street.objects.create(
        code=code, name=f"测试{code}", kind="街道", boundary=MultiPolygon(poly, srid=4326), centre=poly.centroid
    )


def _box_area(x1, y1, x2, y2):
    """Area of a lng/lat box on the sphere, m²."""
    return R * R * math.radians(x2 - x1) * (math.sin(math.radians(y2)) - math.sin(math.radians(y1)))


@pytest.fixture
def squares(db):
    # A: 0.1° × 0.1° box with one active station in the middle (circle fully inside).
    a = _street("TA", 116.40, 39.90, 116.50, 40.00)
    # B: the neighbour to the east, with only a defunct station; A's station is 4.3 km from the border,
    # so B is entirely a gap.
    b = _street("TB", 116.50, 39.90, 116.60, 40.00)
    Station.objects.create(name="中心", point=Point(116.45, 39.95, srid=4326), street=a)
    Station.objects.create(name="撤销", point=Point(116.55, 39.95, srid=4326), street=b, status="defunct")
    return a, b


def test_share_of_a_street_is_circle_over_area(squares, settings):
    settings.COVERAGE_DISTANCE_M = 3000
    rows = {r.street_code: r for r in coverage_by_street(use_cache=False)}
    a, b = rows["TA"], rows["TB"]
    expected_area = _box_area(116.40, 39.90, 116.50, 40.00)
    circle = math.pi * 3000**2
    assert a.area_m2 == pytest.approx(expected_area, rel=0.02)
    assert a.covered_m2 == pytest.approx(circle, rel=0.03)
    assert a.share == pytest.approx(circle / expected_area, rel=0.03)
    assert a.active_stations == 1
    # The defunct station covers nothing.
    assert b.covered_m2 == pytest.approx(0, abs=1)
    assert b.share == 0
    assert b.active_stations == 0


def test_gaps_are_the_street_minus_the_circle(squares):
    rows = {r.street_code: r for r in coverage_by_street(distance_m=3000, use_cache=False)}
    from django.contrib.gis.geos import GEOSGeometry

    gaps = GEOSGeometry(rows["TA"].gaps_geojson, srid=4326)
    assert not gaps.contains(Point(116.45, 39.95, srid=4326))  # the station's spot is covered
    assert gaps.contains(Point(116.41, 39.91, srid=4326))  # the corner is a gap
    assert GEOSGeometry(rows["TB"].gaps_geojson).area == pytest.approx(0.01, rel=0.05)


def test_a_station_near_the_border_covers_the_neighbour(db):
    a = _street("TC", 116.40, 39.90, 116.50, 40.00)
    _street("TD", 116.50, 39.90, 116.60, 40.00)
    Station.objects.create(name="边上", point=Point(116.4999, 39.95, srid=4326), street=a)
    rows = {r.street_code: r for r in coverage_by_street(distance_m=3000, use_cache=False)}
    # About half the circle lies in each street.
    half = math.pi * 3000**2 / 2
    assert rows["TC"].covered_m2 == pytest.approx(half, rel=0.05)
    assert rows["TD"].covered_m2 == pytest.approx(half, rel=0.05)


def test_coverage_api_is_for_staff(api, rider, analyst, squares):
    assert api(rider).get("/api/v1/stations/coverage/").status_code == 403
    body = api(analyst).get("/api/v1/stations/coverage/").json()
    assert body["distance_m"] == 3000
    codes = {row["street_code"]: row for row in body["streets"]}
    assert codes["TA"]["share"] > 0.25 and codes["TB"]["share"] == 0


def test_coverage_admin_page_for_district_staff_only(admin_client_for, analyst, squares):
    response = admin_client_for(analyst).get("/admin/stations/station/coverage/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "测试TA" in body and "gaps-data" in body


def test_coverage_admin_page_refused_to_street_staff(admin_client_for, staff_a, squares):
    assert admin_client_for(staff_a).get("/admin/stations/station/coverage/").status_code == 403
