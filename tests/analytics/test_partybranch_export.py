import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from partybranch.models import Activity, Attendance, Registration, RegistrationPerson, VolunteerHours
from tests.partybranch.factories import ActivityFactory, RiderFactory, TeamFactory

SH = ZoneInfo("Asia/Shanghai")
DAY = dt.datetime(2026, 10, 10, 9, 0, tzinfo=SH)


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def _family(activity, status, size, attended=0):
    reg = Registration.objects.create(activity=activity, rider=RiderFactory(), status=status, people=size)
    people = [
        RegistrationPerson.objects.create(
            registration=reg, name=f"人{i}", relationship="self" if i == 0 else "child", age=30 if i == 0 else 8
        )
        for i in range(size)
    ]
    session = activity.sessions.first()
    for person in people[:attended]:
        Attendance.objects.create(session=session, person=person, at=session.start)
    return reg


@pytest.fixture
def family_day(streets):
    activity = ActivityFactory(
        street=streets["AYC"], capacity=10, sessions=[(DAY, DAY + dt.timedelta(hours=3))], title="奥运村家庭日"
    )
    _family(activity, Registration.Status.CONFIRMED, 3, attended=3)
    _family(activity, Registration.Status.CONFIRMED, 2, attended=1)
    _family(activity, Registration.Status.CONFIRMED, 3)
    _family(activity, Registration.Status.WAITLISTED, 3)
    Activity.objects.filter(pk=activity.pk).update(confirmed_people=8)
    ActivityFactory(
        street=streets["SJ"], sessions=[(DAY + dt.timedelta(days=40), DAY + dt.timedelta(days=40, hours=2))]
    )
    return activity


def test_activities_export_counts_registrations_and_attendance(family_day, analyst, admin_client_for):
    rows = _csv(
        admin_client_for(analyst).get(
            "/analytics/exports/activities.csv", {"date_from": "2026-10-01", "date_to": "2026-10-31"}
        )
    )
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["活动"] == "奥运村家庭日"
    assert record["类型"] == "家庭日"
    assert record["首场开始"] == "2026-10-10 09:00:00"
    assert (record["名额(人)"], record["已确认(人)"], record["候补(人)"], record["实到(人)"]) == ("10", "8", "3", "4")
    assert record["出勤率(%)"] == "50.0"


def test_volunteer_hours_count_only_approved_hours(streets, analyst, staff_b, admin_client_for):
    volunteer = RiderFactory(name="骑手团成员")
    team = TeamFactory(street=streets["TJH"])
    start = timezone.now() - dt.timedelta(days=2)

    def hours(value, status, source=VolunteerHours.Source.SCAN):
        VolunteerHours.objects.create(
            person=volunteer,
            street=streets["TJH"],
            team=team,
            start=start,
            end=start + dt.timedelta(hours=float(value)),
            hours=Decimal(value),
            source=source,
            status=status,
        )

    hours("2.5", VolunteerHours.Status.APPROVED)
    hours("1.5", VolunteerHours.Status.APPROVED)
    hours("3.0", VolunteerHours.Status.PENDING, VolunteerHours.Source.SELF_DECLARED)
    rows = _csv(admin_client_for(analyst).get("/analytics/exports/volunteer-hours.csv"))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert (record["记录数"], record["已认定时长(小时)"], record["待审核时长(小时)"]) == ("3", "4.00", "3.00")
    assert record["手机号"].count("*") == 4
    team_rows = _csv(admin_client_for(analyst).get("/analytics/exports/volunteer-team-hours.csv"))
    assert team_rows[1][2:] == ["1", "4.00"]
    # 三里屯 staff see nothing of 团结湖
    assert len(_csv(admin_client_for(staff_b).get("/analytics/exports/volunteer-hours.csv"))) == 1


def test_participation_per_month(family_day, analyst, admin_client_for):
    Registration.objects.update(created_at=DAY - dt.timedelta(days=3))
    data = (
        admin_client_for(analyst)
        .get("/analytics/charts/participation.json", {"date_from": "2026-09-01", "date_to": "2026-11-30"})
        .json()
    )
    assert data["labels"] == ["2026-10"]
    series = {ds["label"]: ds["data"] for ds in data["datasets"]}
    assert series["报名人数(已确认)"] == [8]
    assert series["实到人次"] == [4]
