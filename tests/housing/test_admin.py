import pytest

from housing.models import Application, Bed, EligibilityRule, Lease, Offer

from .factories import ProjectFactory, make_rider, make_room_type, tomorrow

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_streets(streets, rules):
    sj = make_room_type(project=ProjectFactory(name="怡舍公寓"), beds=3, rooms=2, rent=700)
    slt = make_room_type(project=ProjectFactory(name="三里屯之家", street=streets["SLT"]), beds=2, rooms=1)
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=sj).first().pk).update(status="occupied")
    return {"sj": sj, "slt": slt}


def _names(response):
    return [str(o) for o in response.context["cl"].result_list]


def test_project_changelist_is_scoped_and_shows_occupancy(admin_client_for, staff_a, two_streets):
    client = admin_client_for(staff_a)
    response = client.get("/admin/housing/project/")
    assert response.status_code == 200
    assert _names(response) == ["怡舍公寓"]
    html = response.content.decode()
    assert "17%" in html  # 1 of 6 beds occupied
    other = two_streets["slt"].project
    assert client.get(f"/admin/housing/project/{other.pk}/change/").status_code in (302, 404)


def test_staff_b_and_the_analyst(admin_client_for, staff_b, analyst, two_streets):
    assert _names(admin_client_for(staff_b).get("/admin/housing/project/")) == ["三里屯之家"]
    client = admin_client_for(analyst)
    assert sorted(_names(client.get("/admin/housing/project/"))) == ["三里屯之家", "怡舍公寓"]
    assert client.get("/admin/housing/project/add/").status_code == 403  # district: view only


def test_project_changelist_query_count_is_flat(admin_client_for, analyst, two_streets, django_assert_num_queries):
    client = admin_client_for(analyst)
    client.get("/admin/housing/project/")
    for _ in range(4):
        make_room_type(beds=2, rooms=2)
    # session, user, user permissions, group permissions, street filter names, count, count (unfiltered),
    # projects with their figures and street — the same for 2 or 6 projects
    with django_assert_num_queries(8):
        response = client.get("/admin/housing/project/")
    assert len(response.context["cl"].result_list) == 6


def test_project_change_page_shows_beds_at_a_glance(admin_client_for, staff_a, two_streets):
    project = two_streets["sj"].project
    response = admin_client_for(staff_a).get(f"/admin/housing/project/{project.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("background:#188038") == 5 and html.count("background:#d93025") == 1


def _queue(two_streets, n=3):
    from housing.services import application_submit

    Bed.objects.filter(room__room_type=two_streets["sj"]).update(status="occupied")
    apps = []
    for i in range(n):
        apps.append(
            application_submit(
                rider=make_rider(name=f"骑手{i}"),
                project=two_streets["sj"].project,
                room_types=[two_streets["sj"]],
                household_kind="single",
                gender="male",
                move_in_date=tomorrow(),
            )
        )
    return apps


def test_application_queue_with_position_and_eligibility(
    admin_client_for, staff_a, staff_b, two_streets, django_assert_num_queries
):
    apps = _queue(two_streets)
    client = admin_client_for(staff_a)
    client.get("/admin/housing/application/")
    # session, user, user permissions, group permissions, project filter (scoped), count, count (unfiltered),
    # applications with their queue position, rider and project in one query
    with django_assert_num_queries(8):
        response = client.get("/admin/housing/application/")
    rows = {o.pk: o.position for o in response.context["cl"].result_list}
    assert rows == {apps[0].pk: 1, apps[1].pk: 2, apps[2].pk: 3}
    assert "✓" in response.content.decode()
    other = admin_client_for(staff_b).get("/admin/housing/application/")
    assert _names(other) == []
    assert "怡舍公寓" not in other.content.decode()  # not even in the project filter


def test_allocate_action_with_an_intermediate_form(admin_client_for, staff_a, two_streets):
    app = _queue(two_streets, 1)[0]
    bed = Bed.objects.filter(room__room_type=two_streets["sj"]).last()
    bed.status = "out_of_service"
    bed.save()
    Bed.objects.filter(pk=bed.pk).update(status="available")  # freed without triggering an offer
    client = admin_client_for(staff_a)
    url = "/admin/housing/application/"
    form = client.post(url, {"action": "allocate", "_selected_action": [app.pk]})
    assert form.status_code == 200
    assert f"bed:{bed.pk}" in form.content.decode()
    done = client.post(
        url, {"action": "allocate", "_selected_action": [app.pk], "apply": "1", "unit": f"bed:{bed.pk}"}, follow=True
    )
    assert "已分配" in done.content.decode()
    assert Lease.objects.active().get().bed == bed
    assert Application.objects.get(pk=app.pk).status == "accepted"


def test_allocate_action_reports_a_conflict(admin_client_for, staff_a, two_streets):
    first, second = _queue(two_streets, 2)
    bed = Bed.objects.filter(room__room_type=two_streets["sj"]).last()
    Bed.objects.filter(pk=bed.pk).update(status="available")
    client = admin_client_for(staff_a)
    url = "/admin/housing/application/"
    client.post(url, {"action": "allocate", "_selected_action": [first.pk], "apply": "1", "unit": f"bed:{bed.pk}"})
    # the second form was opened before the first allocation: its choice is stale now
    stale = client.post(
        url, {"action": "allocate", "_selected_action": [second.pk], "apply": "1", "unit": f"bed:{bed.pk}"}, follow=True
    )
    assert "已被分配" in stale.content.decode()
    assert Lease.objects.count() == 1
    assert Application.objects.get(pk=second.pk).status == "waitlisted"


def test_end_lease_action_offers_the_bed_to_the_next(admin_client_for, staff_a, two_streets):
    first, second = _queue(two_streets, 2)
    bed = Bed.objects.filter(room__room_type=two_streets["sj"]).last()
    Bed.objects.filter(pk=bed.pk).update(status="available")
    from housing.services import bed_allocate

    lease = bed_allocate(bed=bed, application=first, actor=staff_a)
    client = admin_client_for(staff_a)
    response = client.post(
        "/admin/housing/lease/", {"action": "end_lease", "_selected_action": [lease.pk]}, follow=True
    )
    assert "已退租 1 份租约" in response.content.decode()
    assert Lease.objects.get(pk=lease.pk).status == "ended"
    assert Offer.objects.get(status="open").application_id == second.pk


def test_street_staff_read_district_rules_and_edit_their_own(admin_client_for, staff_a, staff_b, streets, rules):
    own = EligibilityRule.objects.create(street=streets["SJ"], code="household_max", failure_message="人数超限")
    other = EligibilityRule.objects.create(street=streets["SLT"], code="household_max", failure_message="超限")
    client = admin_client_for(staff_a)
    listing = client.get("/admin/housing/eligibilityrule/")
    assert {o.pk for o in listing.context["cl"].result_list} == {own.pk, *[r.pk for r in rules]}
    assert other.pk not in {o.pk for o in listing.context["cl"].result_list}
    response = client.post(
        f"/admin/housing/eligibilityrule/{own.pk}/change/",
        {"code": "household_max", "parameters": '{"max": 3}', "active": "on", "failure_message": "最多3人"},
    )
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.parameters == {"max": 3} and own.street == streets["SJ"]
    district_rule = rules[0]
    page = client.get(f"/admin/housing/eligibilityrule/{district_rule.pk}/change/")
    assert page.status_code == 200 and 'name="failure_message"' not in page.content.decode()  # read only
    assert (
        client.post(
            f"/admin/housing/eligibilityrule/{district_rule.pk}/change/",
            {"code": "household_max", "active": "on", "failure_message": "x"},
        ).status_code
        == 403
    )


def test_the_application_list_opens_on_the_queue_oldest_first(admin_client_for, staff_a, two_streets):
    """Issue 15: the list showed all applications (517 in the demo) instead of the ones to allocate."""
    from housing.services.applications import application_reject

    apps = _queue(two_streets, 3)
    application_reject(application=apps[1], actor=staff_a, reason="材料不全")
    client = admin_client_for(staff_a)
    queue = client.get("/admin/housing/application/")
    assert [o.pk for o in queue.context["cl"].result_list] == [apps[0].pk, apps[2].pk]
    html = queue.content.decode()
    assert "待分配（排队中）" in html and "?queue=all" in html and "分配床位" in html
    everything = client.get("/admin/housing/application/?queue=all")
    assert {o.pk for o in everything.context["cl"].result_list} == {a.pk for a in apps}
    rejected = client.get("/admin/housing/application/?status__exact=rejected")
    assert [o.pk for o in rejected.context["cl"].result_list] == [apps[1].pk]
    found = client.get(f"/admin/housing/application/?q={apps[1].rider.phone}")
    assert [o.pk for o in found.context["cl"].result_list] == [apps[1].pk]
    assert client.get("/admin/housing/application/?queue=nonsense").status_code == 302  # admin's ?e=1


def test_the_allocation_page_shows_the_applicant_and_each_free_unit(admin_client_for, staff_a, two_streets):
    """Issue 15: allocation was a bare dropdown of bed names, without applicant or room context."""
    from housing.models import Room

    sj = two_streets["sj"]
    app = _queue(two_streets, 1)[0]
    rooms = list(Room.objects.filter(room_type=sj).order_by("floor"))
    free = Bed.objects.filter(room=rooms[0]).order_by("label").first()
    Bed.objects.filter(pk=free.pk).update(status="available")  # one free bed in a room of 3, 2 let
    Room.objects.filter(pk=rooms[1].pk).update(gender_rule="female")  # a free bed, but in a girls' room
    Bed.objects.filter(pk=Bed.objects.filter(room=rooms[1]).first().pk).update(status="available")
    make_room_type(project=sj.project, name="女生四人间", beds=2, rooms=1, rent=600)  # not wanted
    client = admin_client_for(staff_a)
    page = client.get(f"/admin/housing/application/{app.pk}/allocate/")
    assert page.status_code == 200
    html = page.content.decode()
    needs = html.split('id="applicant"')[1].split("</section>")[0]
    for shown in ("单身", "共 1 人", "男", "怡舍公寓", sj.name, "700元/按床位", "双井", "距项目", "排队开始", "今天"):
        assert shown in needs, shown
    suitable = html.split('id="suitable-units"')[1].split("</table>")[0]
    assert f'value="bed:{free.pk}"' in suitable
    assert "已住 2 人 · 空 1 床（共 3 床）" in suitable and "700元/按床位" in suitable and "公里" in suitable
    assert "女生四人间" not in suitable and suitable.count('type="radio"') == 1
    others = html.split('class="unsuitable"')[1]
    assert "女生宿舍，与申请人性别不符。" in others
    assert "女生四人间" in others and "不在申请的意向房型中（该房型面向单身）。" in others
    done = client.post(f"/admin/housing/application/{app.pk}/allocate/", {"unit": f"bed:{free.pk}"}, follow=True)
    assert "已分配" in done.content.decode()
    assert Lease.objects.active().get(application=app).bed_id == free.pk
    assert client.get(f"/admin/housing/application/{app.pk + 1000}/allocate/").status_code == 404
    slt_app = _queue_in(two_streets["slt"])  # another street's application: not found
    assert client.get(f"/admin/housing/application/{slt_app.pk}/allocate/").status_code == 404


def test_the_allocation_page_asks_for_a_choice(admin_client_for, staff_a, two_streets):
    app = _queue(two_streets, 1)[0]
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=two_streets["sj"]).first().pk).update(status="available")
    response = admin_client_for(staff_a).post(f"/admin/housing/application/{app.pk}/allocate/", {})
    assert response.status_code == 200
    assert "请选择一个床位或整间房。" in response.content.decode()
    assert not Lease.objects.exists()


def _queue_in(room_type):
    from housing.services import application_submit

    return application_submit(
        rider=make_rider(street_code="SLT"),
        project=room_type.project,
        room_types=[room_type],
        household_kind="single",
        gender="male",
        move_in_date=tomorrow(),
    )


def test_history_and_eligibility_are_readable_in_beijing_time(admin_client_for, staff_a, two_streets):
    """Issue 15: raw JSON in the eligibility column and UTC times in the inline rows' titles."""
    import datetime

    import time_machine
    from django.utils import timezone

    utc_evening = datetime.datetime(2026, 5, 1, 17, 30, tzinfo=datetime.UTC)  # 01:30 the next day in Beijing
    with time_machine.travel(utc_evening, tick=False):
        app = _queue(two_streets, 1)[0]
    html = admin_client_for(staff_a).get(f"/admin/housing/application/{app.pk}/change/").content.decode()
    assert "排队中" in html
    assert "新申请 → 已提交 · 2026-05-02 01:30" in html
    assert "符合条件 → 排队中 · 2026-05-02 01:30" in html
    assert "2026-05-01 17:30" not in html
    assert '"ok": true' not in html and "&quot;ok&quot;" not in html
    assert "✓ 在朝阳区从事新就业形态职业" in html and "✓ 房型与申请类型相符" in html
    assert "无（本人独住）" in html
    assert timezone.get_current_timezone_name() == "Asia/Shanghai"


def test_rule_parameters_are_listed_in_words(admin_client_for, staff_a, streets, rules):
    EligibilityRule.objects.create(
        street=streets["SJ"], code="works_in_street", parameters={"streets": ["SJ"]}, failure_message="需在双井工作"
    )
    EligibilityRule.objects.create(
        street=streets["SJ"], code="household_max", parameters={"max": 3}, failure_message="最多3人"
    )
    html = admin_client_for(staff_a).get("/admin/housing/eligibilityrule/").content.decode()
    assert "街道：双井" in html and "最多 3 人" in html
    assert "{&quot;" not in html


def test_the_clerk_can_send_an_offer_the_rider_confirms(admin_client_for, staff_a, two_streets):
    app = _queue(two_streets, 1)[0]
    bed = Bed.objects.filter(room__room_type=two_streets["sj"]).last()
    Bed.objects.filter(pk=bed.pk).update(status="available")
    client = admin_client_for(staff_a)
    page = client.get(f"/admin/housing/application/{app.pk}/allocate/").content.decode()
    assert 'name="offer"' in page and "小时内在手机上确认" in page
    done = client.post(
        f"/admin/housing/application/{app.pk}/allocate/", {"unit": f"bed:{bed.pk}", "offer": "1"}, follow=True
    )
    assert "发出入住邀约" in done.content.decode() and "答复截止" in done.content.decode()
    offer = Offer.objects.get(application=app, status="open")
    assert offer.bed_id == bed.pk
    assert Bed.objects.get(pk=bed.pk).status == "held"
    assert Application.objects.get(pk=app.pk).status == "offered"
    assert not Lease.objects.filter(application=app).exists()
