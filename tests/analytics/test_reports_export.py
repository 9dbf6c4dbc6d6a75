"""The reports export and charts against hand-made reports with known times."""

import csv
import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest

from reports.models import Report
from tests.reports.factories import CategoryFactory, ReportFactory, TeamFactory

SH = ZoneInfo("Asia/Shanghai")
T0 = dt.datetime(2026, 10, 5, 9, 0, tzinfo=SH)


def _at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def _report(street, team, *, delivered, on_site, resolved=None, created=T0, reporter, category):
    report = ReportFactory(
        street=street,
        team=team,
        reporter=reporter,
        category=category,
        status=Report.Status.RESOLVED if resolved is not None else Report.Status.ON_SITE,
        routed_at=created + dt.timedelta(seconds=20),
        delivered_at=created + dt.timedelta(minutes=delivered),
        acknowledged_at=created + dt.timedelta(minutes=delivered + 0.5),
        on_site_at=created + dt.timedelta(minutes=on_site),
        closed_at=created + dt.timedelta(minutes=resolved) if resolved is not None else None,
        arrival_due_at=created + dt.timedelta(minutes=10),
        resolve_due_at=created + dt.timedelta(minutes=120),
    )
    Report.objects.filter(pk=report.pk).update(created_at=created)
    return report


@pytest.fixture
def known(streets, rider):
    category = CategoryFactory(code="signal", name="信号灯故障")
    dh = TeamFactory(street=streets["DH"], name="东湖街道应急队")
    sj = TeamFactory(street=streets["SJ"], name="双井街道应急队")
    reports = [
        _report(streets["DH"], dh, delivered=0.5, on_site=8, resolved=40, reporter=rider, category=category),
        _report(streets["DH"], dh, delivered=1.5, on_site=12, reporter=rider, category=category),
        _report(streets["DH"], dh, delivered=1.0, on_site=6, created=_at(60 * 24), reporter=rider, category=category),
        _report(streets["SJ"], sj, delivered=2.0, on_site=9, resolved=200, reporter=rider, category=category),
    ]
    return reports


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def test_one_row_per_report_with_times_minutes_and_sla(known, analyst, admin_client_for):
    rows = _csv(
        admin_client_for(analyst).get(
            "/analytics/exports/reports.csv", {"date_from": "2026-10-01", "date_to": "2026-10-31"}
        )
    )
    header, first = rows[0], rows[1]
    assert header[:7] == ["编号", "类别", "街道", "应急队", "状态", "上报人手机", "上报时间"]
    record = dict(zip(header, first, strict=True))
    assert record["上报时间"] == "2026-10-05 09:00:00"
    assert record["送达时间"] == "2026-10-05 09:00:30"
    assert record["上报→送达应急队(分钟)"] == "0.5"
    assert record["上报→到场(分钟)"] == "8.0"
    assert record["上报→处置(分钟)"] == "40.0"
    assert record["到场达标"] == "是" and record["处置达标"] == "是"
    assert record["状态"] == "已处置"
    assert record["上报人手机"] == "139****0001"
    late = dict(zip(header, rows[2], strict=True))
    assert late["到场达标"] == "否" and late["处置完成时间"] == "" and late["上报→处置(分钟)"] == ""
    assert len(rows) == 5


def test_the_date_range_is_in_asia_shanghai(known, analyst, admin_client_for):
    rows = _csv(
        admin_client_for(analyst).get(
            "/analytics/exports/reports.csv", {"date_from": "2026-10-06", "date_to": "2026-10-06"}
        )
    )
    assert [r[0] for r in rows[1:]] == [str(known[2].pk)]


def test_street_a_never_sees_street_bs_reports(known, staff_a, admin_client_for):
    rows = _csv(admin_client_for(staff_a).get("/analytics/exports/reports.csv"))
    assert [r[2] for r in rows[1:]] == ["双井街道"]


def test_response_minutes_chart_matches_hand_computed_medians(known, analyst, admin_client_for):
    data = (
        admin_client_for(analyst)
        .get("/analytics/charts/response-minutes.json", {"date_from": "2026-10-01", "date_to": "2026-10-31"})
        .json()
    )
    assert data["target"] == 10
    by = {label: i for i, label in enumerate(data["labels"])}
    series = {ds["label"]: ds["data"] for ds in data["datasets"]}
    dh = by["东湖街道"]
    assert series["送达中位数"][dh] == 1.0  # 0.5, 1.0, 1.5
    assert series["到场中位数"][dh] == 8.0  # 6, 8, 12
    assert series["到场P90"][dh] == 11.2  # 8 + (12 - 8) * 0.8
    assert series["到场中位数"][by["双井街道"]] == 9.0


def test_sla_breaches_and_reports_per_day(known, analyst, admin_client_for):
    client = admin_client_for(analyst)
    params = {"date_from": "2026-10-05", "date_to": "2026-10-06"}
    breaches = client.get("/analytics/charts/sla-breaches.json", params).json()
    counts = dict(zip(breaches["labels"], breaches["datasets"][0]["data"], strict=True))
    assert counts == {"东湖街道": 1, "双井街道": 0}
    per_day = client.get("/analytics/charts/reports-per-day.json", params).json()
    assert per_day["labels"] == ["2026-10-05", "2026-10-06"]
    assert per_day["datasets"][0]["data"] == [3, 1]


def test_hotspots_count_reports_per_cell(known, analyst, admin_client_for):
    data = admin_client_for(analyst).get("/analytics/charts/report-hotspots.json", {"date_from": "2026-10-01"}).json()
    assert sorted(p[2] for p in data["points"]) == [1, 3]
