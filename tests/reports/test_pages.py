from .factories import ReportFactory


def test_the_submit_page_offers_categories_camera_and_map(client, rider, categories):
    client.force_login(rider)
    html = client.get("/reports/").content.decode()
    assert 'capture="environment"' in html and 'accept="image/*"' in html
    assert "信号灯故障" in html and 'id="map"' in html


def test_my_reports_and_a_report_page_are_the_riders_own(client, rider, rider_b, streets, categories):
    mine = ReportFactory(reporter=rider, street=streets["DH"], category=categories["manhole"], description="我的井盖")
    theirs = ReportFactory(reporter=rider_b, street=streets["DH"], category=categories["manhole"], description="别人的")
    client.force_login(rider)
    html = client.get("/reports/mine/").content.decode()
    assert "我的井盖" in html and "别人的" not in html
    assert client.get(f"/reports/{mine.pk}/").status_code == 200
    assert client.get(f"/reports/{theirs.pk}/").status_code == 404


def test_staff_get_no_rider_pages_and_anonymous_are_sent_to_login(client, staff_a, categories):
    assert client.get("/reports/").status_code == 302
    client.force_login(staff_a)
    assert client.get("/reports/").status_code == 404


def test_the_team_page_renders(client):
    assert "应急队工作台" in client.get("/reports/team/").content.decode()
