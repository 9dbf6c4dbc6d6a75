from datetime import timedelta

import time_machine
from django.utils import timezone

from reports.models import Report, ReportEvent
from reports.services import report_route

from .factories import ReportFactory

URL = "/admin/reports/report/"


def _routed(streets, categories, rider, dispatcher, code):
    report = ReportFactory(
        reporter=rider, street=streets[code], category=categories["manhole"], point=streets[code].centre
    )
    return report_route(report_id=report.pk, actor=dispatcher)


def test_street_staff_see_only_their_street_queue(
    streets,
    categories,
    rider,
    dispatcher,
    teams,
    staff_a,
    staff_b,
    analyst,
    admin_client_for,
    django_assert_max_num_queries,
):
    sj = _routed(streets, categories, rider, dispatcher, "SJ")
    dh = _routed(streets, categories, rider, dispatcher, "DH")
    client = admin_client_for(staff_a)
    # session, user, counts, the page of reports (category, street, team joined), the team choices, …
    with django_assert_max_num_queries(12):
        response = client.get(URL)
    assert response.status_code == 200
    ids = [r.pk for r in response.context["cl"].result_list]
    assert ids == [sj.pk]
    assert [p["id"] for p in response.context["report_points"]] == [sj.pk]
    assert client.get(f"{URL}{dh.pk}/change/").status_code == 302  # not theirs: redirected away, not shown
    page = client.get(f"{URL}{sj.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'class="reports-map"' in html and "leaflet/leaflet.js" in html  # the map
    assert "派单" in html and "138****0002" not in html  # the timeline inline; the reporter masked
    assert rider.phone not in html
    assert [r.pk for r in admin_client_for(staff_b).get(URL).context["cl"].result_list] == []
    assert {r.pk for r in admin_client_for(analyst).get(URL).context["cl"].result_list} == {sj.pk, dh.pk}


def test_the_overdue_filter(streets, categories, rider, dispatcher, teams, staff_a, admin_client_for):
    start = timezone.now()
    with time_machine.travel(start - timedelta(minutes=30), tick=False):
        old = _routed(streets, categories, rider, dispatcher, "SJ")
    fresh = _routed(streets, categories, rider, dispatcher, "SJ")
    client = admin_client_for(staff_a)
    assert [r.pk for r in client.get(URL, {"overdue": "yes"}).context["cl"].result_list] == [old.pk]
    assert [r.pk for r in client.get(URL, {"overdue": "no"}).context["cl"].result_list] == [fresh.pk]


def _act(client, action, ids, **extra):
    return client.post(
        URL, {"action": action, "_selected_action": [str(i) for i in ids], "index": 0, **extra}, follow=True
    )


def test_admin_actions_write_timeline_events(streets, categories, rider, dispatcher, teams, staff_a, admin_client_for):
    a = _routed(streets, categories, rider, dispatcher, "SJ")
    b = _routed(streets, categories, rider, dispatcher, "SJ")
    client = admin_client_for(staff_a)

    _act(client, "reassign_team", [a.pk], team=teams["fallback"].pk)
    a.refresh_from_db()
    assert a.team == teams["fallback"] and a.status == "routed"
    response = _act(client, "reassign_team", [a.pk], team=teams["DH"].pk)  # another street's team: refused
    a.refresh_from_db()
    assert a.team == teams["fallback"] and "请选择" in response.content.decode()

    _act(client, "mark_duplicate", [b.pk], original=a.pk)
    b.refresh_from_db()
    assert b.status == "duplicate" and b.duplicate_of == a and a.supporters.filter(pk=rider.pk).exists()

    _act(client, "reject", [a.pk], reason="")
    a.refresh_from_db()
    assert a.status == "routed"  # a reason is required
    _act(client, "reject", [a.pk], reason="已由交管部门处理")
    a.refresh_from_db()
    assert a.status == "rejected"
    _act(client, "reopen", [a.pk], reason="骑手反馈仍未修复")
    a.refresh_from_db()
    assert a.status == "routed" and a.closed_at is None

    kinds = list(ReportEvent.objects.filter(report=a).values_list("kind", flat=True))
    assert kinds == ["routed", "reassigned", "rejected", "reopened"]
    assert ReportEvent.objects.filter(report=b, kind="duplicate", actor=staff_a).count() == 1


def test_staff_cannot_act_on_another_streets_report(
    streets, categories, rider, dispatcher, teams, staff_a, admin_client_for
):
    dh = _routed(streets, categories, rider, dispatcher, "DH")
    _act(admin_client_for(staff_a), "reject", [dh.pk], reason="x")
    dh.refresh_from_db()
    assert dh.status == "routed"
    assert Report.objects.filter(status="rejected").count() == 0


def test_street_staff_cannot_edit_categories(categories, staff_a, admin_client_for):
    client = admin_client_for(staff_a)
    assert client.get(f"/admin/reports/category/{categories['manhole'].pk}/change/").status_code == 200  # view only
    client.post(f"/admin/reports/category/{categories['manhole'].pk}/change/", {"name": "x", "code": "manhole"})
    categories["manhole"].refresh_from_db()
    assert categories["manhole"].name == "井盖缺失"
