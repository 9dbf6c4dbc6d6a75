"""Idempotent submission: the same Idempotency-Key from the same reporter saves one report, also under a race."""

import threading

import pytest
from django.db import connection

from accounts.services import api_token_create
from reports import services
from reports.models import Report, ReportEvent, ReportPhoto

from .factories import jpeg_upload

DH = (116.4690, 40.0130)  # inside 东湖


def _submit(client, key=None, **extra):
    data = {"category": "traffic_light", "lng": str(DH[0]), "lat": str(DH[1]), "description": "红绿灯不亮", **extra}
    headers = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post("/api/v1/reports/", data, format="multipart", **headers)


def test_a_retry_with_the_same_key_returns_the_first_report_with_200(rider, categories, api):
    client = api(rider)
    first = _submit(client, key="3f1c0a2e-7b7d-4b43-9d59-8f5b1d2c6e01", photos=[jpeg_upload()])
    assert first.status_code == 201, first.json()
    retry = _submit(client, key="3f1c0a2e-7b7d-4b43-9d59-8f5b1d2c6e01", photos=[jpeg_upload()])
    assert retry.status_code == 200
    assert retry.json() == first.json()  # same id, same body shape
    assert Report.objects.count() == 1 and ReportPhoto.objects.count() == 1 and ReportEvent.objects.count() == 1
    assert Report.objects.get().submit_key == "3f1c0a2e-7b7d-4b43-9d59-8f5b1d2c6e01"
    assert _submit(client, key="another-attempt").status_code == 201  # a new key is a new report
    assert _submit(client).status_code == 201  # no key: as before, every POST is a report
    assert Report.objects.count() == 3


def test_keys_are_per_reporter(rider, rider_b, categories, api):
    mine = _submit(api(rider), key="k-1")
    theirs = _submit(api(rider_b), key="k-1")
    assert mine.status_code == theirs.status_code == 201
    assert mine.json()["id"] != theirs.json()["id"]
    assert api(rider_b).get(f"/api/v1/reports/{mine.json()['id']}/").status_code == 404
    again = _submit(api(rider), key="k-1")
    assert again.status_code == 200 and again.json()["id"] == mine.json()["id"]
    assert Report.objects.filter(submit_key="k-1").count() == 2


def test_a_retry_is_answered_before_the_rate_limit(rider, categories, api, settings):
    settings.REPORTS_SUBMIT_USER_RATE = "1/h"
    client = api(rider)
    first = _submit(client, key="slow-network")
    assert first.status_code == 201
    for _ in range(3):
        retry = _submit(client, key="slow-network")
        assert retry.status_code == 200 and retry.json()["id"] == first.json()["id"]
    assert _submit(client, key="a-second-report").status_code == 429  # the limit itself still holds
    assert Report.objects.count() == 1


@pytest.mark.parametrize("key", ["", "x" * 65, "has space", "井盖", "tab\there"])
def test_a_malformed_key_is_a_400_that_changes_nothing(rider, categories, api, settings, key):
    settings.REPORTS_SUBMIT_USER_RATE = "1/h"
    client = api(rider)
    response = _submit(client, key=key, photos=[jpeg_upload()])
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]
    assert not Report.objects.exists() and not ReportPhoto.objects.exists()
    assert _submit(client, key="x" * 64).status_code == 201  # the refused request did not count against the limit


def test_open311_post_with_the_same_key_returns_the_first_request(rider, rider_b, categories, client):
    api_key = api_token_create(user=rider)[1]
    data = {"api_key": api_key, "service_code": "manhole", "lat": DH[1], "long": DH[0], "description": "井盖被偷了"}
    first = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="o311-1")
    assert first.status_code == 201
    retry = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="o311-1")
    assert retry.status_code == 200
    assert retry.json() == first.json()
    assert Report.objects.count() == 1
    other = {**data, "api_key": api_token_create(user=rider_b)[1]}
    assert client.post("/open311/v2/requests.json", other, HTTP_IDEMPOTENCY_KEY="o311-1").status_code == 201
    bad = client.post("/open311/v2/requests.json", data, HTTP_IDEMPOTENCY_KEY="x" * 65)
    assert bad.status_code == 400 and "Idempotency-Key" in bad.json()[0]["description"]
    assert Report.objects.count() == 2


def _race(api, rider, monkeypatch, key):
    """Two POSTs at once: both pass the "key already used?" read before either inserts."""
    both_read = threading.Barrier(2)
    category = services._category

    def category_after_both_read(code):  # runs inside report_submit's transaction, before the INSERT
        both_read.wait(timeout=10)
        return category(code)

    monkeypatch.setattr(services, "_category", category_after_both_read)
    clients = [api(rider), api(rider)]
    results, errors = [], []

    def post(client) -> None:
        try:
            results.append(_submit(client, key=key))
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=post, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    return results


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_posts_with_the_same_key_save_one_report(api, rider, categories, monkeypatch):
    results = _race(api, rider, monkeypatch, key="race-1")
    assert sorted(r.status_code for r in results) == [200, 201]
    assert results[0].json()["id"] == results[1].json()["id"]
    assert Report.objects.count() == 1 and ReportEvent.objects.filter(kind="submitted").count() == 1


@pytest.mark.django_db(transaction=True)
def test_negative_control_without_a_key_the_same_race_saves_two_reports(api, rider, categories, monkeypatch):
    results = _race(api, rider, monkeypatch, key=None)
    assert [r.status_code for r in results] == [201, 201]
    assert Report.objects.count() == 2
