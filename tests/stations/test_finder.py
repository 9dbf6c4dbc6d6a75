"""The rider's station finder page (issue 15): a way to a list without location permission (the work
street, a street picker, a name search), and the API's `origin` that places the "you are here" marker."""

import re

import pytest
from django.contrib.gis.geos import Point

from accounts.models import RiderProfile, Role, User

from .factories import StationFactory

URL = "/stations/"
API = "/api/v1/stations/"


def _attr(body: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]*)"', body)
    return match.group(1) if match else None


def test_page_offers_a_street_picker_of_the_43_streets_and_a_name_search(client, streets):
    body = client.get(URL).content.decode()
    picker = body[body.index('id="street-pick"') : body.index("</select>")]
    assert len(re.findall(r'<option value="[A-Z]+"', picker)) == 43
    assert '<optgroup label="街道">' in picker and '<optgroup label="地区">' in picker
    assert 'id="station-q"' in body and 'name="q"' in body
    # Nothing to measure from yet: no work street, no picked street.
    assert "data-work-lng" not in body and "data-street-lng" not in body


def test_a_rider_with_a_work_street_gets_it_as_the_fallback_with_the_reason(client, rider, streets):
    client.force_login(rider)  # works in 双井 (SJ)
    body = client.get(URL).content.decode()
    centre = streets["SJ"].centre
    assert float(_attr(body, "data-work-lng")) == pytest.approx(centre.x, abs=1e-6)
    assert float(_attr(body, "data-work-lat")) == pytest.approx(centre.y, abs=1e-6)
    assert _attr(body, "data-work-label") == "未获得定位，按您的工作街道双井街道显示，距离从街道中心算起。"


def test_a_rider_without_a_work_street_and_staff_get_no_fallback(client, streets):
    rider = User.objects.create_user("13900000009", role=Role.RIDER)
    RiderProfile.objects.create(user=rider)
    client.force_login(rider)
    assert "data-work-lng" not in client.get(URL).content.decode()


def test_a_picked_street_is_the_origin_and_says_so(client, streets):
    body = client.get(URL, {"street": "slt"}).content.decode()
    centre = streets["SLT"].centre
    assert float(_attr(body, "data-street-lng")) == pytest.approx(centre.x, abs=1e-6)
    assert "按您选的三里屯街道显示，距离从街道中心算起。" in body
    assert '<option value="SLT" selected>' in body
    assert 'id="finder-reset"' in body


def test_an_unknown_street_says_so_and_measures_from_nothing(client, streets):
    body = client.get(URL, {"street": "NOPE"}).content.decode()
    assert "没有这个街道，请从列表中选择。" in body
    assert "data-street-lng" not in body


def test_the_search_is_kept_in_the_page_for_the_script(client, streets):
    body = client.get(URL, {"q": "  二十二院街   加油站 ", "street": "SJ"}).content.decode()
    assert 'data-q="二十二院街 加油站"' in body
    assert 'value="二十二院街 加油站"' in body
    assert '<input type="hidden" name="street" value="SJ">' in body


def test_the_page_loads_the_cluster_library_from_our_own_static_files(client, streets):
    body = client.get(URL).content.decode()
    assert "stations/vendor/leaflet.markercluster/leaflet.markercluster.js" in body
    assert "unpkg" not in body and "cdn" not in body.lower()


@pytest.mark.parametrize("crs", ["wgs84", "gcj02"])
def test_the_list_names_its_origin_in_the_basemap_datum(api, streets, settings, crs):
    from chaoyang_friendly.geo import wgs84_to_gcj02

    settings.MAP_TILES_CRS = crs
    StationFactory(point=Point(116.4665, 39.8935, srid=4326))
    body = api(None).get(API, {"lng": "116.46", "lat": "39.92"}).json()
    assert body["origin"]["coordinates"] == [116.46, 39.92]
    expected = wgs84_to_gcj02(116.46, 39.92) if crs == "gcj02" else (116.46, 39.92)
    assert body["origin"]["display"] == [round(v, 6) for v in expected]
    assert "origin" not in api(None).get(API, {"q": "驿站"}).json()
