"""The analyst pages (issue 15): their own header with the user and a 退出 (POST) form, not "Django 管理";
riders.csv with the occupations people read; the dashboard's script after the JavaScript catalog."""

import csv
import io

from accounts.models import RiderProfile, Role, User


def test_analytics_pages_have_their_header_the_user_and_a_logout_form(analyst, admin_client_for):
    client = admin_client_for(analyst)
    for url in ("/analytics/", "/analytics/dashboard/"):
        html = client.get(url).content.decode()
        assert "Django" not in html
        assert "友好朝阳 数据分析" in html
        assert "区分析员" in html and analyst.phone not in html
        assert '<form id="logout-form" method="post" action="/admin/logout/">' in html and "退出</button>" in html


def test_the_admin_header_never_says_django(staff_a, admin_client_for):
    html = admin_client_for(staff_a).get("/analytics/nope/").content.decode()  # an error page in the admin frame
    assert "Django" not in html


def test_riders_csv_shows_occupations_as_people_name_them(streets, analyst, admin_client_for):
    for i, occupation in enumerate(["food_delivery", "courier", "ride_hailing"]):
        user = User.objects.create_user(f"1350000000{i}", role=Role.RIDER)
        RiderProfile.objects.create(user=user, occupation=occupation, work_street=streets["SJ"])
    response = admin_client_for(analyst).get("/analytics/exports/riders.csv")
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0] == ["编号", "手机号", "称呼", "职业", "平台/雇主", "工作街道", "登记时间"]
    assert [r[3] for r in rows[1:]] == ["外卖骑手", "快递员", "网约车司机"]


def test_the_dashboard_loads_the_javascript_catalog_before_its_script(analyst, admin_client_for):
    html = admin_client_for(analyst).get("/analytics/dashboard/").content.decode()
    assert html.index('src="/jsi18n/"') < html.index("analytics/dashboard.js")


def test_a_refused_export_link_shows_the_page_with_the_reason(analyst, admin_client_for):
    response = admin_client_for(analyst).get(
        "/analytics/exports/riders.csv", {"date_from": "2026-03-02", "date_to": "2026-03-01"}
    )
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    html = response.content.decode()
    assert "开始日期（date_from）不能晚于结束日期（date_to）。" in html and "友好朝阳 数据分析" in html
    assert 'value="2026-03-02"' in html  # the filters are kept
