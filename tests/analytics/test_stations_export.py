import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from stations.models import Amenity, Visit
from tests.stations.factories import StationFactory

SH = ZoneInfo("Asia/Shanghai")


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


@pytest.fixture
def visits(streets, rider, rider_b):
    Amenity.objects.get_or_create(code="charging", defaults={"name": "充电"})
    Amenity.objects.get_or_create(code="hot_water", defaults={"name": "热水"})
    sj = StationFactory(name="二十二院街小哥加油站", amenities=["charging", "hot_water"], charging_ports=6)
    slt = StationFactory(name="太古里驿站", point=Point(116.4540, 39.9350, srid=4326))
    stamps = [
        (sj, rider, dt.datetime(2026, 10, 1, 23, 50, tzinfo=SH)),
        (sj, rider_b, dt.datetime(2026, 10, 2, 0, 10, tzinfo=SH)),  # the next Shanghai day, same UTC day
        (sj, rider, dt.datetime(2026, 10, 2, 12, 0, tzinfo=SH)),
        (slt, rider, dt.datetime(2026, 10, 2, 12, 0, tzinfo=SH)),
    ]
    for station, who, at in stamps:
        visit = Visit.objects.create(station=station, rider=who)
        Visit.objects.filter(pk=visit.pk).update(created_at=at)
    return sj, slt


def test_visits_per_station_per_day_use_shanghai_days(visits, analyst, admin_client_for):
    rows = _csv(admin_client_for(analyst).get("/analytics/exports/station-visits-daily.csv"))
    table = {(r[0], r[2]): (r[4], r[5]) for r in rows[1:]}
    assert table == {
        ("2026-10-01", "二十二院街小哥加油站"): ("1", "1"),
        ("2026-10-02", "二十二院街小哥加油站"): ("2", "2"),
        ("2026-10-02", "太古里驿站"): ("1", "1"),
    }


def test_visit_rows_are_scoped_masked_and_date_filtered(visits, staff_a, admin_client_for):
    rows = _csv(
        admin_client_for(staff_a).get(
            "/analytics/exports/station-visits.csv", {"date_from": "2026-10-02", "date_to": "2026-10-02"}
        )
    )
    assert [r[3] for r in rows[1:]] == ["二十二院街小哥加油站", "二十二院街小哥加油站"]
    assert all("****" in r[5] for r in rows[1:])


def test_stations_export_lists_amenities_and_ports(visits, analyst, admin_client_for):
    rows = _csv(admin_client_for(analyst).get("/analytics/exports/stations.csv"))
    record = {r[1]: dict(zip(rows[0], r, strict=True)) for r in rows[1:]}
    station = record["二十二院街小哥加油站"]
    assert set(station["服务设施"].split("、")) == {"充电", "热水"}
    assert station["充电接口"] == "6" and station["街道"] == "双井街道"
    assert station["经度"] == "116.4665"


def test_visits_per_day_chart(visits, staff_a, admin_client_for):
    data = (
        admin_client_for(staff_a)
        .get("/analytics/charts/visits-per-day.json", {"date_from": "2026-10-01", "date_to": "2026-10-02"})
        .json()
    )
    assert data["labels"] == ["2026-10-01", "2026-10-02"]
    assert data["datasets"][0]["data"] == [1, 2]
    assert data["target"] is None  # the district target is not a street's


def test_coverage_charts_give_a_share_per_street_and_gaps(visits, analyst, staff_a, admin_client_for):
    data = admin_client_for(analyst).get("/analytics/charts/coverage.json").json()
    shares = dict(zip(data["labels"], data["datasets"][0]["data"], strict=True))
    assert len(shares) == 43
    assert shares["双井街道"] > 0
    assert all(0 <= v <= 100 for v in shares.values())
    gaps = admin_client_for(staff_a).get("/analytics/charts/coverage-gaps.json").json()
    assert gaps["labels"] == ["双井街道"]
    assert gaps["geojson"]["type"] == "FeatureCollection"
