from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from chaoyang_friendly.errors import ApplicationError, NotFoundError
from partybranch.models import Attendance, VolunteerHours
from partybranch.selectors import hours_summary
from partybranch.services import (
    ForbiddenError,
    attendance_checkout,
    attendance_scan,
    hours_approve,
    hours_bulk_approve,
    hours_reject,
    hours_self_declare,
    registration_create,
)

from .factories import ActivityFactory, TeamFactory, child, me, spouse

SH = ZoneInfo("Asia/Shanghai")
DAY = datetime(2026, 7, 11, 9, 0, tzinfo=SH)


@pytest.fixture
def family_day(streets):
    with time_machine.travel(DAY - timedelta(days=3), tick=False):
        return ActivityFactory(street=streets["SJ"], sessions=[(DAY, DAY + timedelta(hours=3))])


@pytest.fixture
def volunteer_run(streets):
    with time_machine.travel(DAY - timedelta(days=3), tick=False):
        return ActivityFactory(
            street=streets["SJ"],
            kind="volunteer",
            title="骑手团为老年食堂送餐",
            family_allowed=False,
            sessions=[(DAY, DAY + timedelta(hours=3))],
        )


def _signup(activity, rider, *extra):
    with time_machine.travel(DAY - timedelta(days=2), tick=False):
        return registration_create(activity=activity, rider=rider, people=[me(rider), *extra], actor=rider)


def test_one_scan_checks_the_whole_family_in_and_a_second_scan_says_so(family_day, rider, staff_a):
    reg = _signup(family_day, rider, child(), spouse())
    session = family_day.sessions.get()
    with time_machine.travel(DAY + timedelta(minutes=5), tick=False):
        first = attendance_scan(session=session, qr_token=reg.qr_token, actor=staff_a)
        second = attendance_scan(session=session, qr_token=f"https://x/activities/scan/{reg.qr_token}/", actor=staff_a)
    assert first.checked_in == 3 and not first.already_checked_in
    assert second.checked_in == 0 and second.already_checked_in
    assert Attendance.objects.filter(session=session).count() == 3
    assert set(Attendance.objects.values_list("by", flat=True)) == {staff_a.pk}
    assert first.hours is None  # not a volunteer activity


def test_scans_are_refused_for_other_activities_waitlisted_and_out_of_window(streets, family_day, rider, staff_a):
    reg = _signup(family_day, rider)
    session = family_day.sessions.get()
    other = ActivityFactory(street=streets["SJ"], sessions=[(DAY, DAY + timedelta(hours=1))])
    with time_machine.travel(DAY, tick=False):
        with pytest.raises(NotFoundError):
            attendance_scan(session=other.sessions.get(), qr_token=reg.qr_token, actor=staff_a)
        with pytest.raises(NotFoundError):
            attendance_scan(session=session, qr_token="nonsense", actor=staff_a)
    with time_machine.travel(DAY - timedelta(days=1), tick=False), pytest.raises(ApplicationError, match="签到时间"):
        attendance_scan(session=session, qr_token=reg.qr_token, actor=staff_a)
    reg.status = "waitlisted"
    reg.save(update_fields=["status"])
    with time_machine.travel(DAY, tick=False), pytest.raises(ApplicationError, match="候补"):
        attendance_scan(session=session, qr_token=reg.qr_token, actor=staff_a)
    assert not Attendance.objects.exists()


def test_volunteer_check_in_and_out_make_one_approved_hours_record(volunteer_run, rider, staff_a):
    reg = _signup(volunteer_run, rider)
    session = volunteer_run.sessions.get()
    with time_machine.travel(DAY + timedelta(minutes=1), tick=False):
        scan = attendance_scan(session=session, qr_token=reg.qr_token, actor=staff_a)
    assert scan.hours.end is None and scan.hours.hours == 0
    with time_machine.travel(DAY + timedelta(hours=2, minutes=31), tick=False):
        out = attendance_checkout(session=session, qr_token=reg.qr_token, actor=staff_a)
        again = attendance_checkout(session=session, qr_token=reg.qr_token, actor=staff_a)
    record = VolunteerHours.objects.get()
    assert out.pk == again.pk == record.pk
    assert record.attendance.person.relationship == "self" and record.person == rider
    assert (record.source, record.status, record.hours) == ("scan", "approved", Decimal("2.50"))
    assert record.attendance.checked_out_at is not None
    assert hours_summary(user=rider).approved == Decimal("2.50")


def test_check_out_needs_a_check_in(volunteer_run, rider, staff_a):
    reg = _signup(volunteer_run, rider)
    with time_machine.travel(DAY, tick=False), pytest.raises(ApplicationError, match="尚未签到"):
        attendance_checkout(session=volunteer_run.sessions.get(), qr_token=reg.qr_token, actor=staff_a)


def test_self_declared_hours_count_only_after_approval(streets, rider, staff_a):
    team = TeamFactory(street=streets["SJ"])
    with time_machine.travel(DAY, tick=False):
        declared = hours_self_declare(
            person=rider, team=team, start=DAY - timedelta(hours=4), end=DAY - timedelta(hours=1), actor=rider
        )
    assert declared.status == "pending" and declared.hours == Decimal("3.00")
    before = hours_summary(user=rider)
    assert before.approved == 0 and before.pending == Decimal("3.00")
    hours_approve(hours=declared, actor=staff_a)
    after = hours_summary(user=rider)
    assert after.approved == Decimal("3.00") and after.pending == 0
    assert after.next_milestone == 100 and after.to_next == Decimal("97.00")
    assert [m["reached"] for m in after.milestones] == [False] * 5


def test_declarations_in_the_future_overlapping_or_too_long_are_refused(streets, rider):
    team = TeamFactory(street=streets["SJ"])
    with time_machine.travel(DAY, tick=False):
        with pytest.raises(ApplicationError, match="未来"):
            hours_self_declare(person=rider, team=team, start=DAY, end=DAY + timedelta(hours=1), actor=rider)
        with pytest.raises(ApplicationError, match="不能超过"):
            hours_self_declare(person=rider, team=team, start=DAY - timedelta(hours=20), end=DAY, actor=rider)
        hours_self_declare(person=rider, team=team, start=DAY - timedelta(hours=3), end=DAY, actor=rider)
        with pytest.raises(ApplicationError, match="重叠"):
            hours_self_declare(person=rider, team=team, start=DAY - timedelta(hours=1), end=DAY, actor=rider)


def test_only_the_street_of_the_hours_may_review_them(streets, rider, staff_a, staff_b, analyst):
    team = TeamFactory(street=streets["SJ"])
    with time_machine.travel(DAY, tick=False):
        declared = hours_self_declare(
            person=rider, team=team, start=DAY - timedelta(hours=2), end=DAY - timedelta(hours=1), actor=rider
        )
    with pytest.raises(NotFoundError):
        hours_approve(hours=declared, actor=staff_b)
    with pytest.raises(ForbiddenError):
        hours_approve(hours=declared, actor=analyst)
    hours_reject(hours=declared, actor=staff_a, reason="时间不符")
    declared.refresh_from_db()
    assert declared.status == "rejected" and "时间不符" in declared.note
    assert hours_summary(user=rider).approved == 0


def test_bulk_approve_takes_only_pending_in_scope(streets, rider, rider_b, staff_a):
    sj, slt = TeamFactory(street=streets["SJ"]), TeamFactory(street=streets["SLT"])
    with time_machine.travel(DAY, tick=False):
        mine = [
            hours_self_declare(person=r, team=sj, start=DAY - timedelta(hours=2), end=DAY, actor=r)
            for r in (rider, rider_b)
        ]
        theirs = hours_self_declare(
            person=rider, team=slt, start=DAY - timedelta(hours=5), end=DAY - timedelta(hours=3), actor=rider
        )
    assert hours_bulk_approve(queryset=VolunteerHours.objects.all(), actor=staff_a) == 2
    assert {h.status for h in VolunteerHours.objects.filter(pk__in=[h.pk for h in mine])} == {"approved"}
    theirs.refresh_from_db()
    assert theirs.status == "pending"


def test_milestones_are_reached_by_approved_hours(streets, rider, staff_a):
    from partybranch.services import hours_staff_enter

    team = TeamFactory(street=streets["SJ"])
    start = DAY - timedelta(days=20)
    with time_machine.travel(DAY, tick=False):
        for day in range(11):  # 11 × 10 h = 110 h
            s = start + timedelta(days=day)
            hours_staff_enter(person=rider, team=team, start=s, end=s + timedelta(hours=10), actor=staff_a)
    summary = hours_summary(user=rider)
    assert summary.approved == Decimal("110.00")
    assert [m["hours"] for m in summary.milestones if m["reached"]] == [100]
    assert summary.next_milestone == 300
