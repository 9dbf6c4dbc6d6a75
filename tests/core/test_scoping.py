"""The street-scoping mechanism (chaoyang_friendly.scoping), exercised on rider profiles in the admin.

Staff of 双井 (staff_a) see riders working in 双井 only; staff of 三里屯 (staff_b) the reverse; the
district analyst sees both; a rider gets no admin at all.
"""

import pytest
from django.http import Http404

from accounts.models import RiderProfile
from chaoyang_friendly.scoping import get_object_for_user

CHANGELIST = "/admin/accounts/riderprofile/"


def _change_url(profile: RiderProfile) -> str:
    return f"/admin/accounts/riderprofile/{profile.pk}/change/"


@pytest.fixture
def profiles(rider, rider_b):
    return rider.rider_profile, rider_b.rider_profile  # 双井, 三里屯


def test_street_staff_see_only_their_street_in_the_changelist(
    profiles, staff_a, admin_client_for, django_assert_num_queries
):
    mine, theirs = profiles
    client = admin_client_for(staff_a)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    rows = list(response.context["cl"].result_list)
    assert rows == [mine]
    assert theirs not in rows


def test_the_other_street_sees_the_mirror_image(profiles, staff_b, admin_client_for):
    mine, theirs = profiles
    rows = list(admin_client_for(staff_b).get(CHANGELIST).context["cl"].result_list)
    assert rows == [theirs]


def test_district_staff_see_every_street(profiles, analyst, admin_client_for):
    rows = set(admin_client_for(analyst).get(CHANGELIST).context["cl"].result_list)
    assert rows == set(profiles)


def test_street_staff_cannot_open_another_streets_object(profiles, staff_a, admin_client_for):
    mine, theirs = profiles
    client = admin_client_for(staff_a)
    assert client.get(_change_url(mine)).status_code == 200
    response = client.get(_change_url(theirs), follow=True)
    assert response.redirect_chain[-1][0] == "/admin/"  # Django's "does not exist" redirect, not the page
    assert "不存在" in response.content.decode()


def test_foreign_key_choices_are_limited_to_the_staff_street(profiles, staff_a, analyst, rf):
    from django.contrib import admin

    model_admin = admin.site._registry[RiderProfile]
    field = RiderProfile._meta.get_field("work_street")
    request = rf.get("/")
    request.user = staff_a
    assert [s.code for s in model_admin.formfield_for_foreignkey(field, request).queryset] == ["SJ"]
    request.user = analyst
    assert model_admin.formfield_for_foreignkey(field, request).queryset.count() == 43


def test_staff_cannot_see_user_accounts_at_all(profiles, staff_a, admin_client_for):
    client = admin_client_for(staff_a)
    assert client.get("/admin/accounts/user/").status_code == 403
    assert client.get("/admin/accounts/apitoken/").status_code == 403


def test_riders_have_no_admin(rider, admin_client_for):
    response = admin_client_for(rider).get(CHANGELIST)
    assert response.status_code == 302 and "/admin/login/" in response.url


def test_get_object_for_user_is_404_across_streets(profiles, staff_a, analyst, rider):
    mine, theirs = profiles
    qs = RiderProfile.objects.all()
    assert get_object_for_user(qs, staff_a, pk=mine.pk) == mine
    with pytest.raises(Http404):
        get_object_for_user(qs, staff_a, pk=theirs.pk)
    assert get_object_for_user(qs, analyst, pk=theirs.pk) == theirs
    with pytest.raises(Http404):
        get_object_for_user(qs, rider, pk=mine.pk)
    with pytest.raises(Http404):
        get_object_for_user(qs, staff_a, pk="not-a-number")


def test_district_staff_are_read_only(profiles, analyst, admin_client_for):
    client = admin_client_for(analyst)
    response = client.get(_change_url(profiles[0]))
    assert response.status_code == 200
    assert "_save" not in response.content.decode()  # view-only page, no save button
    response = client.post(_change_url(profiles[0]), {"occupation": "courier"})
    assert response.status_code == 403
