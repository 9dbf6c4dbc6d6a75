"""Reference data of this app for load_reference: the district-wide eligibility rules (missing ones only)."""

from typing import Any

from .services import eligibility_rules_ensure


def load(*, stdout: Any) -> None:
    stdout.write(f"housing rules: {len(eligibility_rules_ensure())}")
