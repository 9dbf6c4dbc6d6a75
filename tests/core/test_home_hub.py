"""The rider home that knows them, 我的 as a hub, the label suffix after Chinese labels, the page scripts'
words, and the header's tap targets — without a browser (the journeys are in tests/browser/)."""

import re
from datetime import timedelta
from pathlib import Path

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import override

from partybranch.services import registration_create
from reports.models import Report
from tests.partybranch.factories import ActivityFactory, me
from tests.reports.factories import CategoryFactory, ReportFactory


class _Form(forms.Form):
    work_street = forms.CharField(label="工作街道")
    limit = forms.IntegerField(label="到场时限(分钟)")
    question = forms.CharField(label="是否同意？")
    name = forms.CharField(label="Name")


def test_a_chinese_label_ends_in_a_full_width_colon_and_an_english_one_in_a_colon():
    html = _Form().as_div()
    assert "工作街道：</label>" in html and "工作街道:" not in html
    assert "到场时限(分钟)：</label>" in html
    assert "是否同意？</label>" in html  # already punctuated: nothing more
    assert "Name:</label>" in html
    with override("en"):
        assert "Name:</label>" in _Form().as_div()


def test_the_anonymous_home_offers_the_services_and_the_login(client, db):
    html = client.get("/").content.decode()
    assert "新就业群体友好服务" in html and 'id="login-invite"' in html
    assert "我的待办" not in html


def test_the_home_shows_the_riders_open_report_and_next_activity_in_few_queries(
    client, streets, rider, django_assert_max_num_queries
):
    report = ReportFactory(
        reporter=rider,
        category=CategoryFactory(code="signal", name="信号灯故障"),
        street=streets["SJ"],
        status=Report.Status.ROUTED,
        arrival_due_at=timezone.now() + timedelta(minutes=25),
    )
    ReportFactory(
        reporter=rider, category=report.category, street=streets["SJ"], status=Report.Status.RESOLVED
    )  # closed: not shown
    registration = registration_create(
        activity=ActivityFactory(street=streets["SJ"], title="乐游北京家庭日"),
        rider=rider,
        people=[me(rider)],
        actor=rider,
    )
    client.force_login(rider, backend="django.contrib.auth.backends.ModelBackend")
    with django_assert_max_num_queries(14):
        html = client.get("/").content.decode()
    assert "王师傅，您好" in html
    assert f"随手拍 #{report.pk} 信号灯故障" in html and "前到场" in html
    assert "乐游北京家庭日" in html and "<svg" in html and registration.get_absolute_url() in html
    for url in ("/reports/mine/", "/housing/me/", "/activities/mine/", "/activities/hours/"):
        assert f'href="{url}"' in html
    assert "暂时没有待办" not in html


def test_a_past_activity_is_not_the_next_one(client, streets, rider):
    activity = ActivityFactory(street=streets["SJ"], title="上周的课堂")
    registration_create(activity=activity, rider=rider, people=[me(rider)], actor=rider)
    start = timezone.now() - timedelta(days=7)
    activity.sessions.update(start=start, end=start + timedelta(hours=2))
    client.force_login(rider, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/").content.decode()
    assert "上周的课堂" not in html and "暂时没有待办" in html


def test_my_page_is_a_hub_with_the_profile_form(client, rider):
    client.force_login(rider, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/accounts/me/").content.decode()
    assert 'id="shortcuts"' in html and 'href="/activities/hours/"' in html
    assert 'id="id_work_street"' in html and "工作街道：" in html


def test_the_page_script_words_go_through_the_javascript_catalog():
    source = (Path(settings.BASE_DIR) / "static/js/page-actions.js").read_text(encoding="utf-8")
    code = re.sub(r"^\s*//.*$", "", source, flags=re.MULTILINE)
    for literal in re.findall(r"([\w.]*\(?)\"([^\"]*[\u4e00-\u9fff][^\"]*)\"", code):
        assert literal[0].endswith("gettext("), f"not through gettext: {literal[1]}"
