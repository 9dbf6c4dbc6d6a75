"""The rider's 随手拍 pages (issue 15): the promised arrival time, badges by state, Beijing times, me-too
candidates (category, thumbnail, age, never the rider's own), JS strings through the catalog, full-width
punctuation and tap-target classes in the templates."""

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.conf import settings
from django.contrib.gis.geos import Point

from reports import services
from reports.models import Report

from .factories import ReportFactory, jpeg_upload

# 2026-05-18 14:00 in Beijing.
NOW = datetime(2026, 5, 18, 6, 0, tzinfo=UTC)
DH = (116.4690, 40.0130)
APP = Path(settings.BASE_DIR) / "reports"


def _badge(html: str) -> str:
    return re.search(r'id="status" class="badge (\w+)"', html).group(1)


def _detail(client, report) -> str:
    response = client.get(f"/reports/{report.pk}/")
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def manhole(categories):
    return categories["manhole"]


def test_an_open_report_states_the_promised_arrival_time_in_beijing_time(client, rider, streets, manhole):
    with time_machine.travel(NOW, tick=False):
        report = ReportFactory(
            reporter=rider,
            street=streets["DH"],
            category=manhole,
            status=Report.Status.ROUTED,
            arrival_due_at=NOW + timedelta(minutes=10),
            resolve_due_at=NOW + timedelta(hours=4),
        )
        services.event_add(report=report, kind="submitted", actor=rider, at=NOW)
        client.force_login(rider)
        html = _detail(client, report)
    assert "应急队预计 14:10 前到场。" in html
    assert _badge(html) == "soon"  # amber: open and on time
    assert "05-18 14:00</span>" in html  # the event in Beijing time, the format detail.js writes too


def test_before_routing_the_promise_counts_from_the_submission(client, rider, streets, manhole):
    with time_machine.travel(NOW, tick=False):
        report = ReportFactory(reporter=rider, street=streets["DH"], category=manhole)  # 10-minute arrival SLA
        client.force_login(rider)
        assert "应急队预计 14:10 前到场。" in _detail(client, report)


def test_a_promise_on_another_day_names_the_day_and_on_site_promises_the_resolution(client, rider, streets, manhole):
    with time_machine.travel(NOW, tick=False):
        report = ReportFactory(
            reporter=rider,
            street=streets["DH"],
            category=manhole,
            status=Report.Status.ON_SITE,
            on_site_at=NOW,
            arrival_due_at=NOW + timedelta(minutes=10),
            resolve_due_at=NOW + timedelta(hours=12),  # 02:00 the next day in Beijing
        )
        client.force_login(rider)
        html = _detail(client, report)
    assert "应急队已到场，预计 5月19日 02:00 前处置完成。" in html
    assert _badge(html) == "soon"


def test_an_overdue_report_wears_red_and_says_so(client, rider, streets, manhole):
    with time_machine.travel(NOW, tick=False):
        report = ReportFactory(
            reporter=rider,
            street=streets["DH"],
            category=manhole,
            status=Report.Status.ROUTED,
            arrival_due_at=NOW - timedelta(minutes=5),
            resolve_due_at=NOW + timedelta(hours=4),
        )
        client.force_login(rider)
        html = _detail(client, report)
        mine = client.get("/reports/mine/").content.decode()
    assert _badge(html) == "closed"  # red
    assert "已超过预计到场时间 13:55，正在督办。" in html
    assert 'class="badge closed"' in mine


def test_a_resolved_report_is_green_without_a_promise_and_a_rejected_one_grey(client, rider, streets, manhole):
    with time_machine.travel(NOW, tick=False):
        resolved = ReportFactory(
            reporter=rider,
            street=streets["DH"],
            category=manhole,
            status=Report.Status.RESOLVED,
            arrival_due_at=NOW - timedelta(hours=1),
            closed_at=NOW,
        )
        rejected = ReportFactory(
            reporter=rider, street=streets["DH"], category=manhole, status=Report.Status.REJECTED, closed_at=NOW
        )
        client.force_login(rider)
        html = _detail(client, resolved)
        mine = client.get("/reports/mine/").content.decode()
        assert _badge(_detail(client, rejected)) == "unknown"
    assert _badge(html) == "open"  # green, never the amber "soon"
    assert "前到场" not in html and 'id="promise" class="promise" hidden' in html
    assert 'class="badge soon"' not in mine
    assert 'class="badge open">已处置' in mine and 'class="badge unknown">已驳回' in mine


def test_me_too_candidates_carry_category_thumbnail_and_age_and_never_the_riders_own(
    client, rider, rider_b, streets, manhole
):
    here = Point(*DH, srid=4326)
    with time_machine.travel(NOW, tick=False):
        own = ReportFactory(reporter=rider, street=streets["DH"], category=manhole, point=here)
        theirs = services.report_submit(
            reporter=rider_b, category_code="manhole", lng=DH[0] + 0.0005, lat=DH[1], photos=[jpeg_upload()]
        )
    client.force_login(rider)
    with time_machine.travel(NOW + timedelta(minutes=12), tick=False):
        found = client.get("/api/v1/reports/nearby/", {"category": "manhole", "lng": DH[0], "lat": DH[1]}).json()
    assert [r["id"] for r in found] == [theirs.pk]  # not `own`
    assert own.pk not in [r["id"] for r in found]
    candidate = found[0]
    assert candidate["category"] == "井盖缺失"
    assert candidate["thumbnail_url"].endswith("_t.jpg")
    assert candidate["created_at"].startswith("2026-05-18T14:00")


def test_the_submit_page_has_field_errors_a_progress_bar_and_no_hard_coded_messages(client, rider, categories):
    client.force_login(rider)
    html = client.get("/reports/").content.decode()
    for field in ("category", "photo", "location", "nearby"):
        assert f'id="{field}-error" class="field-error" role="alert"' in html
    # The whole form's error sits in the fixed bar, always in view.
    bar = html[html.index('class="bottom-bar"') :]
    assert 'id="form-error"' in bar and 'id="submit-progress"' in bar
    assert 'class="tap-link" href="/reports/mine/"' in html


def test_the_back_link_of_a_report_is_a_tap_target(client, rider, streets, manhole):
    report = ReportFactory(reporter=rider, street=streets["DH"], category=manhole)
    client.force_login(rider)
    assert '<a class="tap-link" href="/reports/mine/">' in _detail(client, report)


CJK = r"[\u4e00-\u9fff]"


@pytest.mark.parametrize("name", ["submit.js", "detail.js", "team.js"])
def test_page_scripts_carry_no_chinese_outside_the_js_catalog(name):
    source = (APP / "static" / "reports" / name).read_text()
    source = re.sub(r"/\*.*?\*/", "", source, flags=re.S)
    source = re.sub(r"^\s*//.*$|//[^\n\"]*$", "", source, flags=re.M)
    strings = re.finditer(r'"((?:[^"\\\n]|\\.)*)"', source)
    catalog = r"(?:n?gettext\(|ngettext\(\"[^\"]*\",)\s*$"  # gettext("…"), or ngettext's plural "…"
    bare = [
        m.group(1)
        for m in strings
        if re.search(CJK, m.group(1)) and not re.search(catalog, source[max(0, m.start() - 80) : m.start()])
    ]
    assert bare == []


@pytest.mark.parametrize("name", ["new.html", "detail.html", "mine.html", "team.html"])
def test_templates_use_full_width_punctuation_after_chinese(name):
    source = (APP / "templates" / "reports" / name).read_text()
    translated = re.findall(r"\{% (?:translate|trans) [\"']([^\"']*)[\"']", source)
    translated += re.findall(r"\{% blocktranslate[^%]*%\}(.*?)\{% (?:plural|endblocktranslate)", source, flags=re.S)
    text = re.sub(r"<[^>]+>|\{[%{#].*?[%}#]\}", " ", source)
    found = [m for chunk in [text, *translated] for m in re.findall(CJK + r"[,.:;?!]", chunk)]
    assert found == []
