from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.sms import read_sms_files
from jurisdictions.models import Street
from reports.models import DeliveryAttempt, Report, ReportEvent, ResponseTeam
from reports.services import report_route

from .factories import ReportFactory, jpeg_upload


def _report(streets, categories, rider, code="DH", category="traffic_light", **kw):
    return ReportFactory(reporter=rider, street=streets[code], category=categories[category], **kw)


def test_every_street_centre_routes_to_that_street(streets, categories, rider, dispatcher):
    fallback = ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True)
    for code, street in streets.items():
        report = ReportFactory(reporter=rider, street=None, category=categories["obstacle"], point=street.centre)
        routed = report_route(report_id=report.pk, actor=dispatcher)
        assert routed.street_id == street.pk, code
        assert routed.team == fallback  # no street team exists yet
    assert Report.objects.filter(status="routed").count() == 43


def test_a_point_on_a_shared_border_routes_deterministically(streets, categories, rider, dispatcher):
    ResponseTeam.objects.create(name="区应急指挥中心", is_district_fallback=True)
    a, b = streets["SJ"], None
    for other in Street.objects.exclude(pk=a.pk):
        if other.boundary.touches(a.boundary) or other.boundary.intersects(a.boundary):
            b = other
            break
    assert b is not None
    shared = a.boundary.intersection(b.boundary)
    vertex = shared.coords[0] if shared.geom_type == "LineString" else shared[0].coords[0]
    from django.contrib.gis.geos import Point

    point = Point(*vertex, srid=4326)
    assert a.boundary.intersects(point) and b.boundary.intersects(point)
    report = ReportFactory(reporter=rider, street=None, category=categories["obstacle"], point=point)
    routed = report_route(report_id=report.pk, actor=dispatcher)
    assert routed.street.code == min(a.code, b.code)


def test_route_picks_the_street_team_for_the_category_before_catch_all_and_fallback(
    streets, categories, rider, dispatcher, teams
):
    manholes = ResponseTeam.objects.create(street=streets["DH"], name="东湖井盖组", sms_phone="13700000011")
    manholes.categories.add(categories["manhole"])
    off_duty = ResponseTeam.objects.create(street=streets["SJ"], name="双井夜班", on_duty=False)
    off_duty.categories.add(categories["manhole"])
    cases = [
        ("DH", "manhole", manholes),
        ("DH", "waterlogging", teams["DH"]),
        ("SJ", "manhole", teams["SJ"]),
        ("SLT", "manhole", teams["fallback"]),
    ]
    for code, cat, expected in cases:
        report = _report(streets, categories, rider, code, cat, point=streets[code].centre)
        assert report_route(report_id=report.pk, actor=dispatcher).team == expected, (code, cat)


def test_route_is_idempotent_and_sets_sla_due_times(streets, categories, rider, dispatcher_token, teams, api):
    report = _report(streets, categories, rider, point=streets["DH"].centre)
    client = api(dispatcher_token)
    first = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/")
    assert first.status_code == 200
    # the team changes between calls; the assignment must not
    ResponseTeam.objects.filter(pk=teams["DH"].pk).update(on_duty=False)
    second = client.post(f"/api/v1/dispatch/reports/{report.pk}/route/")
    first_dispatch, second_dispatch = first.json().pop("dispatch"), second.json().pop("dispatch")
    assert {k: v for k, v in first.json().items() if k != "dispatch"} == {
        k: v for k, v in second.json().items() if k != "dispatch"
    }
    # Only the first caller may send now (the delivery lease); the second backs off.
    assert first_dispatch["lease"] is True and second_dispatch["lease"] is False
    assert first_dispatch["team"] == second_dispatch["team"]
    assert first.json()["team"] == teams["DH"].pk and first.json()["street"] == "DH"
    report.refresh_from_db()
    assert report.arrival_due_at == report.created_at + timedelta(minutes=10)
    assert report.resolve_due_at == report.created_at + timedelta(minutes=120)
    assert ReportEvent.objects.filter(report=report, kind="routed").count() == 1


def test_dispatch_endpoints_need_the_dispatcher_token(streets, categories, rider, team_token, api):
    report = _report(streets, categories, rider, point=streets["DH"].centre)
    for client in (api(rider), api(team_token)):
        assert client.post(f"/api/v1/dispatch/reports/{report.pk}/route/").status_code == 403
        assert client.get(f"/api/v1/dispatch/reports/{report.pk}/").status_code == 403
    assert api(None).post("/api/v1/dispatch/sweep/").status_code in {401, 403}


def test_payload_and_deliveries_with_idempotency_key(streets, categories, rider, dispatcher_token, teams, api):
    teams["DH"].webhook_url = "http://127.0.0.1:9/hook"
    teams["DH"].save(update_fields=["webhook_url"])
    report = _report(streets, categories, rider, point=streets["DH"].centre)
    client = api(dispatcher_token)
    client.post(f"/api/v1/dispatch/reports/{report.pk}/route/")
    payload = client.get(f"/api/v1/dispatch/reports/{report.pk}/").json()
    assert payload["delivered"] is False and payload["open"] is True
    assert payload["team"]["webhook_url"] == "http://127.0.0.1:9/hook"
    assert payload["team"]["webhook_secret"] == "dh-secret"
    assert payload["message"]["report"]["id"] == report.pk
    assert payload["message"]["report"]["events_url"].endswith(f"/api/v1/reports/{report.pk}/events/")
    assert "东湖" in payload["sms_text"]

    url = f"/api/v1/dispatch/reports/{report.pk}/deliveries/"
    route = f"/api/v1/dispatch/reports/{report.pk}/route/"
    assert client.post(route).json()["dispatch"]["lease"] is False  # the first route call holds it
    # The first route call's lease expires (its worker vanished): the next caller sends again, under the
    # same delivery id, and the vanished attempt is marked unknown.
    DeliveryAttempt.objects.filter(report=report).update(at=timezone.now())
    Report.objects.filter(pk=report.pk).update(delivery_lease_until=timezone.now() - timedelta(seconds=1))
    first = client.post(route).json()["dispatch"]
    delivery_id = f"r{report.pk}-t{teams['DH'].pk}-a1"
    assert first["lease"] is True and first["delivery_id"] == delivery_id and first["channel"] == "webhook"
    assert client.post(url, {"channel": "webhook", "outcome": "failure"}, format="json").status_code == 400  # no key
    fail = client.post(
        url,
        {"channel": "webhook", "outcome": "failure", "status_code": 500, "error": "http", "retry_in": 2},
        format="json",
        HTTP_IDEMPOTENCY_KEY=first["attempt_key"],
    )
    assert fail.status_code == 201
    second = client.post(route).json()["dispatch"]  # the failed attempt freed the lease for a retry
    assert second["lease"] is True and second["delivery_id"] == delivery_id
    assert second["attempt_key"] != first["attempt_key"]
    again = client.post(
        url, {"channel": "webhook", "outcome": "success"}, format="json", HTTP_IDEMPOTENCY_KEY=first["attempt_key"]
    )
    assert again.status_code == 200 and again.json() == fail.json()  # same key, same answer
    ok = client.post(
        url,
        {"channel": "webhook", "outcome": "success", "status_code": 200},
        format="json",
        HTTP_IDEMPOTENCY_KEY=second["attempt_key"],
    )
    assert ok.status_code == 201
    outcomes = list(DeliveryAttempt.objects.filter(report=report).order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["unknown", "failure", "success"]
    assert set(DeliveryAttempt.objects.filter(report=report).values_list("delivery_id", flat=True)) == {delivery_id}
    report.refresh_from_db()
    assert report.status == "delivered" and report.delivered_at
    assert client.get(f"/api/v1/dispatch/reports/{report.pk}/").json()["delivered"] is True
    assert client.post(route).json()["dispatch"]["lease"] is False  # nothing more to send
    kinds = list(ReportEvent.objects.filter(report=report).values_list("kind", flat=True))
    assert kinds == ["routed", "delivery_failed", "delivered"]
    other = _report(streets, categories, rider, point=streets["DH"].centre)
    clash = client.post(
        f"/api/v1/dispatch/reports/{other.pk}/deliveries/",
        {"channel": "sms", "outcome": "success"},
        format="json",
        HTTP_IDEMPOTENCY_KEY=second["attempt_key"],
    )
    assert clash.status_code == 409


def test_sweep_lists_stuck_reports_and_escalates_overdue_ones_once(
    streets, categories, rider, dispatcher, dispatcher_token, teams, api, django_capture_on_commit_callbacks
):
    client = api(dispatcher_token)
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        stuck = _report(streets, categories, rider, point=streets["DH"].centre)
        late = _report(streets, categories, rider, point=streets["DH"].centre)
        report_route(report_id=late.pk, actor=dispatcher)
        # Routed with no retry chain alive: nobody is sending it, so it goes back on the queue at once.
        assert client.post("/api/v1/dispatch/sweep/").json() == {"redispatch": [late.pk], "escalated": []}
    with time_machine.travel(start + timedelta(seconds=30), tick=False):
        # The chain the last sweep started is alive for its grace period: no second one.
        assert client.get("/api/v1/dispatch/pending/").json()["redispatch"] == []
    with time_machine.travel(start + timedelta(seconds=90), tick=False):
        assert client.get("/api/v1/dispatch/pending/").json()["redispatch"] == [stuck.pk, late.pk]
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        with django_capture_on_commit_callbacks(execute=True):  # the SMS goes out after commit
            result = client.post("/api/v1/dispatch/sweep/").json()
        assert result["escalated"] == [stuck.pk, late.pk]  # never routed; past the arrival SLA
        assert stuck.pk in result["redispatch"] and late.pk in result["redispatch"]  # routed, never delivered
        assert client.post("/api/v1/dispatch/sweep/").json()["escalated"] == []
    event = ReportEvent.objects.get(report=late, kind="escalated")
    assert event.data == {"sla": "arrival"}
    assert ReportEvent.objects.get(report=stuck, kind="escalated").data == {"sla": "routing"}
    sms = read_sms_files("13700000009")
    texts = " ".join(m["text"] for m in sms)
    assert len(sms) == 2 and f"#{stuck.pk}（" in texts and f"#{late.pk}（" in texts


@pytest.fixture
def routed(streets, categories, rider, dispatcher, teams):
    report = _report(streets, categories, rider, point=streets["DH"].centre)
    return report_route(report_id=report.pk, actor=dispatcher)


def test_the_team_acknowledges_arrives_and_resolves_with_an_after_photo(routed, team_token, api, rider):
    client = api(team_token)
    url = f"/api/v1/reports/{routed.pk}/events/"
    assert client.post(url, {"kind": "acknowledge"}, format="multipart").json()["status"] == "acknowledged"
    assert client.post(url, {"kind": "acknowledge"}, format="multipart").status_code == 200  # retried: harmless
    assert client.post(url, {"kind": "on_site"}, format="multipart").json()["status"] == "on_site"
    no_photo = client.post(url, {"kind": "resolve"}, format="multipart")
    assert no_photo.status_code == 400 and "照片" in no_photo.json()["detail"]
    done = client.post(url, {"kind": "resolve", "photo": jpeg_upload()}, format="multipart")
    assert done.status_code == 200
    assert [p["kind"] for p in done.json()["photos"]] == ["after"]
    assert client.post(url, {"kind": "reject", "reason": "x"}, format="multipart").status_code == 409
    timeline = api(rider).get(f"/api/v1/reports/{routed.pk}/").json()["events"]
    assert [e["kind"] for e in timeline] == ["routed", "acknowledged", "on_site", "resolved"]
    assert timeline[1]["actor"] == "应急队成员"


def test_reject_needs_a_reason(routed, team_token, api):
    url = f"/api/v1/reports/{routed.pk}/events/"
    assert api(team_token).post(url, {"kind": "reject"}, format="json").status_code == 400
    response = api(team_token).post(url, {"kind": "reject", "reason": "非本辖区问题"}, format="json")
    assert response.json()["status"] == "rejected" and response.json()["status_note"] == "非本辖区问题"


def test_a_team_sees_and_moves_only_its_own_reports(streets, categories, rider, dispatcher, teams, team_token, api):
    sj = _report(streets, categories, rider, "SJ", point=streets["SJ"].centre)
    report_route(report_id=sj.pk, actor=dispatcher)
    client = api(team_token)
    assert client.post(f"/api/v1/reports/{sj.pk}/events/", {"kind": "acknowledge"}, format="json").status_code == 404
    assert client.get(f"/api/v1/reports/{sj.pk}/").status_code == 404
    assert client.get("/api/v1/reports/team/").json()["results"] == []
    dh = _report(streets, categories, rider, point=streets["DH"].centre)
    report_route(report_id=dh.pk, actor=dispatcher)
    assert [r["id"] for r in client.get("/api/v1/reports/team/").json()["results"]] == [dh.pk]
    sj.refresh_from_db()
    assert sj.status == "routed"
