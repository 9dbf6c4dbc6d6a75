from accounts.models import RiderProfile, Role, User


def _rider(phone: str, street) -> None:
    RiderProfile.objects.create(user=User.objects.create_user(phone, role=Role.RIDER), work_street=street)


def test_riders_per_street_matches_hand_counts(streets, analyst, admin_client_for):
    for i in range(3):
        _rider(f"1350000000{i}", streets["SJ"])
    _rider("13500000010", streets["DH"])
    data = admin_client_for(analyst).get("/analytics/charts/riders-per-street.json").json()
    assert dict(zip(data["labels"], data["datasets"][0]["data"], strict=True)) == {"双井街道": 3, "东湖街道": 1}


def test_a_street_sees_only_its_own_numbers(streets, staff_b, admin_client_for):
    _rider("13500000001", streets["SJ"])
    _rider("13500000002", streets["SLT"])
    data = admin_client_for(staff_b).get("/analytics/charts/riders-per-street.json").json()
    assert data["labels"] == ["三里屯街道"]


def test_every_chart_downloads_its_numbers_as_csv(streets, analyst, admin_client_for):
    _rider("13500000001", streets["SJ"])
    response = admin_client_for(analyst).get("/analytics/charts/riders-per-street.json", {"format": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert text.splitlines() == ["项目,骑手人数", "双井街道,1"]


def test_the_dashboard_lists_the_charts_for_staff_only(streets, analyst, rider, admin_client_for, client):
    page = admin_client_for(analyst).get("/analytics/dashboard/")
    assert page.status_code == 200
    assert 'id="chart-riders-per-street"' in page.content.decode()
    assert "chart.umd.min.js" in page.content.decode()
    client.logout()
    assert admin_client_for(rider).get("/analytics/dashboard/").status_code == 302
