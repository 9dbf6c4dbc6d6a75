"""Reference data of this app for load_reference: the 随手拍 categories (missing ones only)."""

from typing import Any

from .services import categories_ensure


def load(*, stdout: Any) -> None:
    stdout.write(f"report categories: {len(categories_ensure())}")
