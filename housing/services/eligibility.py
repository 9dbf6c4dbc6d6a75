"""Eligibility: the rules a street keeps in the admin, evaluated with the exact reason for each failure."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import RiderProfile

from ..models import Application, EligibilityRule, HouseholdKind, Lease

NEW_EMPLOYMENT_OCCUPATIONS = ("courier", "food_delivery", "ride_hailing")


@dataclass(frozen=True)
class RuleResult:
    code: str
    ok: bool
    message: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _profile(application: Application) -> RiderProfile | None:
    return RiderProfile.objects.filter(user_id=application.rider_id).select_related("work_street").first()


def _new_employment(rule: EligibilityRule, application: Application) -> bool:
    profile = _profile(application)
    occupations = rule.parameters.get("occupations") or NEW_EMPLOYMENT_OCCUPATIONS
    return bool(profile and profile.work_street_id and profile.occupation in occupations)


def _no_active_lease(rule: EligibilityRule, application: Application) -> bool:
    return not Lease.objects.active().filter(tenant_id=application.rider_id).exists()


def _household_max(rule: EligibilityRule, application: Application) -> bool:
    return application.household_size <= int(rule.parameters.get("max", 4))


def _works_in_street(rule: EligibilityRule, application: Application) -> bool:
    profile = _profile(application)
    codes = rule.parameters.get("streets") or []
    return bool(profile and profile.work_street and profile.work_street.code in codes)


CHECKS: dict[str, Callable[[EligibilityRule, Application], bool]] = {
    EligibilityRule.Code.NEW_EMPLOYMENT: _new_employment,
    EligibilityRule.Code.NO_ACTIVE_LEASE: _no_active_lease,
    EligibilityRule.Code.HOUSEHOLD_MAX: _household_max,
    EligibilityRule.Code.WORKS_IN_STREET: _works_in_street,
}


def _household_matches(application: Application) -> RuleResult:
    """Built in: the chosen room types must be meant for the applicant's household."""
    kinds = {rt.household for rt in application.room_types.all()}
    ok = bool(kinds) and kinds == {application.household_kind}
    if application.household_kind == HouseholdKind.SINGLE and application.household_members:
        ok = False
    return RuleResult(
        code="household_matches_room_type",
        ok=ok,
        message="" if ok else _("所选房型不接受该申请类型（单身/夫妻/家庭），或单身申请填写了同住人。"),
    )


def application_evaluate(*, application: Application) -> list[RuleResult]:
    """Return one result per applicable rule (district-wide and the project's street), failures first."""
    results = [_household_matches(application)]
    for rule in EligibilityRule.objects.applying_to(application.project.street_id):
        ok = CHECKS[rule.code](rule, application)
        results.append(RuleResult(code=rule.code, ok=ok, message="" if ok else rule.failure_message))
    return sorted(results, key=lambda r: r.ok)


def failures(results: list[RuleResult]) -> list[str]:
    return [r.message for r in results if not r.ok]


@transaction.atomic
def eligibility_rules_ensure() -> list[EligibilityRule]:
    """Create the district-wide default rules that are missing (existing ones are left as staff edited them)."""
    from ..defaults import RULES

    return [
        EligibilityRule.objects.get_or_create(street=None, code=code, defaults={"failure_message": message})[0]
        for code, message in RULES
    ]
