"""The street's 随手拍 queue in the admin (issue 15): most urgent first, a red 已超时 mark and 剩余 minutes
instead of inverted ✓/✗ icons, the list above a folded map, no "delete" as a clerk's first action, the
timeline's data as labelled values and its titles in Beijing time, the SelectFilter strings in Chinese."""

import json
from datetime import UTC, datetime, timedelta

import time_machine

from accounts.models import User
from reports.models import Report, ReportEvent
from reports.services import report_route

from .factories import CategoryFactory, ReportFactory

URL = "/admin/reports/report/"
NOW = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)  # 10:30 in Beijing


def _routed(streets, category, rider, dispatcher, minutes_ago: int, code: str = "SJ") -> Report:
    with time_machine.travel(NOW - timedelta(minutes=minutes_ago), tick=False):
        report = ReportFactory(reporter=rider, street=streets[code], category=category, point=streets[code].centre)
        return report_route(report_id=report.pk, actor=dispatcher)


def test_the_queue_is_sorted_by_urgency_with_overdue_and_remaining_minutes(
    streets, categories, rider, dispatcher, teams, staff_a, admin_client_for
):
    calm = CategoryFactory(code="calm", name="路灯不亮", arrival_sla_minutes=10, urgent=False)
    closed = _routed(streets, categories["manhole"], rider, dispatcher, 300)
    Report.objects.filter(pk=closed.pk).update(status=Report.Status.RESOLVED, closed_at=NOW - timedelta(hours=4))
    later = _routed(streets, categories["other"], rider, dispatcher, 100)  # arrival due in 20 min
    road = _routed(streets, categories["road_damage"], rider, dispatcher, 20)  # due in 10 min
    not_urgent = _routed(streets, calm, rider, dispatcher, 5)  # due in 5 min, not urgent
    urgent = _routed(streets, categories["manhole"], rider, dispatcher, 5)  # due in 5 min, urgent
    overdue = _routed(streets, categories["manhole"], rider, dispatcher, 30)  # 20 min late
    _routed(streets, categories["manhole"], rider, dispatcher, 60, code="DH")  # another street's

    with time_machine.travel(NOW, tick=False):
        response = admin_client_for(staff_a).get(URL)
    ids = [r.pk for r in response.context["cl"].result_list]
    assert ids == [overdue.pk, urgent.pk, not_urgent.pk, road.pk, later.pk, closed.pk]
    html = response.content.decode()
    assert '<strong class="report-sla report-sla-overdue">已超时 20 分钟</strong>' in html
    assert "剩余 5 分钟" in html and "剩余 10 分钟" in html and "剩余 20 分钟" in html
    assert "已关闭" in html
    assert "icon-yes.svg" not in html and "icon-no.svg" not in html  # no ✓/✗ whose meaning is inverted
    assert "column-time_left sorted ascending" in html and "column-created_at sorted" not in html
    # The clerk reads the list first; the map is below it, folded.
    assert html.index('id="result_list"') < html.index('id="reports-queue-map"')
    assert '<details class="reports-map-fold" id="reports-map-fold">' in html
    assert [p["overdue"] for p in response.context["report_points"]][:2] == [True, False]


def test_the_overdue_count_link_shows_overdue_first(
    streets, categories, rider, dispatcher, teams, staff_a, admin_client_for
):
    a = _routed(streets, categories["manhole"], rider, dispatcher, 15)
    b = _routed(streets, categories["manhole"], rider, dispatcher, 45)
    _routed(streets, categories["manhole"], rider, dispatcher, 2)
    with time_machine.travel(NOW, tick=False):
        response = admin_client_for(staff_a).get(URL, {"overdue": "yes"})
    assert [r.pk for r in response.context["cl"].result_list] == [b.pk, a.pk]
    assert "已超时 35 分钟" in response.content.decode()


def test_delete_is_never_a_clerks_action_and_last_for_a_superuser(streets, staff_a, admin_client_for, client):
    ReportFactory(reporter=staff_a, street=streets["SJ"], point=streets["SJ"].centre)
    choices = [c[0] for c in admin_client_for(staff_a).get(URL).context["action_form"].fields["action"].choices]
    assert "delete_selected" not in choices
    assert choices[1] == "reassign_team"
    root = User.objects.create_superuser("13800000099", "Root-Pass-2026!")
    client.force_login(root, backend="django.contrib.auth.backends.ModelBackend")
    choices = [c[0] for c in client.get(URL).context["action_form"].fields["action"].choices]
    assert choices[1] == "reassign_team" and choices[-1] == "delete_selected"


def test_timeline_data_is_labelled_and_titles_are_in_beijing_time(
    streets, categories, rider, dispatcher, teams, staff_a, admin_client_for
):
    report = _routed(streets, categories["manhole"], rider, dispatcher, 0)
    ReportEvent.objects.create(report=report, kind="escalated", at=NOW, note="超过到场时限", data={"sla": "arrival"})
    html = admin_client_for(staff_a).get(f"{URL}{report.pk}/change/").content.decode()
    assert "应急队：双井街道应急队" in html and "区级兜底：否" in html and "街道：双井街道" in html
    assert "超过的时限：到场" in html
    assert "team_name" not in html and "&quot;sla&quot;" not in html  # no raw JSON
    # The inline's row title: 10:30 in Beijing, not 02:30 UTC.
    assert "@ 03-02 10:30:00" in html and "@ 02:30:00" not in html


def test_the_admin_select_filter_speaks_chinese(client):
    body = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    for chinese in ("全部选择%s", "全部移除%s", "可用 %s"):
        assert json.dumps(chinese) in body
    english = client.get("/admin/jsi18n/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert json.dumps("全部选择%s") not in english
