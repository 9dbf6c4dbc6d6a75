"""A rider applies for a bed in 怡舍公寓 on a phone, gets an offer when a bed frees, accepts and sees the lease."""

import datetime

import pytest
from django.utils import timezone

from accounts.sms import read_sms_files
from housing.models import Application, Lease
from housing.services import application_submit, bed_allocate, lease_end
from tests.housing.factories import ProjectFactory, default_rules, make_rider, make_room_type


@pytest.mark.django_db(transaction=True)
def test_rider_applies_gets_an_offer_accepts_and_sees_the_lease(phone_page, live_server, login_rider, rider, staff_a):
    default_rules()
    dorm = make_room_type(project=ProjectFactory(name="怡舍公寓"), name="六人间床位", beds=2, rooms=1, rent=650)
    leases = []
    for bed in dorm.rooms.get().beds.order_by("id"):  # the dorm is full
        tenant_app = application_submit(
            rider=make_rider(),
            project=dorm.project,
            room_types=[dorm],
            household_kind="single",
            gender="male",
            move_in_date=timezone.localdate(),
        )
        tenant_app.offers.update(status="cancelled")
        bed.refresh_from_db()
        bed.status = "available"
        bed.save(update_fields=["status"])
        leases.append(bed_allocate(bed=bed, application=tenant_app, actor=staff_a))

    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/housing/")
    page.get_by_role("link", name="怡舍公寓").first.click()
    assert page.locator(".room-types .vacancy").first.inner_text().startswith("0")
    page.click("#apply")
    page.get_by_label("六人间床位 · 650元/按床位").check()
    page.select_option("#id_gender", "male")
    page.fill("#id_move_in_date", (timezone.localdate() + datetime.timedelta(days=3)).isoformat())
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{live_server.url}/housing/me/")
    assert "排在第 1 位" in page.locator("#application").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling on a phone

    lease_end(lease=leases[0], actor=staff_a)  # a tenant moves out: the bed goes to the head of the queue
    assert any("怡舍公寓" in m["text"] for m in read_sms_files(rider.phone))

    page.reload()
    assert "为您保留了" in page.locator("#offer").inner_text()
    page.click("#accept")
    page.wait_for_selector("#lease")
    lease_text = page.locator("#lease").inner_text()
    assert "怡舍公寓" in lease_text and "650元" in lease_text
    assert Lease.objects.active().get(tenant=rider).bed_id == leases[0].bed_id
    assert Application.objects.get(rider=rider).status == "accepted"
