"""The dispatch route call is the hot path of every 随手拍 (one per report, from the worker): routing and
the delivery claim run in one transaction on the locked report row, in a fixed number of statements.

Before report_dispatch it took 20 statements (route and claim in two transactions, the team asked twice,
the attempts counted twice, "delivered" asked twice); the budget below fails on that code."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from reports.models import DeliveryAttempt, ReportEvent, ResponseTeam

from .factories import ReportFactory


def _statements(queries) -> list[str]:
    return [q["sql"] for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))]


def test_routing_and_claiming_a_new_report_is_eight_statements_after_the_token(
    streets, categories, rider, dispatcher_token, teams, api
):
    report = ReportFactory(
        reporter=rider, street=None, category=categories["traffic_light"], point=streets["DH"].centre
    )
    client = api(dispatcher_token)
    client.get("/api/v1/reports/categories/")  # the token's first use notes it (an UPDATE); later uses don't
    with CaptureQueriesContext(connection) as queries:
        response = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/")
    assert response.status_code == 200
    body = response.json()
    assert body["dispatch"]["lease"] is True and body["dispatch"]["delivered"] is False
    assert body["dispatch"]["delivery_id"] == f"r{report.pk}-t{teams['DH'].pk}-a1"
    # token, report (locked), street, team, attempt insert, report update, routed event, photos
    assert len(_statements(queries.captured_queries)) <= 8, "\n".join(_statements(queries.captured_queries))
    assert DeliveryAttempt.objects.filter(report=report, outcome="pending").count() == 1
    assert ReportEvent.objects.filter(report=report, kind="routed").count() == 1


def test_a_second_route_call_after_the_lease_expired_counts_attempts_once(
    streets, categories, rider, dispatcher_token, teams, api, settings
):
    settings.REPORTS_DELIVERY_LEASE_SECONDS = 0
    report = ReportFactory(
        reporter=rider, street=None, category=categories["traffic_light"], point=streets["DH"].centre
    )
    client = api(dispatcher_token)
    first = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/").json()["dispatch"]
    with CaptureQueriesContext(connection) as queries:
        second = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/").json()["dispatch"]
    assert first["attempt_key"].endswith("-n1") and second["attempt_key"].endswith("-n2")
    assert second["delivery_id"] == first["delivery_id"]
    # the first attempt's worker vanished: it is unknown now, not pending
    assert list(DeliveryAttempt.objects.filter(report=report).order_by("pk").values_list("outcome", flat=True)) == [
        "unknown",
        "pending",
    ]
    # token, report (locked), attempt counts, unknown update, attempt insert, lease update, photos
    assert len(_statements(queries.captured_queries)) <= 7, "\n".join(_statements(queries.captured_queries))


def test_a_report_the_team_already_has_is_not_sent_again(
    streets, categories, rider, dispatcher_token, teams, api, settings
):
    settings.REPORTS_DELIVERY_LEASE_SECONDS = 0
    report = ReportFactory(
        reporter=rider, street=None, category=categories["traffic_light"], point=streets["DH"].centre
    )
    client = api(dispatcher_token)
    key = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/").json()["dispatch"]["attempt_key"]
    recorded = client.post(
        f"/api/v1/dispatch/reports/{report.pk}/deliveries/",
        {"channel": "webhook", "outcome": "success", "status_code": 200},
        format="json",
        HTTP_IDEMPOTENCY_KEY=key,
    )
    assert recorded.status_code in (200, 201)
    again = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/").json()["dispatch"]
    assert again["lease"] is False and again["delivered"] is True
    assert DeliveryAttempt.objects.filter(report=report).count() == 1


def test_the_team_ranking_is_one_statement_and_keeps_its_order(streets, categories, teams, django_assert_num_queries):
    from reports.services import team_for

    manholes = ResponseTeam.objects.create(street=streets["DH"], name="东湖井盖组")
    manholes.categories.add(categories["manhole"])
    other = ResponseTeam.objects.create(street=streets["DH"], name="东湖绿化组")
    other.categories.add(categories["obstacle"])
    with django_assert_num_queries(1):
        assert team_for(street=streets["DH"], category=categories["manhole"]) == manholes
    assert team_for(street=streets["DH"], category=categories["traffic_light"]) == teams["DH"]  # catch-all
    ResponseTeam.objects.filter(pk=teams["DH"].pk).update(on_duty=False)
    assert team_for(street=streets["DH"], category=categories["traffic_light"]) == teams["fallback"]
    assert team_for(street=None, category=categories["manhole"]) == teams["fallback"]
