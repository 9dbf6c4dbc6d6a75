"""Housing journeys, driven through the pages only, with a screenshot at each step (issue 15).

- A rider searches, applies and queues; a street clerk (1366×768) puts a bed back into service and
  offers it from the allocation page, which shows the applicant's needs and the bed's room; the rider sees
  the offer with its deadline, accepts and sees the lease.
- The mismatched room type (单身 + 夫妻房) and 单身 with family members: told next to the field, in view.
- An ineligible application is not the end: the rider fixes their profile and applies again.
"""

import datetime

import pytest
from django.utils import timezone
from playwright.sync_api import Page

from housing.models import Application, Bed, Lease, Offer
from tests.browser.conftest import in_viewport
from tests.conftest import STAFF_PASSWORD
from tests.housing.factories import ProjectFactory, default_rules, make_couple_type, make_rider, make_room_type

pytestmark = pytest.mark.django_db(transaction=True)


def _in_view(page: Page, selector: str) -> None:
    assert in_viewport(page, selector), f"{selector} is not where the person looks"


def _move_in(days: int = 3) -> str:
    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _clerk_login(page: Page, live_server, phone: str) -> None:
    """A street clerk signs in on the admin's own login page (street staff need no second factor)."""
    page.goto(f"{live_server.url}/admin/login/?next=/admin/")
    page.fill("#id_username", phone)
    page.fill("#id_password", STAFF_PASSWORD)
    page.click("input[type=submit]")
    page.wait_for_selector("#site-name")


def test_rider_applies_clerk_offers_a_bed_rider_accepts_and_sees_the_lease(
    streets, rider, staff_a, phone_page, clerk_page, login_rider, live_server, shot
):
    default_rules()
    dorm = make_room_type(project=ProjectFactory(name="怡舍公寓"), name="六人间床位", beds=2, rooms=1, rent=650)
    make_couple_type(project=dorm.project, name="夫妻房")
    first, second = dorm.rooms.get().beds.order_by("label")
    Bed.objects.filter(pk=first.pk).update(status="occupied")
    Bed.objects.filter(pk=second.pk).update(status="out_of_service")  # being repaired: the dorm is full

    # The rider looks for a dorm bed.
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/housing/")
    page.select_option("#id_room_type", "dorm_bed")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_url("**/housing/?*room_type=dorm_bed*")
    shot(page, "search")
    page.get_by_role("link", name="怡舍公寓").first.click()
    page.wait_for_selector(".room-types")
    assert page.locator(".room-types .vacancy").first.inner_text().startswith("0")
    # The 申请入住 bar stays on top when the map scrolls under it.
    page.evaluate(
        "() => { const m = document.getElementById('housing-map');"
        " window.scrollTo(0, m.getBoundingClientRect().top + scrollY - innerHeight + 120); }"
    )
    _in_view(page, "#apply")
    shot(page, "project_map_under_the_bar")
    page.click("#apply")

    # The form: a dorm bed, as a single man, in three days.
    page.wait_for_selector("#apply-form")
    shot(page, "apply_form")
    page.get_by_label("六人间床位 · 650元/按床位").check()
    page.select_option("#id_gender", "male")
    page.fill("#id_move_in_date", _move_in())
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{live_server.url}/housing/me/")
    assert "申请已提交" in page.inner_text(".messages")
    assert "六人间床位：排在第 1 位" in page.inner_text("#application")
    _in_view(page, ".positions")
    shot(page, "queued")

    # The clerk, at the office: the repaired bed is back, then the queue and the allocation page.
    clerk = clerk_page
    _clerk_login(clerk, live_server, staff_a.phone)
    clerk.goto(f"{live_server.url}/admin/housing/room/{first.room_id}/change/")
    clerk.select_option("select[name='beds-1-status']", "available")
    shot(clerk, "bed_back_in_service")
    clerk.click("input[name=_save]")
    clerk.wait_for_selector(".messagelist .success")
    clerk.goto(f"{live_server.url}/admin/housing/application/")
    rows = clerk.locator("#result_list tbody tr")
    assert rows.count() == 1 and "王师傅" in rows.first.inner_text()
    assert "待分配（排队中）" in clerk.inner_text("#changelist-filter")
    _in_view(clerk, "#result_list a.button")  # 分配床位 is on screen, not beyond a sideways scroll
    shot(clerk, "queue")
    rows.first.get_by_role("link", name="分配床位").click()
    clerk.wait_for_selector("#applicant")
    needs = clerk.inner_text("#applicant")
    for shown in ("王师傅", "单身", "六人间床位", "双井", "距项目", "今天"):
        assert shown in needs, shown
    unit = clerk.locator("#suitable-units tbody tr")
    assert unit.count() == 1
    unit_text = unit.first.inner_text()
    assert "怡舍公寓" in unit_text and "650元/按床位" in unit_text and "已住 1 人 · 空 1 床（共 2 床）" in unit_text
    assert "夫妻房" not in unit_text
    shot(clerk, "allocate")
    clerk.click("details.unsuitable summary")  # the rest of the project's free units, with the reason
    assert "夫妻房" in clerk.inner_text("details.unsuitable")
    assert "不在申请的意向房型中（该房型面向夫妻）。" in clerk.inner_text("details.unsuitable")
    shot(clerk, "allocate_other_units")
    unit.first.locator("input[type=radio]").check()
    clerk.get_by_role("button", name="发出入住邀约").click()
    clerk.wait_for_selector(".messagelist .success")
    assert "已向 王师傅" in clerk.inner_text(".messagelist")
    assert clerk.locator("#result_list tbody tr").count() == 0  # the queue is empty now
    shot(clerk, "offered")

    # The rider sees the offer and its deadline, accepts, and sees the lease.
    offer = Offer.objects.get(application__rider=rider, status="open")
    deadline = timezone.localtime(offer.deadline)
    page.goto(f"{live_server.url}/housing/me/")
    offer_text = page.inner_text("#offer")
    assert "为您保留了" in offer_text and "650 元" in offer_text
    assert f"请在 {deadline.month}月{deadline.day}日 {deadline:%H:%M} 前答复，逾期视为放弃。" in offer_text
    _in_view(page, "#offer .deadline")
    assert page.locator("#accept").is_enabled()
    shot(page, "offer")
    page.click("#accept")
    page.wait_for_selector("#lease")
    assert "已确认入住，租约已生成。" in page.inner_text(".messages")
    lease_text = page.inner_text("#lease")
    assert "怡舍公寓" in lease_text and "月租：650元" in lease_text
    _in_view(page, "#lease")
    shot(page, "lease")
    assert Lease.objects.active().get(tenant=rider).bed_id == second.pk


def test_a_single_rider_choosing_a_couple_room_is_told_next_to_the_field(
    streets, rider, phone_page, login_rider, live_server, shot
):
    default_rules()
    dorm = make_room_type(project=ProjectFactory(name="怡舍公寓"), name="六人间床位", beds=2, rooms=1, rent=650)
    make_couple_type(project=dorm.project, name="夫妻房", rent=1200)
    page = phone_page
    login_rider(page, rider.phone)
    page.goto(f"{live_server.url}/housing/projects/{dorm.project.pk}/apply/")

    # 单身 + 夫妻房: refused on the form, the reason beside the room types, in view.
    page.get_by_label("夫妻房 · 1200元/按整间 · 夫妻可申请").check()
    page.fill("#id_move_in_date", _move_in())
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector("#room-types-error")
    error = page.inner_text("#room-types-error")
    assert error == "“夫妻房”只面向夫妻申请，您选的申请类型是“单身”。请换一个房型，或更改申请类型。"
    _in_view(page, "#room-types-error")
    assert page.evaluate("document.activeElement.closest('#room-types') !== null")
    shot(page, "couple_room_as_single")

    # 单身 with a spouse in the members: told beside the member rows, scrolled to.
    page.get_by_label("夫妻房 · 1200元/按整间 · 夫妻可申请").uncheck()
    page.get_by_label("六人间床位 · 650元/按床位 · 单身可申请").check()
    page.fill("#id_member_name_0", "李女士")
    page.fill("#id_member_relation_0", "配偶")
    page.fill("#id_move_in_date", _move_in())
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_selector(".member .error")
    assert "单身申请不用填写同住人" in page.inner_text(".member .error")
    _in_view(page, ".member .error")
    assert page.evaluate("document.activeElement.id") == "id_member_name_0"
    shot(page, "single_with_members")
    assert not Application.objects.filter(rider=rider).exists()

    # As a couple, the couple room: accepted, and the free room is offered at once.
    page.select_option("#id_household_kind", "couple")
    page.get_by_label("六人间床位 · 650元/按床位 · 单身可申请").uncheck()
    page.get_by_label("夫妻房 · 1200元/按整间 · 夫妻可申请").check()
    page.fill("#id_move_in_date", _move_in())
    page.get_by_role("button", name="提交申请").click()
    page.wait_for_url(f"{live_server.url}/housing/me/")
    assert "为您保留了" in page.inner_text("#offer") and "1200 元" in page.inner_text("#offer")
    shot(page, "couple_offer")
    assert Application.objects.get(rider=rider).household_kind == "couple"


def test_an_ineligible_rider_fixes_the_profile_and_applies_again(streets, phone_page, login_rider, live_server, shot):
    default_rules()
    dorm = make_room_type(project=ProjectFactory(name="怡舍公寓"), name="六人间床位", beds=2, rooms=1, rent=650)
    rider = make_rider(occupation="other", name="赵师傅")
    page = phone_page
    login_rider(page, rider.phone)

    def apply() -> None:
        page.get_by_label("六人间床位 · 650元/按床位").check()
        page.fill("#id_move_in_date", _move_in())
        page.get_by_role("button", name="提交申请").click()
        page.wait_for_url(f"{live_server.url}/housing/me/")

    page.goto(f"{live_server.url}/housing/projects/{dorm.project.pk}/apply/")
    apply()
    assert "很抱歉，申请未通过" in page.inner_text(".messages")
    application = page.inner_text("#application")
    assert "不符合条件" in application and "未通过原因：需在朝阳区从事快递、外卖或网约车工作。" in application
    assert "这份申请已经结束，您可以重新申请。" in application
    page.locator("#reapply").scroll_into_view_if_needed()
    _in_view(page, "#reapply")
    shot(page, "ineligible")

    # The rider puts their job in 我的, then applies again from the housing page.
    page.click("#edit-profile")
    page.wait_for_url(f"{live_server.url}/accounts/me/")
    page.select_option("#id_occupation", "food_delivery")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/housing/me/")
    page.click("#reapply")
    page.wait_for_selector("#apply-form")
    assert page.locator("#id_household_kind").input_value() == "single"
    shot(page, "reapply_form")
    apply()
    assert "申请已提交" in page.inner_text(".messages")
    assert "为您保留了" in page.inner_text("#offer")
    assert "已发出邀约" in page.inner_text("#application")
    assert page.locator("#reapply").count() == 0
    shot(page, "reapplied")
    assert list(Application.objects.filter(rider=rider).order_by("created_at").values_list("status", flat=True)) == [
        "rejected",
        "offered",
    ]
