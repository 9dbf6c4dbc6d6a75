"""Open311 GeoReport v2, exercised by a tiny client the way an existing Open311 app would use it."""

import xml.etree.ElementTree as ET

import pytest
import requests

from accounts.services import api_token_create
from reports.models import Report

from .factories import ReportFactory

DH = (116.4690, 40.0130)


class Open311Client:
    def __init__(self, base: str, api_key: str = "") -> None:
        self.base = base.rstrip("/") + "/open311/v2/"
        self.api_key = api_key

    def services(self) -> list[dict]:
        return requests.get(self.base + "services.json", timeout=10).json()

    def post(self, **fields) -> requests.Response:
        return requests.post(self.base + "requests.json", data={"api_key": self.api_key, **fields}, timeout=10)

    def get(self, request_id: str) -> dict:
        return requests.get(self.base + f"requests/{request_id}.json", timeout=10).json()[0]


@pytest.mark.django_db(transaction=True)
def test_an_open311_client_lists_services_posts_and_reads_back(live_server, streets, rider):
    from reports.services import categories_ensure

    categories_ensure()
    client = Open311Client(live_server.url, api_token_create(user=rider)[1])
    services = client.services()
    assert {"service_code": "manhole", "service_name": "井盖缺失"}.items() <= services[2].items()
    assert all(s["metadata"] is False and s["type"] == "realtime" for s in services)
    response = client.post(service_code="manhole", lat=DH[1], long=DH[0], description="井盖被偷了")
    assert response.status_code == 201
    request_id = response.json()[0]["service_request_id"]
    item = client.get(request_id)
    assert item["status"] == "open" and item["service_code"] == "manhole"
    assert item["description"] == "井盖被偷了" and item["address"] == "东湖街道"
    assert abs(item["lat"] - DH[1]) < 1e-6 and abs(item["long"] - DH[0]) < 1e-6
    assert Report.objects.get(pk=request_id).reporter == rider


@pytest.fixture
def some(streets, categories, rider):
    open_ = ReportFactory(reporter=rider, street=streets["DH"], category=categories["manhole"])
    closed = ReportFactory(
        reporter=rider,
        street=streets["SJ"],
        category=categories["waterlogging"],
        status="rejected",
        status_note="非公共区域",
    )
    return open_, closed


def test_requests_filters_and_status_mapping(client, some):
    open_, closed = some
    all_ = client.get("/open311/v2/requests.json").json()
    assert {r["service_request_id"] for r in all_} == {str(open_.pk), str(closed.pk)}
    only_open = client.get("/open311/v2/requests.json", {"status": "open"}).json()
    assert [r["service_request_id"] for r in only_open] == [str(open_.pk)]
    only_closed = client.get("/open311/v2/requests.json", {"status": "closed", "service_code": "waterlogging"}).json()
    assert only_closed[0]["status_notes"] == "已驳回：非公共区域"
    by_id = client.get("/open311/v2/requests.json", {"service_request_id": f"{closed.pk},{open_.pk}"}).json()
    assert len(by_id) == 2
    past = client.get(
        "/open311/v2/requests.json",
        {"start_date": "2020-01-01T00:00:00+08:00", "end_date": "2020-02-01T00:00:00+08:00"},
    ).json()
    assert past == []
    assert client.get("/open311/v2/requests.json", {"start_date": "2099-01-01T00:00:00+08:00"}).status_code == 400
    bad = client.get("/open311/v2/requests.json", {"start_date": "yesterday"})
    assert bad.status_code == 400 and bad.json()[0]["code"] == 400


def test_xml_and_errors_follow_the_spec(client, some):
    open_, _closed = some
    root = ET.fromstring(client.get(f"/open311/v2/requests/{open_.pk}.xml").content)  # noqa: S314
    assert root.tag == "service_requests" and root.find("request/service_request_id").text == str(open_.pk)
    assert root.find("request/status").text == "open"
    services = ET.fromstring(client.get("/open311/v2/services.xml").content)  # noqa: S314
    assert services.tag == "services" and len(services.findall("service")) == 8
    discovery = client.get("/open311/v2/discovery.json").json()
    assert discovery["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert client.get("/open311/v2/services/manhole.json").json()["service_code"] == "manhole"

    missing = client.get("/open311/v2/requests/999999.xml")
    assert missing.status_code == 404
    err = ET.fromstring(missing.content)  # noqa: S314
    assert err.tag == "errors" and err.find("error/code").text == "404"
    denied = client.post(
        "/open311/v2/requests.json", {"api_key": "nope", "service_code": "manhole", "lat": DH[1], "long": DH[0]}
    )
    assert denied.status_code == 403 and denied.json()[0]["code"] == 403


def test_post_validates_service_and_location(client, rider, categories):
    key = api_token_create(user=rider)[1]
    url = "/open311/v2/requests.json"
    assert client.post(url, {"api_key": key, "service_code": "nope", "lat": DH[1], "long": DH[0]}).status_code == 404
    assert client.post(url, {"api_key": key, "service_code": "manhole", "address_string": "x"}).status_code == 400
    outside = client.post(url, {"api_key": key, "service_code": "manhole", "lat": 31.23, "long": 121.47})
    assert outside.status_code == 400 and outside.json()[0]["description"]
    assert not Report.objects.exists()
