"""What a team receives: the webhook message and the SMS text, built on the server from the report."""

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from chaoyang_friendly.geo import navigation_links, wgs84_to_gcj02

from .models import DeliveryAttempt, Report
from .services import report_delivered_to_team


def _iso(value: Any) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def report_message(*, report: Report, request: Any = None) -> dict:
    """The JSON body of the webhook (documented in reports/WEBHOOKS.md)."""

    def absolute(url: str) -> str:
        return request.build_absolute_uri(url) if request is not None else url

    glng, glat = wgs84_to_gcj02(report.point.x, report.point.y)
    return {
        "event": "report.dispatched",
        "report": {
            "id": report.pk,
            "category": {"code": report.category.code, "name": report.category.name, "urgent": report.category.urgent},
            "description": report.description,
            "location": {
                "wgs84": {"lng": round(report.point.x, 6), "lat": round(report.point.y, 6)},
                "gcj02": {"lng": round(glng, 6), "lat": round(glat, 6)},
            },
            "navigation": navigation_links(report.point, report.category.name),
            "street": {"code": report.street.code, "name": report.street.name} if report.street else None,
            "created_at": _iso(report.created_at),
            "arrival_due_at": _iso(report.arrival_due_at),
            "resolve_due_at": _iso(report.resolve_due_at),
            "photos": [absolute(p.image.url) for p in report.photos.all()],
            "events_url": absolute(reverse("reports-events", args=[report.pk])),
        },
        "team": {"id": report.team_id, "name": report.team.name if report.team else None},
    }


def sms_text(*, report: Report) -> str:
    glng, glat = wgs84_to_gcj02(report.point.x, report.point.y)
    return _(
        "【友好朝阳】随手拍 #%(id)s %(cat)s，%(street)s，位置 %(lng).5f,%(lat).5f（GCJ-02），%(desc)s 请于 %(due)s 前到场。"
    ) % {
        "id": report.pk,
        "cat": report.category.name,
        "street": report.street.name if report.street else "-",
        "lng": glng,
        "lat": glat,
        "desc": (report.description[:40] + "。") if report.description else "",
        "due": timezone.localtime(report.arrival_due_at).strftime("%H:%M") if report.arrival_due_at else "-",
    }


def dispatch_payload(
    *, report: Report, request: Any = None, attempt: DeliveryAttempt | None = None, delivered: bool | None = None
) -> dict:
    """The worker's view of a report. `attempt` is the pending attempt the caller claimed (then "lease"
    is true and the worker sends through its channel with its delivery id); without one it sends nothing.
    `delivered` is asked of the database unless the caller knows it (a claimed attempt means not yet)."""
    if delivered is None:
        delivered = report_delivered_to_team(report)
    team = report.team
    return {
        "id": report.pk,
        "status": report.status,
        "open": report.is_open,
        "delivered": delivered,
        "lease": attempt is not None,
        "delivery_id": attempt.delivery_id if attempt else None,
        "attempt_key": attempt.idempotency_key if attempt else None,
        "channel": attempt.channel if attempt else None,
        "team": (
            {
                "id": team.pk,
                "name": team.name,
                "webhook_url": team.webhook_url,
                "webhook_secret": team.webhook_secret,
                "sms_phone": team.sms_phone,
            }
            if team
            else None
        ),
        "message": report_message(report=report, request=request) if team else None,
        "sms_text": sms_text(report=report) if team else None,
    }
