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
