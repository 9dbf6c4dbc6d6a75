from datetime import timedelta

import time_machine
from django.utils import timezone

from stations.models import Feedback, Station, Visit

from .factories import StationFactory


def test_nearby_page_renders_toggles_and_map(client, streets):
    body = client.get("/stations/").content.decode()
    assert 'data-code="charging"' in body
    assert 'id="open-now"' in body
    assert "stations-map" in body
    assert "unpkg" not in body and "cdn" not in body.lower()


def test_detail_page_has_navigation_links_with_converted_coordinates(client, streets):
    station = StationFactory(name="二十二院街小哥加油站", amenities=["charging"])
    body = client.get(f"/stations/{station.pk}/").content.decode()
    assert "二十二院街小哥加油站" in body
    # Amap wants GCJ-02: the WGS-84 point 116.4665,39.8935 is shifted by a few hundred metres.
    assert "uri.amap.com/navigation?to=116.47" in body
    assert "to=116.466500,39.893500" not in body
    assert "api.map.baidu.com" in body and "maps.apple.com" in body


def test_detail_of_defunct_station_is_404(client, streets):
    assert client.get(f"/stations/{StationFactory(status=Station.Status.DEFUNCT).pk}/").status_code == 404


def test_qr_svg_and_png_encode_the_checkin_url(client, streets):
    station = StationFactory()
    svg = client.get(f"/stations/{station.pk}/qr.svg")
    assert svg["Content-Type"] == "image/svg+xml" and b"<svg" in svg.content
    png = client.get(f"/stations/{station.pk}/qr.png")
    assert png["Content-Type"] == "image/png" and png.content[:4] == b"\x89PNG"


def test_anonymous_checkin_page_offers_sms_login(client, streets):
    station = StationFactory()
    body = client.get(f"/s/{station.code}").content.decode()
    assert 'id="login-to-checkin"' in body  # a POST: the check-in is kept for after the login
    response = client.post(f"/s/{station.code}")
    assert response.status_code == 302 and response["Location"] == f"/accounts/login/?next=/s/{station.code}"
    assert not Visit.objects.exists()


def test_rider_checks_in_with_one_tap_and_repeat_returns_same_visit(client, rider, streets):
    station = StationFactory()
    client.force_login(rider)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        assert "签到成功" in client.post(f"/s/{station.code}").content.decode()
    with time_machine.travel(now + timedelta(minutes=10), tick=False):
        assert "您已签到" in client.post(f"/s/{station.code}").content.decode()
    assert Visit.objects.filter(station=station, rider=rider).count() == 1


def test_unknown_code_is_404(client, streets):
    assert client.get("/s/NOPE999").status_code == 404


def test_rider_leaves_feedback(client, rider, streets):
    station = StationFactory()
    client.force_login(rider)
    response = client.post(f"/stations/{station.pk}/feedback/", {"kind": "wrong_hours", "comment": "晚上关门了"})
    assert response.status_code == 302
    assert Feedback.objects.get().kind == "wrong_hours"


def test_checkin_api_for_riders_only(api, rider, staff_a, streets):
    station = StationFactory()
    url = f"/api/v1/stations/checkin/{station.code}/"
    assert api(None).post(url).status_code in (401, 403)
    assert api(staff_a).post(url).status_code == 403
    client = api(rider)
    first = client.post(url)
    assert first.status_code == 201
    again = client.post(url)
    assert again.status_code == 200 and again.json()["visit_id"] == first.json()["visit_id"]


def test_feedback_api_validates_kind(api, rider, streets):
    station = StationFactory()
    response = api(rider).post(f"/api/v1/stations/{station.pk}/feedback/", {"kind": "meh"}, format="json")
    assert response.status_code == 400 and response.json()["parameter"] == "kind"
    ok = api(rider).post(f"/api/v1/stations/{station.pk}/feedback/", {"kind": "broken"}, format="json")
    assert ok.status_code == 201


def test_api_schema_documents_the_stations_endpoints(client, analyst):
    client.force_login(analyst)
    body = client.get("/api/schema/").content.decode()
    for path in ("/api/v1/stations/:", "/api/v1/stations/{id}/:", "/api/v1/stations/coverage/:"):
        assert path in body
    assert "stations_nearby" in body
