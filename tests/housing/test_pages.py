import datetime

import pytest
from django.utils import timezone

from housing.models import Application, Bed, Lease, Offer

from .factories import ProjectFactory, make_couple_type, make_room_type, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def yishe(streets):
    project = ProjectFactory(name="怡舍公寓", amenities=["canteen"])
    return make_room_type(project=project, name="六人间", beds=2, rooms=1, rent=650)


def _login(client, user):
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    return client


def _form(room_type, **extra):
    return {
        "room_types": [room_type.pk],
        "household_kind": "single",
        "gender": "male",
        "move_in_date": tomorrow().isoformat(),
        **extra,
    }


def test_list_shows_rent_vacancies_amenities_and_distance(client, rider, yishe, django_assert_num_queries):
    _login(client, rider)
    client.get("/housing/")  # GeoDjango caches the SRID's units once per process (spatial_ref_sys)
    # session, user, application with work point, rider profile + street, projects, room types
    with django_assert_num_queries(6):
        response = client.get("/housing/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "怡舍公寓" in html and "650 元/月" in html and "六人间 2" in html and "食堂" in html
    assert "距工作地" in html  # rider works in 双井; distance from the street centre
    assert 'id="housing-markers"' in html


def test_list_filter_errors_are_shown_not_500(client, yishe):
    response = client.get("/housing/?rent_max=-5")
    assert response.status_code == 200
    assert "怡舍公寓" in response.content.decode()


def test_detail_shows_vacancies_by_room_type(client, yishe):
    response = client.get(f"/housing/projects/{yishe.project.pk}/")
    html = response.content.decode()
    assert "六人间" in html and "2床" in html and "uri.amap.com" in html
    assert client.get("/housing/projects/999999/").status_code == 404


def test_apply_requires_login(client, yishe):
    response = client.get(f"/housing/projects/{yishe.project.pk}/apply/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_apply_with_members_and_see_the_offer(client, rider, rules, yishe):
    _login(client, rider)
    response = client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe), follow=True)
    assert response.redirect_chain[-1][0] == "/housing/me/"
    html = response.content.decode()
    assert "入住邀约" in html and "650 元" in html
    app = Application.objects.get(rider=rider)
    assert app.status == "offered"


def test_apply_rejects_past_dates_and_half_filled_members(client, rider, rules, yishe):
    _login(client, rider)
    past = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe, move_in_date=past))
    assert "不能早于今天" in response.content.decode()
    response = client.post(
        f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe, member_name_0="张三", member_relation_0="")
    )
    assert "请同时填写" in response.content.decode()
    assert not Application.objects.exists()


def test_my_page_shows_position_and_accepting_makes_the_lease(client, rider, rider_b, rules, yishe):
    Bed.objects.filter(room__room_type=yishe).update(status="occupied")
    _login(client, rider_b)
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    _login(client, rider)
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    html = client.get("/housing/me/").content.decode()
    assert "排在第 2 位" in html
    bed = Bed.objects.filter(room__room_type=yishe).first()
    bed.status = "available"
    bed.save()
    from housing.services import room_type_fill_vacancies

    offer = room_type_fill_vacancies(room_type=yishe)[0]
    assert offer.application.rider == rider_b
    # rider cannot answer rider_b's offer
    assert client.post(f"/housing/offers/{offer.pk}/accept/").status_code == 404
    _login(client, rider_b)
    response = client.post(f"/housing/offers/{offer.pk}/accept/", follow=True)
    html = response.content.decode()
    assert "我的租约" in html and "650元" in html
    assert Lease.objects.active().get().tenant == rider_b
    assert Offer.objects.get(pk=offer.pk).status == "accepted"


def test_withdraw_from_the_page(client, rider, rules, yishe):
    _login(client, rider)
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    app = Application.objects.get(rider=rider)
    response = client.post(f"/housing/applications/{app.pk}/withdraw/", follow=True)
    assert "申请已撤回" in response.content.decode()
    assert Application.objects.get(pk=app.pk).status == "withdrawn"
    assert Bed.objects.filter(room__room_type=yishe, status="available").count() == 2


def test_a_single_applicant_choosing_a_couple_room_is_told_on_the_form(client, rider, rules, yishe):
    """Issue 15: the form accepted 单身 + 夫妻房, and the application was then rejected for good."""
    couple = make_couple_type(project=yishe.project, name="夫妻房")
    _login(client, rider)
    response = client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(couple))
    assert response.status_code == 200
    html = response.content.decode()
    # next to the room types, naming the room type and the household chosen
    error = html.split('id="room-types-error"')[1].split("</p>")[0]
    assert "“夫妻房”只面向夫妻申请，您选的申请类型是“单身”。请换一个房型，或更改申请类型。" in error
    assert "has-error" in html.split('id="room-types"')[0].rsplit("<fieldset", 1)[1]
    assert not Application.objects.exists()
    members = client.post(
        f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe, member_name_0="张三", member_relation_0="配偶")
    )
    assert "单身申请不用填写同住人" in members.content.decode()
    assert not Application.objects.exists()
    fixed = client.post(
        f"/housing/projects/{yishe.project.pk}/apply/",
        _form(couple, household_kind="couple", member_name_0="张三", member_relation_0="配偶"),
    )
    assert fixed.status_code == 302
    assert Application.objects.get(rider=rider).household_kind == "couple"


def test_room_type_choices_say_who_may_apply(client, rider, yishe):
    make_couple_type(project=yishe.project, name="夫妻房", rent=1200)
    _login(client, rider)
    html = client.get(f"/housing/projects/{yishe.project.pk}/apply/").content.decode()
    assert "六人间 · 650元/按床位 · 单身可申请" in html and "夫妻房 · 1200元/按整间 · 夫妻可申请" in html


@pytest.mark.parametrize("ending", ["rejected", "declined", "withdrawn"])
def test_after_an_ended_application_the_rider_can_apply_again(client, rider, rules, yishe, staff_a, ending):
    """Issue 15: an ineligible (or declined, withdrawn) application left the rider with no way back."""
    from housing.services import application_withdraw, offer_decline
    from housing.services.applications import application_reject

    _login(client, rider)
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    app = Application.objects.get(rider=rider)
    if ending == "rejected":
        application_reject(application=app, actor=staff_a, reason="需在朝阳区从事快递、外卖或网约车工作。")
    elif ending == "declined":
        offer_decline(offer=app.offers.get(), actor=rider)
    else:
        application_withdraw(application=app, actor=rider)
    html = client.get("/housing/me/").content.decode()
    assert 'id="reapply"' in html and f"/housing/projects/{yishe.project.pk}/apply/" in html
    assert "这份申请已经结束，您可以重新申请。" in html
    form = client.get(f"/housing/projects/{yishe.project.pk}/apply/")
    assert form.status_code == 200
    assert form.context["form"].initial == {"household_kind": "single", "gender": "male"}
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    assert Application.objects.filter(rider=rider).count() == 2
    latest = Application.objects.filter(rider=rider).latest("created_at")
    assert latest.is_open
    assert 'id="reapply"' not in client.get("/housing/me/").content.decode()


def test_no_reapply_while_living_in_one_of_ours(client, rider, rules, yishe):
    _login(client, rider)
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    client.post(f"/housing/offers/{Offer.objects.get().pk}/accept/")
    html = client.get("/housing/me/").content.decode()
    assert "我的租约" in html and 'id="reapply"' not in html


def test_the_offer_states_its_deadline_in_beijing_time(client, rider, rules, yishe):
    _login(client, rider)
    client.post(f"/housing/projects/{yishe.project.pk}/apply/", _form(yishe))
    offer = Offer.objects.get()
    html = client.get("/housing/me/").content.decode()
    local = timezone.localtime(offer.deadline)
    assert f"请在 <strong>{local.month}月{local.day}日 {local:%H:%M}</strong> 前答复，逾期视为放弃。" in html
