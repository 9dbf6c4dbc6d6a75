"""User choices in the party admin are scoped to the staff member's street (chaoyang_friendly.scoping):
autocomplete over the street's people, and the same neutral error for another street's id as for none."""

import json

import pytest

from partybranch.models import Membership

from .factories import BranchFactory, MembershipFactory, RiderFactory

NEUTRAL = "请选择有效的选项"
ADD_MEMBERSHIP = "/admin/partybranch/membership/add/"


@pytest.fixture
def branches(streets, rider, rider_b):
    """A branch in 双井 and one in 三里屯, whose member is 李师傅 (rider_b, works in 三里屯)."""
    sj = BranchFactory(street=streets["SJ"], name="双井外卖小哥党支部")
    slt = BranchFactory(street=streets["SLT"], name="三里屯快递党支部")
    MembershipFactory(user=rider_b, branch=slt)
    return sj, slt


def _membership_form(branch, user_id) -> dict:
    return {"user": str(user_id), "branch": str(branch.pk), "role": "member", "status": "active"}


def test_another_streets_person_gets_the_neutral_error(admin_client_for, staff_a, branches, rider_b):
    sj, _slt = branches
    response = admin_client_for(staff_a).post(ADD_MEMBERSHIP, _membership_form(sj, rider_b.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert NEUTRAL in html
    assert "另一个支部在册" not in html  # would tell that the person is a party member elsewhere
    assert "李师傅" not in html and "139****0002" not in html
    assert not Membership.objects.filter(branch=sj).exists()


def test_an_unknown_id_gets_the_same_error(admin_client_for, staff_a, branches):
    sj, _slt = branches
    html = admin_client_for(staff_a).post(ADD_MEMBERSHIP, _membership_form(sj, 999999)).content.decode()
    assert NEUTRAL in html


def test_own_streets_rider_can_be_added(admin_client_for, staff_a, branches, rider):
    sj, _slt = branches
    response = admin_client_for(staff_a).post(ADD_MEMBERSHIP, _membership_form(sj, rider.pk))
    assert response.status_code == 302
    assert Membership.objects.get(branch=sj).user == rider


def test_the_form_does_not_show_another_streets_person_by_id(admin_client_for, staff_a, branches, rider_b):
    html = admin_client_for(staff_a).get(f"{ADD_MEMBERSHIP}?user={rider_b.pk}").content.decode()
    assert "李师傅" not in html and "139****0002" not in html
    assert 'name="user"' in html and "admin-autocomplete" in html


def _autocomplete(client, url: str, model: str, field: str, term: str = ""):
    return client.get(url, {"term": term, "app_label": "partybranch", "model_name": model, "field_name": field})


def test_autocomplete_returns_only_the_streets_people(admin_client_for, staff_a, branches, rider, rider_b):
    client = admin_client_for(staff_a)
    outsider = RiderFactory(name="王五")  # no street at all
    response = _autocomplete(client, "/admin/partybranch/membership/autocomplete/", "membership", "user")
    assert response.status_code == 200
    ids = {int(r["id"]) for r in json.loads(response.content)["results"]}
    assert rider.pk in ids and staff_a.pk in ids
    assert rider_b.pk not in ids and outsider.pk not in ids
    # by search term too, and through the inline of the branch page
    response = _autocomplete(client, "/admin/partybranch/branch/autocomplete/", "membership", "user", "李")
    assert json.loads(response.content)["results"] == []


def test_the_other_street_sees_the_mirror_image(admin_client_for, staff_b, branches, rider, rider_b):
    ids = {
        int(r["id"])
        for r in json.loads(
            _autocomplete(
                admin_client_for(staff_b), "/admin/partybranch/volunteerteam/autocomplete/", "volunteerteam", "leader"
            ).content
        )["results"]
    }
    assert rider_b.pk in ids and rider.pk not in ids


def test_the_generic_autocomplete_and_unknown_fields_are_refused(admin_client_for, staff_a, branches):
    client = admin_client_for(staff_a)
    generic = _autocomplete(client, "/admin/autocomplete/", "membership", "user")
    assert generic.status_code == 403  # street staff may not view users
    not_autocomplete = _autocomplete(client, "/admin/partybranch/membership/autocomplete/", "membership", "role")
    assert not_autocomplete.status_code == 403
