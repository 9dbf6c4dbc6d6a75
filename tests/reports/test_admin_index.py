"""The admin index as a clerk's work-first page (issue 15): counts of what needs doing in their street (district
staff: every street), each linking to the filtered list; a greeting by name, street and role, never the
phone number; links to the stations' QR sheet and coverage pages, which had none."""

import re
from datetime import timedelta

import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from housing.services import application_submit
from partybranch.services import hours_self_declare
from reports.models import Report
from reports.services import report_route
from stations.models import Feedback
from tests.housing.factories import ProjectFactory, make_rider, make_room_type, tomorrow
from tests.partybranch.factories import RiderFactory, TeamFactory
from tests.stations.factories import StationFactory

from .factories import ReportFactory


def _count(html: str, key: str) -> tuple[int, str]:
    match = re.search(rf'id="work-{key}" href="([^"]+)">\s*<span class="n">(\d+)</span>', html)
    assert match, key
    return int(match.group(2)), match.group(1).replace("&amp;", "&")


def _work(streets, categories, rider, dispatcher):
    """In 双井 (SJ): one overdue report, one on time, an application on the waitlist, hours to approve,
    two open feedbacks and a handled one; in 三里屯 (SLT) one of each kind too."""
    for code, minutes_ago in (("SJ", 60), ("SJ", 1), ("SLT", 60)):
        with time_machine.travel(timezone.now() - timedelta(minutes=minutes_ago), tick=False):
            report = ReportFactory(
                reporter=rider, street=streets[code], category=categories["manhole"], point=streets[code].centre
            )
            report_route(report_id=report.pk, actor=dispatcher)
    for code in ("SJ", "SLT"):
        room_type = make_room_type(rooms=0, project=ProjectFactory(street=streets[code]))  # full: waitlisted
        application_submit(
            rider=make_rider(street_code=code),
            project=room_type.project,
            room_types=[room_type],
            household_kind=room_type.household,
            gender="male",
            move_in_date=tomorrow(),
        )
        volunteer, now = RiderFactory(), timezone.now()
        team = TeamFactory(street=streets[code])
        hours_self_declare(person=volunteer, team=team, start=now - timedelta(hours=3), end=now, actor=volunteer)
    station = StationFactory()  # 双井
    other = StationFactory(point=streets["SLT"].centre, street=streets["SLT"])
    Feedback.objects.create(station=station, rider=rider, kind="broken")
    Feedback.objects.create(station=station, rider=rider, kind="wrong_hours", status="in_progress")
    Feedback.objects.create(station=station, rider=rider, kind="broken", status="handled")
    Feedback.objects.create(station=other, rider=rider, kind="broken")


def test_a_street_clerk_sees_their_streets_work_and_is_greeted_by_name(
    streets, categories, rider, dispatcher, teams, staff_a, admin_client_for
):
    _work(streets, categories, rider, dispatcher)
    client = admin_client_for(staff_a)
    html = client.get("/admin/").content.decode()
    overdue, url = _count(html, "reports_overdue")
    assert overdue == 1 and url == "/admin/reports/report/?overdue=yes"
    shown = [r.pk for r in client.get(url).context["cl"].result_list]
    assert shown == list(Report.objects.for_user(staff_a).overdue(timezone.now()).values_list("pk", flat=True))
    count, url = _count(html, "applications_to_allocate")
    assert count == 1 and len(client.get(url).context["cl"].result_list) == 1
    count, url = _count(html, "hours_to_approve")
    assert count == 1 and len(client.get(url).context["cl"].result_list) == 1
    count, url = _count(html, "feedback_to_handle")
    assert count == 2 and len(client.get(url).context["cl"].result_list) == 2
    # The greeting: name, street and role; the phone number nowhere in the header.
    header = html[html.index('<div id="user-tools">') : html.index("</header>")]
    assert "双井工作人员" in header and "双井街道 · 街道工作人员" in header
    assert staff_a.phone not in header and "138****0002" not in header
    # The QR sheet has a link now; coverage is the district's page.
    assert 'href="/admin/stations/station/qr-sheet/"' in html
    assert "/admin/stations/station/coverage/" not in html


def test_district_staff_see_every_streets_counts_and_the_coverage_link(
    streets, categories, rider, dispatcher, teams, analyst, admin_client_for
):
    _work(streets, categories, rider, dispatcher)
    html = admin_client_for(analyst).get("/admin/").content.decode()
    assert _count(html, "reports_overdue")[0] == 2
    assert _count(html, "applications_to_allocate")[0] == 2
    assert _count(html, "hours_to_approve")[0] == 2
    assert _count(html, "feedback_to_handle")[0] == 3
    header = html[html.index('<div id="user-tools">') : html.index("</header>")]
    assert "区分析员" in header and "全区" in header and analyst.phone not in header
    assert 'href="/admin/stations/station/coverage/"' in html and 'href="/admin/stations/station/qr-sheet/"' in html
    assert 'href="/analytics/dashboard/"' in html


def test_the_greeting_costs_no_query_on_other_admin_pages(staff_a, admin_client_for):
    client = admin_client_for(staff_a)
    with CaptureQueriesContext(connection) as queries:  # the street's name was kept in the session at login
        html = client.get("/admin/reports/category/").content.decode()
    assert not [q for q in queries.captured_queries if "jurisdictions_street" in q["sql"]]
    assert "双井街道 · 街道工作人员" in html and staff_a.phone not in html
