"""A rider on a 360×740 phone finds the nearest station with charging near 双井, opens it and checks in
through its QR URL."""

import pytest
from django.contrib.gis.geos import Point

from stations.models import Amenity, Station, Visit


def _station(name, lng, lat, street, amenities=(), hours="24/7"):
    station = Station.objects.create(
        name=name, point=Point(lng, lat, srid=4326), street=street, opening_hours=hours, charging_ports=8
    )
    station.amenities.set(Amenity.objects.filter(code__in=amenities))
    return station


@pytest.mark.django_db(transaction=True)
def test_rider_finds_nearest_charging_station_and_checks_in(phone_page, live_server, streets, rider, login_rider):
    if not Amenity.objects.filter(code="charging").exists():
        # A transactional test flushes migrated rows; put the two amenities this test needs back.
        Amenity.objects.create(code="charging", name="充电", icon="🔌", sort_order=0)
        Amenity.objects.create(code="hot_water", name="热水", icon="♨️", sort_order=20)
    sj = streets["SJ"]
    _station("最近但不能充电", 116.4667, 39.8937, sj, amenities=["hot_water"])
    target = _station("二十二院街小哥加油站", 116.4680, 39.8940, sj, amenities=["charging", "hot_water"])
    _station("远一点的充电站", 116.4750, 39.9000, sj, amenities=["charging"])

    page = phone_page
    page.goto(f"{live_server.url}/stations/?lng=116.4665&lat=39.8935")
    first = page.locator("#station-list li").first
    first.wait_for()
    assert "最近但不能充电" in first.inner_text()

    page.click("button.amenity[data-code=charging]")
    assert page.get_attribute("button.amenity[data-code=charging]", "aria-pressed") == "true"
    page.wait_for_function(  # a function, not a string: the page's CSP forbids eval
        "() => document.querySelector('#station-list li') && "
        "document.querySelector('#station-list li').innerText.includes('二十二院街小哥加油站')"
    )
    assert page.locator("#station-list li").count() == 2
    box = page.locator("#station-list li").first.bounding_box()
    assert box is not None and box["width"] <= 360

    page.locator("#station-list li a").first.click()
    page.wait_for_url(f"{live_server.url}/stations/{target.pk}/")
    assert page.inner_text("#station-name") == "二十二院街小哥加油站"
    assert "uri.amap.com" in page.get_attribute("#nav-amap", "href")

    # Check in through the QR URL: log in by SMS first, then one tap.
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/s/{target.code}")
    page.click("#checkin-button")
    page.wait_for_selector("#checkin-result")
    assert "签到成功" in page.inner_text("#checkin-result")
    assert Visit.objects.filter(station=target, rider=rider).count() == 1


@pytest.mark.django_db(transaction=True)
def test_anonymous_rider_is_sent_to_sms_login_and_back(phone_page, live_server, streets, rider):
    station = _station("三里屯驿站", 116.4540, 39.9350, streets["SLT"])
    page = phone_page
    page.goto(f"{live_server.url}/s/{station.code}")
    page.click("#login-to-checkin")
    page.wait_for_selector("#id_phone")
    assert f"next=/s/{station.code}" in page.url
