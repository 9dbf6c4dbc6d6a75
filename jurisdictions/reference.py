"""Reference data of this app for load_reference: the 43 streets (missing ones only)."""

from typing import Any

from .services import streets_load


def load(*, stdout: Any) -> None:
    created = streets_load(missing_only=True)
    stdout.write(f"streets: {created} created")
