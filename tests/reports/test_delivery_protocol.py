"""Exactly-once effects for teams over an at-least-once transport: one delivery id per assignment, the
intent recorded before each call, one retry chain at a time, SMS after repeated webhook failures, and an
undeliverable report escalated to street staff (issue 12, item 2), while riders see states (item 5)."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.models import Role, User
from accounts.sms import read_sms_files
from reports.models import DeliveryAttempt, Report, ReportEvent
from reports.selectors import report_ids_to_redispatch
from reports.services import delivery_claim, delivery_record, report_reassign, report_route, reports_sweep

from .factories import ReportFactory


@pytest.fixture
def routed(streets, categories, rider, dispatcher, teams):
    teams["DH"].webhook_url = "http://team.internal.example:8443/secret/path"
    teams["DH"].save(update_fields=["webhook_url"])
    report = ReportFactory(reporter=rider, street=streets["DH"], category=categories["traffic_light"])
    return report_route(report_id=report.pk, actor=dispatcher)


def _fail(report, dispatcher, *, retry_in=1.0, status_code=502, error="http"):
    attempt = delivery_claim(report_id=report.pk, actor=dispatcher)
    assert attempt is not None
    delivery_record(
        report_id=report.pk,
        idempotency_key=attempt.idempotency_key,
        channel=attempt.channel,
        outcome="failure",
        status_code=status_code,
        error=error,
        retry_in=retry_in,
        actor=dispatcher,
    )
    return attempt


def test_every_attempt_of_one_assignment_carries_one_delivery_id_and_a_reassignment_a_new_one(
    routed, dispatcher, teams, staff_a
):
    first = _fail(routed, dispatcher)
    second = delivery_claim(report_id=routed.pk, actor=dispatcher)
    assert first.delivery_id == second.delivery_id == f"r{routed.pk}-t{teams['DH'].pk}-a1"
    assert first.idempotency_key != second.idempotency_key  # each attempt is its own log row
    assert delivery_claim(report_id=routed.pk, actor=dispatcher) is None  # the lease is held
    report_reassign(report=Report.objects.get(pk=routed.pk), team=teams["SJ"], actor=staff_a)
    third = delivery_claim(report_id=routed.pk, actor=dispatcher)
    assert third.delivery_id == f"r{routed.pk}-t{teams['SJ'].pk}-a2"
    assert third.channel == "sms"  # 双井's team has only an SMS number
    # The attempt whose worker vanished (lease taken over) is not left pending.
    assert DeliveryAttempt.objects.get(pk=second.pk).outcome == "unknown"


def test_after_repeated_webhook_failures_a_team_with_an_sms_number_gets_an_sms(
    routed, dispatcher, settings, api, rider
):
    settings.REPORTS_SMS_FALLBACK_AFTER_FAILURES = 2
    _fail(routed, dispatcher)
    assert delivery_claim(report_id=routed.pk, actor=dispatcher).channel == "webhook"
    Report.objects.filter(pk=routed.pk).update(delivery_lease_until=None)
    DeliveryAttempt.objects.filter(report=routed, outcome="pending").update(outcome="failure")
    sms = delivery_claim(report_id=routed.pk, actor=dispatcher)
    assert sms.channel == "sms" and sms.delivery_id == routed.delivery_id
    delivery_record(
        report_id=routed.pk,
        idempotency_key=sms.idempotency_key,
        channel="sms",
        outcome="success",
        actor=dispatcher,
    )
    routed.refresh_from_db()
    assert routed.status == "delivered"
    labels = [e["label"] for e in api(rider).get(f"/api/v1/reports/{routed.pk}/").json()["events"]]
    assert labels == ["派单", "正在联系应急队", "已改用短信通知应急队", "应急队已收到"]


def test_an_undeliverable_report_is_escalated_once_to_street_staff_in_their_words(
    routed, dispatcher, settings, teams, streets, django_capture_on_commit_callbacks
):
    settings.REPORTS_UNDELIVERABLE_AFTER_FAILURES = 3
    teams["DH"].sms_phone = ""
    teams["DH"].save(update_fields=["sms_phone"])
    clerk = User.objects.create_user("13800000077", role=Role.STREET_STAFF, street=streets["DH"], name="东湖值班")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            _fail(routed, dispatcher)
    routed.refresh_from_db()
    assert routed.undeliverable_at is not None
    kinds = list(ReportEvent.objects.filter(report=routed).values_list("kind", flat=True))
    # Five failed attempts are five rows in the delivery log, but the timeline says it once each.
    assert kinds == ["routed", "delivery_failed", "undeliverable"]
    assert DeliveryAttempt.objects.filter(report=routed, outcome="failure").count() == 5
    for phone in (clerk.phone, teams["fallback"].sms_phone):
        texts = [m["text"] for m in read_sms_files(phone)]
        assert len(texts) == 1 and f"#{routed.pk}" in texts[0] and "电话通知应急队" in texts[0]
    # Escalation for the SLA says what happened: undeliverable, not "late arrival".
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        result = reports_sweep(actor=dispatcher)
    assert routed.pk in result["escalated"]
    assert ReportEvent.objects.get(report=routed, kind="escalated").data == {"sla": "undeliverable"}


def test_the_sweeper_starts_no_second_chain_while_one_is_backing_off(routed, dispatcher, settings):
    settings.REPORTS_CHAIN_GRACE_SECONDS = 60
    settings.REPORTS_REDELIVER_AFTER_SECONDS = 300
    settings.REPORTS_UNDELIVERABLE_AFTER_FAILURES = 100
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        _fail(routed, dispatcher, retry_in=100)  # the chain will try again in 100 s
    assert routed.pk not in report_ids_to_redispatch(now=now + timedelta(seconds=150))
    assert routed.pk in report_ids_to_redispatch(now=now + timedelta(seconds=161))  # the chain died
    with time_machine.travel(now + timedelta(seconds=200), tick=False):
        _fail(routed, dispatcher, retry_in=None)  # the chain gives up: escalated as undeliverable
    routed.refresh_from_db()
    assert routed.undeliverable_at is not None and routed.dispatch_chain_until is None
    # An undeliverable report is tried again only now and then, not by every sweep.
    assert routed.pk not in report_ids_to_redispatch(now=now + timedelta(seconds=230))
    assert routed.pk not in report_ids_to_redispatch(now=now + timedelta(seconds=490))
    assert routed.pk in report_ids_to_redispatch(now=now + timedelta(seconds=510))


def test_riders_see_states_never_delivery_internals(routed, dispatcher, api, rider, client):
    _fail(routed, dispatcher, status_code=502, error="http")
    body = api(rider).get(f"/api/v1/reports/{routed.pk}/").content.decode()
    assert "正在联系应急队" in body
    for internal in ("502", "team.internal.example", "secret/path", "送达失败"):
        assert internal not in body
    client.force_login(rider)
    page = client.get(f"/reports/{routed.pk}/").content.decode()
    assert "正在联系应急队" in page
    assert "502" not in page and "team.internal.example" not in page
    # Staff keep the status code and the class of error in the delivery log.
    attempt = DeliveryAttempt.objects.get(report=routed, outcome="failure")
    assert (attempt.status_code, attempt.error) == (502, "http")
