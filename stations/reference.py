"""Reference data of this app for load_reference: the amenity vocabulary (missing entries only)."""

from typing import Any

from .services import amenities_ensure


def load(*, stdout: Any) -> None:
    stdout.write(f"amenities: {len(amenities_ensure())}")
