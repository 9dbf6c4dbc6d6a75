import pytest

from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rider_logs_in_by_sms_on_a_phone(streets, phone_page, login_rider, live_server):
    page = phone_page
    login_rider(page, "13912345678")
    assert page.viewport_size == {"width": 360, "height": 740}
    page.goto(f"{live_server.url}/accounts/me/")
    assert "139****5678" in page.content()
    # nothing on the page is wider than the phone
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def test_street_staff_log_in_to_the_admin_and_see_only_their_street(
    streets, rider, rider_b, staff_a, desktop_page, live_server
):
    page = desktop_page
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", staff_a.phone)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")
    assert "友好朝阳" in page.inner_text("#site-name")
    page.goto(f"{live_server.url}/admin/accounts/riderprofile/")
    table = page.inner_text("#result_list")
    assert "王师傅" in table
    assert "李师傅" not in table
