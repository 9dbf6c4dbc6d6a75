import pytest
from django.contrib.gis.geos import Point

from reports.models import Report, ReportEvent, ReportPhoto

from .factories import ReportFactory, jpeg_upload

DH = (116.4690, 40.0130)  # 东湖街道应急队's seed place, inside 东湖


def _submit(client, lng=DH[0], lat=DH[1], **extra):
    data = {"category": "traffic_light", "lng": str(lng), "lat": str(lat), "description": "红绿灯不亮", **extra}
    return client.post("/api/v1/reports/", data, format="multipart")


def test_a_rider_submits_a_report_with_a_photo_and_dispatch_is_queued_after_commit(
    rider, categories, api, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = _submit(api(rider), photos=[jpeg_upload()])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "submitted" and body["street"] == "东湖街道"
    assert [e["kind"] for e in body["events"]] == ["submitted"]
    assert len(body["photos"]) == 1 and body["photos"][0]["url"].endswith(".jpg")
    report = Report.objects.get(pk=body["id"])
    assert report.reporter == rider and report.source_crs == "wgs84"
    assert ReportPhoto.objects.filter(report=report, kind="before").count() == 1
    assert len(callbacks) == 1  # report_dispatch_enqueue, run only after commit


def test_gcj02_input_is_stored_as_wgs84(rider, categories, api):
    from chaoyang_friendly.geo import wgs84_to_gcj02

    glng, glat = wgs84_to_gcj02(*DH)
    response = _submit(api(rider), lng=glng, lat=glat, crs="gcj02")
    assert response.status_code == 201
    report = Report.objects.get(pk=response.json()["id"])
    assert report.source_crs == "gcj02"
    assert abs(report.point.x - DH[0]) < 1e-6 and abs(report.point.y - DH[1]) < 1e-6


@pytest.mark.parametrize("lng,lat", [(116.2, 39.9), (121.47, 31.23), ("abc", 39.9), (1e150, 39.9)])
def test_a_point_outside_the_district_or_nonsense_is_a_400_with_a_message(rider, categories, api, lng, lat):
    response = _submit(api(rider), lng=lng, lat=lat)
    assert response.status_code == 400
    assert response.json()["detail"]
    assert not Report.objects.exists()


def test_too_many_photos_and_a_text_file_are_refused_and_nothing_is_saved(rider, categories, api):
    client = api(rider)
    response = _submit(client, photos=[jpeg_upload(f"{i}.jpg") for i in range(4)])
    assert response.status_code == 400 and "最多" in response.json()["detail"]
    from django.core.files.uploadedfile import SimpleUploadedFile

    text = SimpleUploadedFile("x.jpg", b"not an image at all", content_type="image/jpeg")
    response = _submit(client, photos=[text])
    assert response.status_code == 400 and "无法识别" in response.json()["detail"]
    assert not Report.objects.exists() and not ReportEvent.objects.exists()


def test_riders_see_only_their_own_reports(rider, rider_b, categories, api, streets, django_assert_num_queries):
    mine = ReportFactory(reporter=rider, street=streets["DH"], category=categories["manhole"])
    ReportFactory(reporter=rider, street=streets["SJ"], category=categories["manhole"])
    theirs = ReportFactory(reporter=rider_b, street=streets["DH"], category=categories["manhole"])
    client = api(rider)
    # token, token last-used update, count, reports (+category, street, supporter count), photos
    with django_assert_num_queries(5):
        response = client.get("/api/v1/reports/")
    ids = [r["id"] for r in response.json()["results"]]
    assert mine.pk in ids and theirs.pk not in ids and len(ids) == 2
    assert client.get(f"/api/v1/reports/{mine.pk}/").status_code == 200
    assert client.get(f"/api/v1/reports/{theirs.pk}/").status_code == 404
    assert api(rider_b).get(f"/api/v1/reports/{mine.pk}/").status_code == 404


def test_staff_and_anonymous_cannot_use_the_rider_api(staff_a, categories, api):
    assert api(staff_a).get("/api/v1/reports/").status_code == 403
    assert api(None).get("/api/v1/reports/").status_code in {401, 403}


def test_submitting_is_rate_limited_per_rider(rider, categories, api, settings):
    settings.REPORTS_SUBMIT_USER_RATE = "2/m"
    client = api(rider)
    assert _submit(client).status_code == 201
    assert _submit(client).status_code == 201
    response = _submit(client)
    assert response.status_code == 429
    assert Report.objects.count() == 2


def test_submitting_is_rate_limited_per_ip(rider, rider_b, categories, api, settings):
    settings.REPORTS_SUBMIT_IP_RATE = "1/m"
    assert _submit(api(rider)).status_code == 201
    assert _submit(api(rider_b)).status_code == 429


def test_me_too_offers_open_reports_of_the_category_within_250_m_and_adds_a_supporter(
    rider, rider_b, categories, api, streets
):
    here = Point(*DH, srid=4326)
    near = ReportFactory(reporter=rider_b, street=streets["DH"], category=categories["manhole"], point=here)
    # ~400 m north: too far
    ReportFactory(
        reporter=rider_b, street=streets["DH"], category=categories["manhole"], point=Point(DH[0], DH[1] + 0.0036)
    )
    ReportFactory(reporter=rider_b, street=streets["DH"], category=categories["waterlogging"], point=here)
    ReportFactory(reporter=rider_b, street=streets["DH"], category=categories["manhole"], point=here, status="resolved")
    client = api(rider)
    # ~150 m east of the report
    response = client.get("/api/v1/reports/nearby/", {"category": "manhole", "lng": DH[0] + 0.00176, "lat": DH[1]})
    assert response.status_code == 200
    found = response.json()
    assert [r["id"] for r in found] == [near.pk]
    assert 120 <= found[0]["distance_m"] <= 180

    assert client.post(f"/api/v1/reports/{near.pk}/support/").json()["supporter_count"] == 1
    assert client.post(f"/api/v1/reports/{near.pk}/support/").json()["supporter_count"] == 1  # idempotent
    assert ReportEvent.objects.filter(report=near, kind="supported").count() == 1
    assert Report.objects.count() == 4  # no duplicate report was created
    assert api(rider_b).post(f"/api/v1/reports/{near.pk}/support/").status_code == 400  # own report


def test_categories_are_listed(rider, categories, api):
    names = [c["name"] for c in api(rider).get("/api/v1/reports/categories/").json()]
    assert names[:3] == ["信号灯故障", "道路破损", "井盖缺失"] and "其他" in names
