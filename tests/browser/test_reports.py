import io

import pytest
from PIL import Image

from reports.models import Report
from reports.services import categories_ensure

DH = {"longitude": 116.4690, "latitude": 40.0130}


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (3000, 2000), (30, 120, 200)).save(out, format="JPEG")
    return out.getvalue()


@pytest.mark.django_db(transaction=True)
def test_a_rider_reports_with_a_photo_on_a_phone_and_sees_it_in_my_reports(
    phone_page, live_server, login_rider, streets, settings
):
    categories_ensure()
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(DH)
    login_rider(page, "13900000001")
    page.goto(f"{live_server.url}/reports/")
    page.click("button.cat[data-code=manhole]")
    assert page.get_attribute("button.cat[data-code=manhole]", "aria-pressed") == "true"
    page.set_input_files("#photo", files=[{"name": "p.jpg", "mimeType": "image/jpeg", "buffer": _photo()}])
    page.wait_for_selector("#previews img")
    page.wait_for_function("() => document.getElementById('loc-status').textContent.includes('已定位')")
    page.fill("#description", "井盖缺失，很危险")
    page.click("#submit")
    page.wait_for_url(f"{live_server.url}/reports/*/")
    assert page.locator("#timeline li[data-kind=submitted]").count() == 1

    report = Report.objects.get()
    assert report.description == "井盖缺失，很危险" and report.street.code == "DH"
    photo = report.photos.get()
    assert max(photo.width, photo.height) == 1280  # shrunk in the browser (the server caps at 2048)

    page.goto(f"{live_server.url}/reports/mine/")
    assert page.locator("#my-reports li").count() == 1
    assert "井盖缺失" in page.inner_text("#my-reports")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 360  # no horizontal scrolling on a 360 px phone


@pytest.mark.django_db(transaction=True)
def test_me_too_adds_the_rider_as_a_supporter_instead_of_a_duplicate(phone_page, live_server, login_rider, streets):
    from django.contrib.gis.geos import Point

    from accounts.models import Role, User

    categories = {c.code: c for c in categories_ensure()}
    other = User.objects.create_user("13900000009", role=Role.RIDER)
    existing = Report.objects.create(
        reporter=other,
        category=categories["waterlogging"],
        point=Point(DH["longitude"] + 0.0005, DH["latitude"], srid=4326),
        street=streets["DH"],
        description="桥下积水",
    )
    page = phone_page
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(DH)
    login_rider(page, "13900000001")
    page.goto(f"{live_server.url}/reports/")
    page.click("button.cat[data-code=waterlogging]")
    page.wait_for_function("() => document.getElementById('loc-status').textContent.includes('已定位')")
    page.click("#submit")
    page.wait_for_selector("#nearby:not([hidden])")
    assert "桥下积水" in page.inner_text("#nearby-list")
    page.click("#nearby-list button")
    page.wait_for_selector("#nearby .msg.success")
    assert Report.objects.count() == 1
    assert existing.supporters.filter(phone="13900000001").exists()
