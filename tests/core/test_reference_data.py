"""load_reference: what a real install needs, without demo accounts or demo data; load_demo builds on it."""

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import User
from housing.models import EligibilityRule
from jurisdictions.models import Street
from reports.defaults import CATEGORIES
from reports.models import Category
from stations.defaults import AMENITIES
from stations.models import Amenity, Station


def _snapshot() -> dict:
    return {
        "streets": sorted(Street.objects.values_list("code", "name", "kind")),
        "categories": sorted(Category.objects.values_list("code", "name", "arrival_sla_minutes", "is_active")),
        "amenities": sorted(Amenity.objects.values_list("code", "name", "icon", "sort_order")),
        "rules": sorted(EligibilityRule.objects.values_list("street_id", "code", "active", "failure_message")),
    }


@pytest.mark.django_db
def test_load_reference_loads_streets_categories_amenities_and_rules_and_no_accounts():
    Amenity.objects.all().delete()  # the migration's seed must not be what makes the test pass
    call_command("load_reference", stdout=StringIO())
    assert Street.objects.count() == 43
    assert set(Category.objects.values_list("code", flat=True)) == {c[0] for c in CATEGORIES}
    assert set(Amenity.objects.values_list("code", flat=True)) == {a[0] for a in AMENITIES}
    assert set(EligibilityRule.objects.filter(street=None).values_list("code", flat=True)) == {
        "new_employment",
        "no_active_lease",
    }
    assert User.objects.count() == 0
    assert Station.objects.count() == 0


@pytest.mark.django_db
def test_a_second_load_reference_changes_nothing():
    call_command("load_reference", stdout=StringIO())
    before = _snapshot()
    call_command("load_reference", stdout=StringIO())
    assert _snapshot() == before


@pytest.mark.django_db
def test_staff_edits_survive_a_second_load_reference():
    call_command("load_reference", stdout=StringIO())
    Category.objects.filter(code="road_damage").update(name="路面坑洼", arrival_sla_minutes=45, is_active=False)
    Street.objects.filter(code="SJ").update(name="双井街道（改）")
    EligibilityRule.objects.filter(code="no_active_lease").update(active=False)
    call_command("load_reference", stdout=StringIO())
    road = Category.objects.get(code="road_damage")
    assert (road.name, road.arrival_sla_minutes, road.is_active) == ("路面坑洼", 45, False)
    assert Street.objects.get(code="SJ").name == "双井街道（改）"
    assert EligibilityRule.objects.get(code="no_active_lease").active is False


@pytest.mark.django_db
def test_load_demo_runs_load_reference_first(monkeypatch, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-Pass-2026!")
    out = StringIO()
    call_command("load_demo", "--small", stdout=out)
    assert "reference data loaded" in out.getvalue()
    assert EligibilityRule.objects.filter(street=None, code="new_employment").exists()
