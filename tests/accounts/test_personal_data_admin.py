"""Finding 4: without `accounts.view_personal_data` (granted explicitly, never by role) the admin shows
masked phone numbers only, and phone search matches whole numbers only."""

import pytest
from django.contrib.auth.models import Group, Permission

from accounts.models import User


def _pages(rider: User) -> list[str]:
    return [
        "/admin/accounts/user/",
        f"/admin/accounts/user/{rider.pk}/change/",
        "/admin/accounts/riderprofile/",
        f"/admin/accounts/riderprofile/{rider.rider_profile.pk}/change/",
    ]


def test_the_analyst_sees_masked_phones_everywhere_in_the_accounts_admin(rider, analyst, admin_client_for):
    client = admin_client_for(analyst)
    for page in _pages(rider):
        response = client.get(page)
        assert response.status_code == 200, page
        body = response.content.decode()
        assert rider.phone not in body, page
    assert "139****0001" in client.get(f"/admin/accounts/user/{rider.pk}/change/").content.decode()


def test_street_staff_see_masked_phones_of_their_riders(rider, staff_a, admin_client_for):
    client = admin_client_for(staff_a)
    for page in _pages(rider)[2:]:
        response = client.get(page)
        assert response.status_code == 200 and rider.phone not in response.content.decode(), page


def test_no_role_holds_the_personal_data_permission(analyst, staff_a):
    assert not analyst.has_perm("accounts.view_personal_data")
    assert not staff_a.has_perm("accounts.view_personal_data")


def test_the_permission_granted_through_a_group_shows_full_numbers(rider, analyst, admin_client_for):
    group = Group.objects.create(name="个人信息查看")
    group.permissions.add(Permission.objects.get(codename="view_personal_data"))
    analyst.groups.add(group)
    analyst = User.objects.get(pk=analyst.pk)
    client = admin_client_for(analyst)
    assert rider.phone in client.get("/admin/accounts/user/").content.decode()
    assert rider.phone in client.get(f"/admin/accounts/user/{rider.pk}/change/").content.decode()


@pytest.mark.parametrize("page", ["/admin/accounts/user/", "/admin/accounts/riderprofile/"])
def test_a_partial_number_finds_nobody_without_the_permission(page, rider, analyst, admin_client_for):
    client = admin_client_for(analyst)
    assert "王师傅" not in client.get(page, {"q": "3900000"}).content.decode()  # middle digits
    assert "王师傅" in client.get(page, {"q": rider.phone}).content.decode()


@pytest.mark.parametrize(
    "model",
    [
        "housing.Application",
        "housing.Lease",
        "partybranch.Membership",
        "partybranch.Registration",
        "partybranch.VolunteerHours",
    ],
)
def test_every_admin_that_searches_phones_matches_only_whole_numbers_without_the_permission(model, analyst, rf):
    """A partial phone search in any admin would reveal the masked digits one by one."""
    from django.apps import apps
    from django.contrib import admin

    model_admin = admin.site._registry[apps.get_model(model)]
    request = rf.get("/")
    request.user = analyst
    phone_fields = [f for f in model_admin.get_search_fields(request) if f.lstrip("^=@").endswith("phone")]
    assert phone_fields and all(f.startswith("=") for f in phone_fields)
