from datetime import timedelta

import pytest
import tablib
from django.utils import timezone

from stations.models import Station, StationEvent
from stations.resources import stations_import

from .factories import StationFactory

CHANGELIST = "/admin/stations/station/"


@pytest.fixture
def two_streets(streets, sj_point, slt_point):
    return StationFactory(name="双井站", point=sj_point), StationFactory(name="三里屯站", point=slt_point)


def test_street_staff_see_only_their_street(admin_client_for, staff_a, two_streets):
    sj, slt = two_streets
    client = admin_client_for(staff_a)
    body = client.get(CHANGELIST).content.decode()
    assert "双井站" in body and "三里屯站" not in body
    change = client.get(f"{CHANGELIST}{sj.pk}/change/")
    assert change.status_code == 200
    assert "leaflet" in change.content.decode().lower()  # the map widget for the point
    # Another street's station does not exist for them (redirect to the admin index, not the form).
    other = client.get(f"{CHANGELIST}{slt.pk}/change/")
    assert other.status_code == 302
    assert "三里屯站" not in client.get(other["Location"], follow=True).content.decode()


def test_other_street_staff_see_the_other_side(admin_client_for, staff_b, two_streets):
    body = admin_client_for(staff_b).get(CHANGELIST).content.decode()
    assert "三里屯站" in body and "双井站" not in body


def test_district_analyst_sees_all_read_only(admin_client_for, analyst, two_streets):
    sj, slt = two_streets
    client = admin_client_for(analyst)
    body = client.get(CHANGELIST).content.decode()
    assert "双井站" in body and "三里屯站" in body
    page = client.get(f"{CHANGELIST}{slt.pk}/change/").content.decode()
    assert 'name="_save"' not in page  # view-only
    assert client.post(f"{CHANGELIST}{slt.pk}/change/", {"name": "改名"}).status_code == 403


def test_api_detail_is_public_but_staff_fetch_is_scoped(staff_a, two_streets):
    from django.http import Http404

    from stations.selectors import station_get_for_staff

    sj, slt = two_streets
    assert station_get_for_staff(user=staff_a, pk=sj.pk) == sj
    with pytest.raises(Http404):
        station_get_for_staff(user=staff_a, pk=slt.pk)


def test_changelist_query_count(admin_client_for, staff_a, streets, django_assert_num_queries):
    StationFactory.create_batch(30)
    client = admin_client_for(staff_a)
    client.get(CHANGELIST)  # warm the permission cache of the content types
    # 1 session, 2 user, 3-4 user and group permissions, 5 amenity filter choices, 6 count of the street's
    # stations, 7 the page of stations with their street (boundary deferred). No query per row.
    with django_assert_num_queries(7):
        response = client.get(CHANGELIST)
    assert response.content.decode().count('name="_selected_action"') == 30


def test_staff_create_station_stamps_street_and_rejects_other_streets(admin_client_for, staff_a, streets):
    client = admin_client_for(staff_a)
    data = {
        "name": "新驿站",
        "kind": "station",
        "status": "active",
        "point": '{"type": "Point", "coordinates": [116.4665, 39.8935]}',
        "opening_hours": "24/7",
        "charging_ports": 4,
        "swap_ports": 0,
        "parking_spots": 2,
        "feedback-TOTAL_FORMS": 0,
        "feedback-INITIAL_FORMS": 0,
        "events-TOTAL_FORMS": 0,
        "events-INITIAL_FORMS": 0,
    }
    response = client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    station = Station.objects.get(name="新驿站")
    assert station.street.code == "SJ"
    assert StationEvent.objects.filter(station=station, kind="created", actor=staff_a).exists()
    data["name"] = "三里屯的"
    data["point"] = '{"type": "Point", "coordinates": [116.4540, 39.9350]}'
    response = client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 200
    assert "三里屯" in response.content.decode()
    assert not Station.objects.filter(name="三里屯的").exists()


def test_bad_opening_hours_are_refused_in_the_form(admin_client_for, staff_a, streets):
    client = admin_client_for(staff_a)
    response = client.post(
        f"{CHANGELIST}add/",
        {
            "name": "x",
            "kind": "station",
            "status": "active",
            "point": '{"type": "Point", "coordinates": [116.4665, 39.8935]}',
            "opening_hours": "always-ish",
            "charging_ports": 0,
            "swap_ports": 0,
            "parking_spots": 0,
            "feedback-TOTAL_FORMS": 0,
            "feedback-INITIAL_FORMS": 0,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200 and "opening_hours" in response.content.decode()
    assert not Station.objects.exists()


def test_mark_verified_action(admin_client_for, staff_a, two_streets):
    sj, slt = two_streets
    client = admin_client_for(staff_a)
    response = client.post(CHANGELIST, {"action": "mark_verified", "_selected_action": [sj.pk, slt.pk]})
    assert response.status_code == 302
    sj.refresh_from_db()
    slt.refresh_from_db()
    assert sj.last_verified_by == staff_a
    assert slt.last_verified_at is None


def test_unverified_filter(admin_client_for, analyst, two_streets):
    sj, slt = two_streets
    Station.objects.filter(pk=sj.pk).update(last_verified_at=timezone.now() - timedelta(days=5))
    Station.objects.filter(pk=slt.pk).update(last_verified_at=timezone.now() - timedelta(days=120))
    body = admin_client_for(analyst).get(CHANGELIST, {"unverified": "yes"}).content.decode()
    assert "三里屯站" in body and "双井站" not in body


def _dataset(rows):
    headers = ["name", "kind", "lng", "lat", "opening_hours", "amenities", "charging_ports", "phone"]
    return tablib.Dataset(*rows, headers=headers)


def test_import_creates_stations_with_streets_and_events(staff_a, streets):
    result = stations_import(
        dataset=_dataset(
            [
                ["甲站", "小哥加油站", "116.4665", "39.8935", "24/7", "charging,hot_water", "10", "010-65001234"],
                ["乙站", "station", "116.4670", "39.8940", "Mo-Fr 08:00-20:00", "", "0", ""],
            ]
        ),
        actor=staff_a,
    )
    assert not result.has_errors() and not result.has_validation_errors()
    a = Station.objects.get(name="甲站")
    assert a.kind == "refuel" and a.street.code == "SJ" and a.phone == "01065001234"
    assert sorted(a.amenities.values_list("code", flat=True)) == ["charging", "hot_water"]
    assert StationEvent.objects.filter(kind="imported", actor=staff_a).count() == 2


def test_import_with_bad_rows_reports_each_row_and_writes_nothing(staff_a, streets):
    result = stations_import(
        dataset=_dataset(
            [
                ["好的", "station", "116.4665", "39.8935", "24/7", "charging", "1", ""],
                ["坏时间", "station", "116.4665", "39.8935", "whenever", "", "1", ""],
                ["坏坐标", "station", "abc", "39.8935", "24/7", "", "1", ""],
                ["别的街道", "station", "116.4540", "39.9350", "24/7", "", "1", ""],
                ["坏设施", "station", "116.4665", "39.8935", "24/7", "sauna", "1", ""],
                ["坏类型", "castle", "116.4665", "39.8935", "24/7", "", "1", ""],
            ]
        ),
        actor=staff_a,
    )
    assert result.has_validation_errors()
    invalid = {row.number: row.field_specific_errors for row in result.invalid_rows}
    assert set(invalid) == {2, 3, 4, 5, 6}
    assert "opening_hours" in invalid[2]
    assert "point" in invalid[3]
    assert "三里屯" in " ".join(invalid[4]["point"])
    assert "amenities" in invalid[5]
    assert "kind" in invalid[6]
    assert not Station.objects.exists()
    assert not StationEvent.objects.exists()


def test_import_page_shows_row_errors(admin_client_for, staff_a, streets):
    from django.core.files.uploadedfile import SimpleUploadedFile

    csv = "name,kind,lng,lat,opening_hours\n好的,station,116.4665,39.8935,24/7\n坏的,station,abc,39.9,24/7\n"
    client = admin_client_for(staff_a)
    response = client.post(
        f"{CHANGELIST}import/",
        {
            "resource": 0,
            "format": 0,
            "import_file": SimpleUploadedFile("s.csv", csv.encode("utf-8"), content_type="text/csv"),
        },
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "坏的" in body
    assert not Station.objects.exists()


def test_qr_sheet_for_own_street(admin_client_for, staff_a, two_streets):
    sj, slt = two_streets
    body = admin_client_for(staff_a).get(f"{CHANGELIST}qr-sheet/").content.decode()
    assert f"/stations/{sj.pk}/qr.svg" in body
    assert f"/stations/{slt.pk}/qr.svg" not in body


def test_feedback_visible_to_own_street_staff_only(admin_client_for, staff_a, staff_b, rider, two_streets):
    from stations.services import feedback_submit

    sj, _slt = two_streets
    feedback_submit(station=sj, rider=rider, kind="broken", comment="插座坏了")
    assert "插座坏了" in admin_client_for(staff_a).get("/admin/stations/feedback/").content.decode()
    assert "插座坏了" not in admin_client_for(staff_b).get("/admin/stations/feedback/").content.decode()
