"""No hard delete of citizens' records by street staff (issue 14, finding 7): no delete page, no "delete
selected" action; status changes with a timeline event instead. District superusers may delete, audited."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.utils import timezone

from accounts.models import User
from housing.models import Application, Lease
from housing.services import application_submit, bed_allocate, lease_end
from partybranch.models import AuditEvent, Registration, VolunteerHours
from partybranch.services import registration_create
from reports.models import Report
from reports.services import categories_ensure
from tests.housing.factories import default_rules, make_rider, make_room_type, tomorrow
from tests.partybranch.factories import ActivityFactory, TeamFactory, me
from tests.reports.factories import ReportFactory


@pytest.fixture
def records(streets, rider, staff_a) -> dict:
    """One report, application, active lease, registration and volunteer-hours row in 双井 (SJ)."""
    categories = {c.code: c for c in categories_ensure()}
    report = ReportFactory(reporter=rider, street=streets["SJ"], category=categories["manhole"])
    default_rules()
    dorm = make_room_type(beds=2, rooms=1)
    tenant, applicant = make_rider(), make_rider()
    to_lease = application_submit(
        rider=tenant,
        project=dorm.project,
        room_types=[dorm],
        household_kind=dorm.household,
        gender="male",
        move_in_date=tomorrow(),
    )
    application = application_submit(
        rider=applicant,
        project=dorm.project,
        room_types=[dorm],
        household_kind=dorm.household,
        gender="male",
        move_in_date=tomorrow(),
    )
    lease = bed_allocate(bed=dorm.rooms.first().beds.first(), application=to_lease, actor=staff_a)
    activity = ActivityFactory(street=streets["SJ"])
    registration = registration_create(activity=activity, rider=rider, people=[me(rider)], actor=rider)
    start = timezone.now() - timedelta(days=1)
    hours = VolunteerHours.objects.create(
        person=rider,
        street=streets["SJ"],
        team=TeamFactory(street=streets["SJ"]),
        start=start,
        end=start + timedelta(hours=2),
        hours=2,
        source="self_declared",
        status="pending",
    )
    return {
        "reports/report": report,
        "housing/application": application,
        "housing/lease": lease,
        "partybranch/registration": registration,
        "partybranch/volunteerhours": hours,
    }


@pytest.mark.parametrize(
    "path",
    [
        "reports/report",
        "housing/application",
        "housing/lease",
        "partybranch/registration",
        "partybranch/volunteerhours",
    ],
)
def test_street_staff_get_403_on_the_delete_page_and_no_delete_action(path, records, staff_a, admin_client_for):
    obj = records[path]
    client = admin_client_for(staff_a)
    assert client.get(f"/admin/{path}/{obj.pk}/delete/").status_code == 403
    assert client.post(f"/admin/{path}/{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    changelist = client.get(f"/admin/{path}/")
    assert changelist.status_code == 200
    actions = [name for name, _label in changelist.context["action_form"].fields["action"].choices]
    assert "delete_selected" not in actions and len(actions) > 1  # a status change is offered instead
    client.post(f"/admin/{path}/", {"action": "delete_selected", "_selected_action": [obj.pk], "post": "yes"})
    assert type(obj).objects.filter(pk=obj.pk).exists()
    assert not staff_a.has_perm(f"{obj._meta.app_label}.delete_{obj._meta.model_name}")


def test_street_staff_reject_an_application_instead_with_a_history_row(records, staff_a, admin_client_for):
    application = records["housing/application"]
    admin_client_for(staff_a).post(
        "/admin/housing/application/", {"action": "reject", "_selected_action": [application.pk]}
    )
    application.refresh_from_db()
    assert application.status == Application.Status.REJECTED
    change = application.status_changes.last()
    assert (change.to_status, change.actor) == ("rejected", staff_a)


@pytest.fixture
def superuser(streets) -> User:
    return User.objects.create_superuser("13800000099", password="Demo-Pass-2026!", name="区管理员")


def test_a_superuser_deletes_a_report_and_it_is_logged(records, superuser, admin_client_for):
    report = records["reports/report"]
    client = admin_client_for(superuser)
    assert client.post(f"/admin/reports/report/{report.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Report.objects.filter(pk=report.pk).exists()
    entry = LogEntry.objects.get(object_id=str(report.pk), content_type__model="report")
    assert (entry.action_flag, entry.user) == (DELETION, superuser)


def test_a_superuser_deletes_registrations_and_hours_with_an_app_audit_event(records, superuser, admin_client_for):
    registration, hours = records["partybranch/registration"], records["partybranch/volunteerhours"]
    client = admin_client_for(superuser)
    response = client.post(
        "/admin/partybranch/registration/",
        {"action": "delete_selected", "_selected_action": [registration.pk], "post": "yes"},
    )
    assert response.status_code == 302 and not Registration.objects.filter(pk=registration.pk).exists()
    client.post(f"/admin/partybranch/volunteerhours/{hours.pk}/delete/", {"post": "yes"})
    assert not VolunteerHours.objects.filter(pk=hours.pk).exists()
    events = AuditEvent.objects.filter(verb=AuditEvent.Verb.DELETED, actor=superuser)
    assert {(e.detail["model"], e.detail["id"]) for e in events} == {
        ("registration", registration.pk),
        ("volunteerhours", hours.pk),
    }
    assert LogEntry.objects.filter(action_flag=DELETION, user=superuser).count() == 2


def test_a_superuser_must_end_a_lease_before_deleting_it(records, superuser, admin_client_for):
    lease = records["housing/lease"]
    client = admin_client_for(superuser)
    assert client.get(f"/admin/housing/lease/{lease.pk}/delete/").status_code == 403
    lease_end(lease=lease, actor=superuser)
    assert client.post(f"/admin/housing/lease/{lease.pk}/delete/", {"post": "yes"}).status_code == 302
    assert not Lease.objects.filter(pk=lease.pk).exists()
