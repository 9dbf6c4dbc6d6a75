"""Submission limits shared by every way a rider submits a report (REST API and Open311), so that one
channel cannot be used to get around the other's limit."""

from typing import Any

from django.conf import settings
from django_ratelimit.core import is_ratelimited


def report_submit_rate_exceeded(request: Any, *, reporter: Any) -> bool:
    """Count one submission by `reporter` from the request's client address; True when the per-rider or
    the per-address limit (REPORTS_SUBMIT_USER_RATE, REPORTS_SUBMIT_IP_RATE) is exceeded."""
    checks = (
        ("reports.submit.user", lambda _group, _request: str(reporter.pk), settings.REPORTS_SUBMIT_USER_RATE),
        ("reports.submit.ip", "ip", settings.REPORTS_SUBMIT_IP_RATE),
    )
    return any(
        is_ratelimited(request, group=group, key=key, rate=rate, method="POST", increment=True)
        for group, key, rate in checks
    )
