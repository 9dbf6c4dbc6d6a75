"""/metrics: hidden without configuration, 401 without the token, the request and operational metrics with it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chaoyang_friendly.metrics import task_failure_record
from reports.models import Report, ReportEvent
from tests.reports.factories import ReportFactory

TOKEN = "metrics-token-for-tests"


@pytest.fixture
def metrics_on(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.METRICS_ALLOWED_NETWORKS = []


def _scrape(client, **headers):
    return client.get("/metrics", **headers)


@pytest.mark.django_db
def test_metrics_do_not_exist_unless_configured(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    assert _scrape(client, HTTP_AUTHORIZATION="Bearer anything").status_code == 404


@pytest.mark.django_db
def test_metrics_need_the_token(client, metrics_on):
    assert _scrape(client).status_code == 401
    assert _scrape(client, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert _scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


@pytest.mark.django_db
def test_an_allowed_network_needs_no_token(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", ["192.0.2.0/24"]
    assert _scrape(client, REMOTE_ADDR="192.0.2.10").status_code == 200
    assert _scrape(client, REMOTE_ADDR="198.51.100.7").status_code == 401


@pytest.mark.django_db
def test_metrics_show_requests_queues_failures_dispatch_latency_and_sla_breaches(
    client, metrics_on, streets, rider, settings
):
    now = timezone.now()
    fast = ReportFactory(reporter=rider, street=streets["SJ"], status=Report.Status.ROUTED)
    Report.objects.filter(pk=fast.pk).update(created_at=now - timedelta(minutes=10))
    ReportEvent.objects.create(
        report=fast, kind=ReportEvent.Kind.DELIVERED, at=now - timedelta(minutes=10) + timedelta(seconds=42)
    )
    late = ReportFactory(
        reporter=rider, street=streets["SJ"], status=Report.Status.ROUTED, arrival_due_at=now - timedelta(minutes=5)
    )
    ReportFactory(
        reporter=rider, street=streets["SJ"], status=Report.Status.RESOLVED, arrival_due_at=now - timedelta(minutes=5)
    )
    task_failure_record("reports.dispatch")
    task_failure_record("reports.dispatch")
    client.get("/accounts/login/")

    body = _scrape(client, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()

    assert "django_http_requests_total_by_method_total" in body
    assert 'chaoyang_celery_task_failures_total{task="reports.dispatch"} 2.0' in body
    assert 'chaoyang_dispatch_latency_seconds{quantile="0.95"} 42.0' in body
    assert "chaoyang_dispatch_delivered_last_hour 1.0" in body
    assert "chaoyang_sla_breaches_open 1.0" in body
    assert late.pk
    if settings.REDIS_URL:
        assert 'chaoyang_queue_depth{queue="dispatch"}' in body
