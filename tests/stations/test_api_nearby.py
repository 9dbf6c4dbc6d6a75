import math
import random
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.gis.geos import Point
from django.db import connection

from jurisdictions.services import locate
from stations.models import Amenity, Station

from .factories import StationFactory

URL = "/api/v1/stations/"
SH = ZoneInfo("Asia/Shanghai")
R = 6370986.0  # PostGIS ST_DistanceSphere radius


def haversine(a: Point, lng: float, lat: float) -> float:
    p1, p2 = math.radians(a.y), math.radians(lat)
    dp, dl = p2 - p1, math.radians(lng - a.x)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R * math.asin(math.sqrt(h))


@pytest.fixture
def scattered(streets):
    """120 stations at random points of the district's core (seeded), inside their streets."""
    rng = random.Random(20261128)
    boundaries = [s.boundary for s in streets.values()]
    rows = []
    while len(rows) < 120:
        p = Point(rng.uniform(116.40, 116.56), rng.uniform(39.86, 40.00), srid=4326)
        if any(b.contains(p) for b in boundaries):
            rows.append(Station(name=f"S{len(rows)}", point=p, street=locate(p), opening_hours="24/7"))
    return Station.objects.bulk_create(rows)


def test_nearest_ordering_matches_brute_force_geodesic_ranking(api, scattered):
    rng = random.Random(7)
    client = api(None)
    for _i in range(8):
        lng, lat = rng.uniform(116.41, 116.55), rng.uniform(39.87, 39.99)
        body = client.get(URL, {"lng": lng, "lat": lat, "limit": 15}).json()
        got = [f["id"] for f in body["features"]]
        expected = sorted(scattered, key=lambda s: haversine(s.point, lng, lat))[:15]
        assert got == [s.pk for s in expected]
        for feature, station in zip(body["features"], expected, strict=True):
            assert feature["properties"]["distance_m"] == pytest.approx(haversine(station.point, lng, lat), abs=1)


def test_ranking_is_geodesic_not_degrees(api, streets):
    # 0.010° east is ~852 m; 0.008° north is ~889 m: by degrees east is farther, in metres it is nearer.
    origin = (116.4665, 39.8935)
    east = StationFactory(name="东", point=Point(origin[0] + 0.010, origin[1], srid=4326))
    north = StationFactory(name="北", point=Point(origin[0], origin[1] + 0.008, srid=4326))
    body = api(None).get(URL, {"lng": origin[0], "lat": origin[1]}).json()
    assert [f["id"] for f in body["features"]] == [east.pk, north.pk]


def test_response_is_a_feature_collection_with_distance(api, streets):
    station = StationFactory(amenities=["charging"])
    body = api(None).get(URL, {"lng": "116.4665", "lat": "39.8935"}).json()
    assert body["type"] == "FeatureCollection"
    feature = body["features"][0]
    assert feature["id"] == station.pk
    assert feature["geometry"] == {"type": "Point", "coordinates": [116.4665, 39.8935]}
    assert feature["properties"]["distance_m"] == 0
    assert feature["properties"]["amenities"] == ["charging"]
    assert feature["properties"]["hours_state"] == "open"


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_display_coordinates_follow_the_basemap(api, streets, settings, crs):
    from chaoyang_friendly.geo import wgs84_to_gcj02

    settings.MAP_TILES_CRS = crs
    StationFactory(point=Point(116.4665, 39.8935, srid=4326))
    body = api(None).get(URL, {"lng": "116.4665", "lat": "39.8935"}).json()
    feature = body["features"][0]
    assert body["display_crs"] == crs
    assert feature["geometry"]["coordinates"] == [116.4665, 39.8935]  # stored WGS-84, always
    expected = wgs84_to_gcj02(116.4665, 39.8935) if crs == "gcj02" else (116.4665, 39.8935)
    assert feature["properties"]["display"] == [round(v, 6) for v in expected]
    if crs == "gcj02":
        assert feature["properties"]["display"] != feature["geometry"]["coordinates"]


def test_limit_radius_and_status(api, streets):
    near = StationFactory(point=Point(116.4665, 39.8945, srid=4326))  # ~111 m
    StationFactory(point=Point(116.4665, 39.9035, srid=4326))  # ~1.1 km
    StationFactory(point=Point(116.4666, 39.8936, srid=4326), status=Station.Status.DEFUNCT)
    client = api(None)
    body = client.get(URL, {"lng": 116.4665, "lat": 39.8935, "radius": 500}).json()
    assert [f["id"] for f in body["features"]] == [near.pk]
    assert len(client.get(URL, {"lng": 116.4665, "lat": 39.8935, "limit": 1}).json()["features"]) == 1
    assert len(client.get(URL, {"lng": 116.4665, "lat": 39.8935}).json()["features"]) == 2


def test_filters_combine_kind_all_amenities_open_now_and_bbox(api, streets):
    p = Point(116.4665, 39.8935, srid=4326)
    both = StationFactory(name="both", point=p, kind="refuel", amenities=["charging", "hot_water"])
    StationFactory(name="one", point=p, kind="refuel", amenities=["charging"])
    StationFactory(name="wrongkind", point=p, kind="merchant", amenities=["charging", "hot_water"])
    StationFactory(
        name="closed", point=p, kind="refuel", amenities=["charging", "hot_water"], opening_hours="Mo-Fr 08:00-09:00"
    )
    StationFactory(name="unknown", point=p, kind="refuel", amenities=["charging", "hot_water"], opening_hours="")
    far = StationFactory(
        name="far", point=Point(116.4540, 39.9350, srid=4326), kind="refuel", amenities=["charging", "hot_water"]
    )
    client = api(None)
    params = {"lng": 116.4665, "lat": 39.8935, "kind": "refuel", "amenity": ["charging", "hot_water"], "open_now": "1"}
    with time_machine.travel(datetime(2026, 11, 28, 12, 0, tzinfo=SH), tick=False):
        body = client.get(URL, params).json()
    assert [f["properties"]["name"] for f in body["features"]] == ["both", "far"]
    bbox = {**params, "in_bbox": "116.45,39.93,116.46,39.94"}
    with time_machine.travel(datetime(2026, 11, 28, 12, 0, tzinfo=SH), tick=False):
        assert [f["id"] for f in client.get(URL, bbox).json()["features"]] == [far.pk]
    # Without open_now, the closed and unknown stations come back, labelled as such.
    body = client.get(URL, {k: v for k, v in params.items() if k != "open_now"}).json()
    states = {f["properties"]["name"]: f["properties"]["hours_state"] for f in body["features"]}
    assert states["unknown"] == "unknown"
    assert both.pk in [f["id"] for f in body["features"]]


def test_open_now_across_midnight_and_unknown_hours(api, streets):
    night = StationFactory(name="night", opening_hours="Mo-Su 22:00-02:00")
    StationFactory(name="unknown", opening_hours="")
    client = api(None)
    params = {"lng": 116.4665, "lat": 39.8935, "open_now": 1}
    with time_machine.travel(datetime(2026, 11, 29, 1, 45, tzinfo=SH), tick=False):
        body = client.get(URL, params).json()
    assert [f["id"] for f in body["features"]] == [night.pk]
    assert body["features"][0]["properties"]["hours_state"] == "soon"
    with time_machine.travel(datetime(2026, 11, 29, 2, 30, tzinfo=SH), tick=False):
        assert client.get(URL, params).json()["features"] == []


@pytest.mark.parametrize(
    ("params", "name"),
    [
        ({"lng": "abc", "lat": "39.9"}, "lng"),
        ({"lng": "116.4", "lat": "nan"}, "lat"),
        ({"lng": "1e150", "lat": "39.9"}, "lng"),
        ({"lng": "116.4665"}, "lat"),
        ({"lng": "121.47", "lat": "31.23"}, "lng"),  # Shanghai: outside the district
        ({"lng": "116.4665", "lat": "39.8935", "limit": "0"}, "limit"),
        ({"lng": "116.4665", "lat": "39.8935", "limit": "101"}, "limit"),
        ({"lng": "116.4665", "lat": "39.8935", "limit": "ten"}, "limit"),
        ({"lng": "116.4665", "lat": "39.8935", "radius": "20001"}, "radius"),
        ({"lng": "116.4665", "lat": "39.8935", "radius": "-5"}, "radius"),
        ({"radius": "500"}, "radius"),
        ({"amenity": "charging,sauna"}, "amenity"),
        ({"kind": "castle"}, "kind"),
        ({"open_now": "maybe"}, "open_now"),
        ({"in_bbox": "1,2,3"}, "in_bbox"),
        ({"in_bbox": "116.5,39.9,116.4,40.0"}, "in_bbox"),
        ({"crs": "bd09"}, "crs"),
        ({"q": "驿" * 41}, "q"),
    ],
)
def test_bad_input_is_400_naming_the_parameter(api, streets, params, name):
    response = api(None).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["parameter"] == name
    assert name in body["detail"] or name in ("lng", "lat")


def test_gcj02_input_is_converted(api, streets):
    from chaoyang_friendly.geo import wgs84_to_gcj02

    station = StationFactory()
    glng, glat = wgs84_to_gcj02(116.4665, 39.8935)
    body = api(None).get(URL, {"lng": glng, "lat": glat, "crs": "gcj02"}).json()
    assert body["features"][0]["id"] == station.pk
    assert body["features"][0]["properties"]["distance_m"] < 1


def test_list_query_count(api, scattered, django_assert_num_queries, django_assert_max_num_queries):
    Station.amenities.through.objects.bulk_create(
        [Station.amenities.through(station=s, amenity=Amenity.objects.get(code="charging")) for s in scattered]
    )
    client = api(None)
    # A process reads the staff calendar (调休 days) once, then only when staff change it: warm it up.
    client.get(URL, {"lng": 116.47, "lat": 39.92, "amenity": "charging", "limit": 20})
    # 1 the KNN statement: nearest by metres, with street name and amenity codes. The amenity
    # vocabulary is only read when nothing matched (see the next test).
    # (SpatiaLite: the growing bounding box may take a few rounds instead.)
    counter = django_assert_num_queries(1) if connection.vendor == "postgresql" else django_assert_max_num_queries(8)
    with counter:
        body = client.get(URL, {"lng": 116.47, "lat": 39.92, "amenity": "charging", "limit": 20}).json()
    assert len(body["features"]) == 20


@pytest.mark.parametrize("located", [True, False])
def test_unknown_amenity_is_400_even_where_known_ones_match(api, streets, located):
    StationFactory(amenities=["charging"])
    client = api(None)
    where = {"lng": 116.4665, "lat": 39.8935} if located else {}
    assert len(client.get(URL, {**where, "amenity": "charging"}).json()["features"]) == 1
    for value in ("charging,sauna", "sauna"):
        response = client.get(URL, {**where, "amenity": value})
        assert response.status_code == 400
        assert response.json()["parameter"] == "amenity"
        assert "sauna" in response.json()["detail"] and "charging" not in response.json()["detail"]


def test_known_amenity_nobody_has_is_an_empty_list(api, streets):
    StationFactory(amenities=["charging"])
    response = api(None).get(URL, {"lng": 116.4665, "lat": 39.8935, "amenity": "microwave"})
    assert response.status_code == 200
    assert response.json()["features"] == []


def test_detail_has_hours_amenities_counts_and_navigation(api, streets):
    station = StationFactory(amenities=["charging"], charging_ports=12, opening_hours="Mo-Fr 08:00-20:00")
    with time_machine.travel(datetime(2026, 11, 27, 19, 45, tzinfo=SH), tick=False):
        body = api(None).get(f"{URL}{station.pk}/").json()
    props = body["properties"]
    assert props["hours_state"] == "soon"
    assert props["charging_ports"] == 12
    assert props["amenities"][0]["code"] == "charging"
    assert set(props["navigation"]) == {"amap", "baidu", "apple"}
    assert "uri.amap.com" in props["navigation"]["amap"]


def test_detail_of_defunct_station_is_404(api, streets):
    station = StationFactory(status=Station.Status.DEFUNCT)
    assert api(None).get(f"{URL}{station.pk}/").status_code == 404


def test_open_now_widens_the_candidate_set_until_enough_are_open(api, streets):
    # 60 closed stations crowd the origin; the only open ones are 1-2 km away, beyond the first candidates.
    rows = [
        Station(
            name=f"closed{i}",
            point=Point(116.4665 + (i % 8) * 0.0002, 39.8935 + (i // 8) * 0.0002, srid=4326),
            street=streets["SJ"],
            opening_hours="Mo-Fr 08:00-09:00",
        )
        for i in range(60)
    ]
    Station.objects.bulk_create(rows)
    far = StationFactory(name="far-open", point=Point(116.4665, 39.9035, srid=4326))
    farther = StationFactory(name="farther-open", point=Point(116.4665, 39.9080, srid=4326))
    with time_machine.travel(datetime(2026, 11, 28, 12, 0, tzinfo=SH), tick=False):
        body = api(None).get(URL, {"lng": 116.4665, "lat": 39.8935, "open_now": 1, "limit": 2}).json()
    assert [f["id"] for f in body["features"]] == [far.pk, farther.pk]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the KNN statement is PostgreSQL's")
@pytest.mark.parametrize(
    ("shape", "index_condition"),
    [
        ({}, False),
        ({"radius_m": 800.0}, True),
        ({"bbox": (116.45, 39.88, 116.48, 39.90)}, True),
        ({"kinds": ["refuel"], "amenity_codes": ["charging", "hot_water"]}, False),
        ({"text": "S1"}, False),
    ],
)
def test_knn_statement_walks_the_geography_index(scattered, shape, index_condition):
    # With sequential scans and sorts priced out, the planner can only answer through an index that yields
    # the order itself: proof that the statement's ORDER BY (and box/radius) match the index of migration
    # 0003. On 120 rows it would otherwise rightly prefer a scan.
    from stations.selectors import NearbyQuery, _knn_statement

    sql, params = _knn_statement(NearbyQuery(point=Point(116.4665, 39.8935, srid=4326), **shape))
    params["k"] = 20
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    lines = plan.splitlines()
    at = next(i for i, line in enumerate(lines) if "station_point_geog_gist" in line)
    assert "Index Scan" in lines[at]
    # The scan node's own details: the lines after it, up to the next node or subplan.
    node = []
    for line in lines[at + 1 :]:
        if line.strip().startswith(("->", "SubPlan")):
            break
        node.append(line)
    details = "\n".join(node)
    assert "Order By: ((point)::geography <->" in details
    assert ("Index Cond" in details) is index_condition
    assert "Sort" not in "\n".join(lines[:at])


def test_search_by_name_or_address_nearest_first_or_by_name(api, streets):
    # The rider's search box (q): part of the name or of the address; with a point nearest first (the KNN
    # statement on PostgreSQL), without one in name order (the ORM filter of _base).
    near = StationFactory(name="二十二院街小哥加油站", point=Point(116.4667, 39.8937, srid=4326))
    far = StationFactory(name="劲松小哥加油站", point=Point(116.4665, 39.8835, srid=4326))
    by_address = StationFactory(
        name="友好商户", address="广渠路小哥加油站旁", point=Point(116.4665, 39.8900, srid=4326)
    )
    StationFactory(name="双井驿站", point=Point(116.4665, 39.8936, srid=4326))
    StationFactory(name="已撤销小哥加油站", status=Station.Status.DEFUNCT)
    client = api(None)
    body = client.get(URL, {"lng": 116.4665, "lat": 39.8935, "q": " 小哥加油站 "}).json()
    assert [f["id"] for f in body["features"]] == [near.pk, by_address.pk, far.pk]
    assert body["features"][0]["properties"]["distance_m"] > 0
    body = client.get(URL, {"q": "小哥加油站"}).json()
    assert [f["id"] for f in body["features"]] == sorted(
        [near.pk, by_address.pk, far.pk], key=lambda pk: Station.objects.get(pk=pk).name
    )
    assert all(f["properties"]["distance_m"] is None for f in body["features"])
    assert client.get(URL, {"q": "劲松", "lng": 116.4665, "lat": 39.8935, "radius": 500}).json()["features"] == []


@pytest.mark.parametrize("located", [True, False])
def test_search_wildcards_match_themselves(api, streets, located):
    StationFactory(name="100%驿站")
    StationFactory(name="A_B驿站")
    StationFactory(name="ABC驿站")
    client = api(None)
    where = {"lng": 116.4665, "lat": 39.8935} if located else {}
    assert [f["properties"]["name"] for f in client.get(URL, {**where, "q": "%"}).json()["features"]] == ["100%驿站"]
    assert [f["properties"]["name"] for f in client.get(URL, {**where, "q": "A_B"}).json()["features"]] == ["A_B驿站"]
    assert client.get(URL, {**where, "q": "\\"}).json()["features"] == []
