import pytest

from partybranch.models import Registration
from tests.partybranch.factories import ActivityFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rider_signs_up_with_two_family_members_on_a_phone_and_sees_the_qr(
    streets, rider, phone_page, login_rider, live_server
):
    activity = ActivityFactory(street=streets["AYC"], title="乐游北京家庭日", capacity=10)
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/activities/?family=1")
    page.click("text=乐游北京家庭日")
    page.wait_for_selector("#signup")
    page.fill("#id_age", "36")
    page.click("#add-person")
    page.click("#add-person")
    page.fill("#id_family-0-name", "王小明")
    page.select_option("#id_family-0-relationship", "child")
    page.fill("#id_family-0-age", "8")
    page.fill("#id_family-1-name", "刘女士")
    page.select_option("#id_family-1-relationship", "spouse")
    page.fill("#id_family-1-age", "34")
    page.click("#signup button[type=submit]")
    page.wait_for_selector("#qr svg")
    assert "已确认" in page.inner_text("#status")
    assert "王小明" in page.inner_text("#persons") and "刘女士" in page.inner_text("#persons")
    box = page.locator("#qr svg").bounding_box()
    assert box is not None and 100 < box["width"] <= 360
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    registration = Registration.objects.get(rider=rider, activity=activity)
    assert registration.people == 3 and registration.status == "confirmed"
    assert registration.qr_token in page.content()
    activity.refresh_from_db()
    assert activity.confirmed_people == 3
