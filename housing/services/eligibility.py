"""Eligibility: the rules a street keeps in the admin, evaluated with the exact reason for each failure."""

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import RiderProfile

from ..models import Application, EligibilityRule, HouseholdKind, Lease

NEW_EMPLOYMENT_OCCUPATIONS = ("courier", "food_delivery", "ride_hailing")
HOUSEHOLD_MATCHES = "household_matches_room_type"


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


def household_mismatch(*, household_kind: str, room_types: list[Any], members: list[Any] | None = None) -> str:
    """Why these room types (or these members) do not fit the household, in the rider's words; "" when they fit.

    One message per case, naming the room type and the household chosen, so the rider knows what to change.
    """
    labels = dict(HouseholdKind.choices)
    for room_type in room_types:
        if room_type.household != household_kind:
            return _(
                "“%(room_type)s”只面向%(allowed)s申请，您选的申请类型是“%(kind)s”。请换一个房型，或更改申请类型。"
            ) % {
                "room_type": room_type.name,
                "allowed": labels.get(room_type.household, room_type.household),
                "kind": labels.get(household_kind, household_kind),
            }
    if household_kind == HouseholdKind.SINGLE and members:
        return _("单身申请不用填写同住人。如与配偶或家人同住，请把申请类型改为“夫妻”或“家庭”。")
    return ""


def _household_matches(application: Application) -> RuleResult:
    """Built in: the chosen room types must be meant for the applicant's household."""
    room_types = list(application.room_types.all())
    message = household_mismatch(
        household_kind=application.household_kind, room_types=room_types, members=application.household_members
    )
    if not room_types:
        message = _("请至少选择一个房型。")
    return RuleResult(code=HOUSEHOLD_MATCHES, ok=not message, message=message)


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
