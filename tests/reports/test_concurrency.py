import threading

import pytest
from django.db import connection

from reports.models import DeliveryAttempt, Report, ReportEvent, ResponseTeam
from reports.services import categories_ensure, delivery_claim, report_route

from .factories import ReportFactory


@pytest.mark.django_db(transaction=True)
def test_concurrent_route_calls_route_once_and_only_one_worker_may_send(streets, rider, dispatcher):
    categories = {c.code: c for c in categories_ensure()}
    ResponseTeam.objects.create(street=streets["DH"], name="东湖街道应急队", sms_phone="13700000001")
    report = ReportFactory(reporter=rider, street=None, category=categories["manhole"], point=streets["DH"].centre)
    barrier = threading.Barrier(6)
    leases, errors = [], []

    def work() -> None:
        try:
            barrier.wait(timeout=10)
            routed = report_route(report_id=report.pk, actor=dispatcher)
            leases.append(delivery_claim(report_id=routed.pk, actor=dispatcher) is not None)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert ReportEvent.objects.filter(report=report, kind="routed").count() == 1
    assert sorted(leases) == [False] * 5 + [True]
    # The one winner recorded its intent before sending: one pending attempt, under the stable delivery id.
    attempts = list(DeliveryAttempt.objects.filter(report=report).values_list("outcome", "delivery_id"))
    routed = Report.objects.get(pk=report.pk)
    assert attempts == [("pending", f"r{report.pk}-t{routed.team_id}-a1")]
