import pytest
from django.contrib.gis.geos import Point

from housing.models import Application, Bed, Lease, Offer
from housing.services import room_type_fill_vacancies

from .factories import ProjectFactory, make_couple_type, make_rider, make_room_type, tomorrow

pytestmark = pytest.mark.django_db
URL = "/api/v1/housing/"


@pytest.fixture
def catalogue(streets):
    """Three projects: a cheap dorm in 双井 (1 free of 2), a couple room in 三里屯 (full), a closed one."""
    yishe = ProjectFactory(name="怡舍公寓", amenities=["canteen", "laundry"])
    dorm = make_room_type(project=yishe, beds=2, rooms=1, rent=700)
    Bed.objects.filter(pk=Bed.objects.filter(room__room_type=dorm).first().pk).update(status="occupied")
    slt = ProjectFactory(name="三里屯之家", street=streets["SLT"], point=Point(116.4550, 39.9350, srid=4326))
    couple = make_couple_type(project=slt, rent=1150)
    Bed.objects.filter(room__room_type=couple).update(status="occupied")
    closed = ProjectFactory(name="已关闭项目", status="closed")
    make_room_type(project=closed)
    return {"yishe": yishe, "dorm": dorm, "slt": slt, "couple": couple}


def _names(response):
    return [f["properties"]["name"] for f in response.json()["features"]]


def test_projects_are_geojson_with_rent_range_and_vacancies(api, rider, catalogue, django_assert_num_queries):
    client = api(rider)
    # token lookup, token last-used update, count for pagination, projects with figures, room types
    with django_assert_num_queries(5):
        response = client.get(URL + "projects/")
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    assert _names(response) == ["三里屯之家", "怡舍公寓"]
    yishe = next(f for f in body["features"] if f["properties"]["name"] == "怡舍公寓")
    assert yishe["geometry"]["coordinates"] == [116.469, 39.8965]
    props = yishe["properties"]
    assert (props["rent_min"], props["rent_max"], props["total_beds"], props["vacant_beds"]) == (700, 700, 2, 1)
    assert props["room_types"][0]["vacancies"] == 1
    assert "食堂" in props["amenity_labels"]


def test_project_list_query_count_does_not_grow_with_projects(api, rider, catalogue, django_assert_num_queries):
    for _ in range(5):
        make_room_type(beds=3, rooms=2)
    client = api(rider)
    with django_assert_num_queries(5):
        response = client.get(URL + "projects/")
    assert len(response.json()["features"]) == 7


@pytest.mark.parametrize(
    ("query", "names"),
    [
        ("rent_max=800", ["怡舍公寓"]),
        ("rent_max=1200", ["三里屯之家", "怡舍公寓"]),
        ("room_type=couple_room", ["三里屯之家"]),
        ("has_vacancy=true", ["怡舍公寓"]),
        ("lng=116.4550&lat=39.9350", ["三里屯之家", "怡舍公寓"]),
        ("lng=116.4690&lat=39.8965&radius_km=2", ["怡舍公寓"]),
    ],
)
def test_project_filters(api, rider, catalogue, query, names):
    response = api(rider).get(f"{URL}projects/?{query}")
    assert response.status_code == 200, response.json()
    assert _names(response) == names


def test_distance_is_in_metres(api, rider, catalogue):
    response = api(rider).get(URL + "projects/?lng=116.4690&lat=39.9055")
    yishe = next(f for f in response.json()["features"] if f["properties"]["name"] == "怡舍公寓")
    assert 950 <= yishe["properties"]["distance_m"] <= 1050  # 0.009° of latitude ≈ 1 km


@pytest.mark.parametrize(
    "query",
    [
        "rent_max=0",
        "rent_max=100001",
        "rent_max=abc",
        "room_type=castle",
        "lng=116.4",
        "lng=1e150&lat=39.9",
        "lng=0&lat=0",
    ],
)
def test_bad_project_filters_are_400(api, rider, catalogue, query):
    response = api(rider).get(f"{URL}projects/?{query}")
    assert response.status_code == 400
    assert response.json()


def test_project_detail_has_vacancy_counts_by_room_type(api, rider, catalogue):
    response = api(rider).get(f"{URL}projects/{catalogue['yishe'].pk}/")
    assert response.status_code == 200
    types = response.json()["properties"]["room_types"]
    assert [(t["name"], t["vacancies"], t["total_beds"]) for t in types] == [(catalogue["dorm"].name, 1, 2)]
    closed = api(rider).get(f"{URL}projects/999999/")
    assert closed.status_code == 404


def _apply(client, catalogue, **extra):
    body = {
        "project": catalogue["yishe"].pk,
        "room_types": [catalogue["dorm"].pk],
        "household_kind": "single",
        "gender": "male",
        "move_in_date": tomorrow().isoformat(),
        "work_lng": "116.4700",
        "work_lat": "39.9000",
        **extra,
    }
    return client.post(URL + "applications/", body, format="json")


def test_rider_applies_and_gets_the_free_bed_offered(api, rider, rules, catalogue):
    client = api(rider)
    response = _apply(client, catalogue)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "offered"
    assert body["offer"]["rent"] == 700
    assert Application.objects.get(pk=body["id"]).work_point.x == pytest.approx(116.47)
    listing = client.get(URL + "applications/").json()
    assert [a["id"] for a in listing] == [body["id"]]
    offers = client.get(URL + "offers/").json()["results"]
    accepted = client.post(f"{URL}offers/{offers[0]['id']}/accept/")
    assert accepted.status_code == 201
    assert accepted.json()["monthly_rent"] == 700
    leases = client.get(URL + "leases/").json()["results"]
    assert [lease["status"] for lease in leases] == ["active"]
    again = client.post(f"{URL}offers/{offers[0]['id']}/accept/")
    assert again.status_code == 409


def test_ineligible_application_is_201_with_reasons(api, rules, catalogue):
    rider = make_rider(occupation="other")
    response = _apply(api(rider), catalogue)
    assert response.status_code == 201
    assert response.json()["status"] == "rejected"
    assert response.json()["failures"] == ["需在朝阳区从事快递、外卖或网约车工作。"]


@pytest.mark.parametrize(
    ("extra", "status"),
    [
        ({"move_in_date": "2020-01-01"}, 400),
        ({"move_in_date": "not-a-date"}, 400),
        ({"room_types": []}, 400),
        ({"room_types": [999999]}, 400),
        ({"project": 999999}, 404),
        ({"work_lng": "200", "work_lat": "39.9"}, 400),
        ({"work_lng": "121.47", "work_lat": "31.23"}, 400),
        ({"household_members": [{"name": "", "relation": "配偶"}]}, 400),
    ],
)
def test_bad_application_inputs(api, rider, rules, catalogue, extra, status):
    response = _apply(api(rider), catalogue, **extra)
    assert response.status_code == status, response.json()
    assert not Application.objects.exists()


def test_a_second_open_application_is_409(api, rider, rules, catalogue):
    client = api(rider)
    assert _apply(client, catalogue).status_code == 201
    assert _apply(client, catalogue).status_code == 409


def test_another_riders_application_and_offer_are_404(api, rider, rider_b, rules, catalogue):
    mine = _apply(api(rider), catalogue).json()
    other = api(rider_b)
    assert other.get(f"{URL}applications/{mine['id']}/").status_code == 404
    assert other.post(f"{URL}applications/{mine['id']}/withdraw/").status_code == 404
    assert other.post(f"{URL}offers/{mine['offer']['id']}/accept/").status_code == 404
    assert other.post(f"{URL}offers/{mine['offer']['id']}/decline/").status_code == 404
    assert other.get(URL + "applications/").json() == []
    assert Offer.objects.get(pk=mine["offer"]["id"]).status == "open"


def test_withdraw_and_decline(api, rider, rider_b, rules, catalogue):
    first = _apply(api(rider), catalogue).json()
    second = _apply(api(rider_b), catalogue).json()
    assert second["status"] == "waitlisted"
    assert second["positions"] == {str(catalogue["dorm"].pk): 1}
    declined = api(rider).post(f"{URL}offers/{first['offer']['id']}/decline/")
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    second_now = api(rider_b).get(f"{URL}applications/{second['id']}/").json()
    assert second_now["status"] == "offered"
    withdrawn = api(rider_b).post(f"{URL}applications/{second['id']}/withdraw/")
    assert withdrawn.json()["status"] == "withdrawn"
    assert api(rider_b).post(f"{URL}applications/{second['id']}/withdraw/").status_code == 400
    assert Bed.objects.filter(room__room_type=catalogue["dorm"], status="available").count() == 1


def test_staff_cannot_apply(api, staff_a, catalogue):
    assert _apply(api(staff_a), catalogue).status_code == 403


@pytest.fixture
def waiting(rules, catalogue, rider):
    """rider waitlisted for the 双井 dorm, whose only free bed is out of service."""
    Bed.objects.filter(room__room_type=catalogue["dorm"], status="available").update(status="out_of_service")
    from housing.services import application_submit

    app = application_submit(
        rider=rider,
        project=catalogue["yishe"],
        room_types=[catalogue["dorm"]],
        household_kind="single",
        gender="male",
        move_in_date=tomorrow(),
    )
    assert app.status == "waitlisted"
    return app


def test_staff_allocate_a_bed_201_then_409(api, staff_a, waiting, catalogue, rider_b):
    bed = Bed.objects.get(room__room_type=catalogue["dorm"], status="out_of_service")
    bed.status = "available"
    bed.save()
    client = api(staff_a)
    response = client.post(URL + "allocations/", {"application": waiting.pk, "bed": bed.pk}, format="json")
    assert response.status_code == 201, response.json()
    assert Lease.objects.active().get().bed == bed
    from housing.services import application_submit

    other = application_submit(
        rider=rider_b,
        project=catalogue["yishe"],
        room_types=[catalogue["dorm"]],
        household_kind="single",
        gender="male",
        move_in_date=tomorrow(),
    )
    conflict = client.post(URL + "allocations/", {"application": other.pk, "bed": bed.pk}, format="json")
    assert conflict.status_code == 409
    assert "已被分配" in conflict.json()["detail"]
    assert Lease.objects.count() == 1


def test_allocation_is_scoped_to_the_staff_street(api, staff_b, analyst, rider, waiting, catalogue):
    bed = Bed.objects.filter(room__room_type=catalogue["dorm"]).first()
    body = {"application": waiting.pk, "bed": bed.pk}
    assert api(staff_b).post(URL + "allocations/", body, format="json").status_code == 404
    assert api(analyst).post(URL + "allocations/", body, format="json").status_code == 403  # district: view only
    assert api(rider).post(URL + "allocations/", body, format="json").status_code == 403
    assert api(staff_b).post(URL + "allocations/", {"application": waiting.pk}, format="json").status_code == 400
    assert not Lease.objects.exists()


def test_whole_room_allocation_for_a_couple(api, streets, rules):
    from accounts.models import Role, User
    from housing.services import application_submit

    couple = make_couple_type(project=ProjectFactory(street=streets["SLT"]), rent=1150)
    room = couple.rooms.get()
    Bed.objects.filter(room=room).update(status="out_of_service")
    app = application_submit(
        rider=make_rider(street_code="SLT"),
        project=couple.project,
        room_types=[couple],
        household_kind="couple",
        gender="female",
        household_members=[{"name": "丈夫", "relation": "配偶"}],
        move_in_date=tomorrow(),
    )
    Bed.objects.filter(room=room).update(status="available")
    staff = User.objects.create_user("13800000009", role=Role.STREET_STAFF, street=streets["SLT"], is_staff=True)
    client = api(staff)
    wrong = client.post(URL + "allocations/", {"application": app.pk, "bed": room.beds.first().pk}, format="json")
    assert wrong.status_code == 400 and "整间" in wrong.json()["detail"]
    response = client.post(URL + "allocations/", {"application": app.pk, "room": room.pk}, format="json")
    assert response.status_code == 201
    lease = Lease.objects.get()
    assert (lease.room, lease.bed, lease.monthly_rent) == (room, None, 1150)
    assert set(room.beds.values_list("status", flat=True)) == {"occupied"}
    assert room_type_fill_vacancies(room_type=couple) == []
    again = client.post(URL + "allocations/", {"application": app.pk, "room": room.pk}, format="json")
    assert again.status_code == 409
