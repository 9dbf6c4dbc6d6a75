"""The Idempotency-Key of a rider's submission (REST API and Open311 POST): checking it and finding the
report already saved under it. The key is stored in Report.submit_key, unique per reporter."""

from collections.abc import Mapping

from django.utils.translation import gettext as _

from accounts.models import User
from chaoyang_friendly.errors import ApplicationError

from .models import Report

HEADER = "Idempotency-Key"
SUBMIT_KEY_MAX_LENGTH = 64


def submit_key_check(key: str) -> str:
    """Return the key when it is 1–64 visible ASCII characters, else raise ApplicationError (400)."""
    if not (1 <= len(key) <= SUBMIT_KEY_MAX_LENGTH and all("!" <= c <= "~" for c in key)):
        raise ApplicationError(_("Idempotency-Key 必须是 1–64 个可见 ASCII 字符（不含空格）。"))
    return key


def submit_key_from_headers(headers: Mapping[str, str]) -> str:
    """The request's Idempotency-Key, "" when the header is absent; ApplicationError when it is malformed."""
    value = headers.get(HEADER)
    return "" if value is None else submit_key_check(value)


def report_for_submit_key(*, reporter: User, submit_key: str) -> Report | None:
    """The reporter's report saved under this key, if any (keys are per reporter)."""
    if not submit_key:
        return None
    return Report.objects.filter(reporter=reporter, submit_key=submit_key).first()
