"""Open311 hardening (issue 14): only riders' tokens submit, under the same limits as the REST submit
(finding 8), and no stored text can make the XML or JSON feed unparseable (finding 9)."""

import json
import xml.etree.ElementTree as ET

import pytest

from accounts.services import api_token_create
from reports.models import Report
from reports.open311 import _render

from .factories import ReportFactory


def _parse(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - the portal's own answer


DH = (116.4690, 40.0130)


def _open311_post(client, api_key: str, fmt: str = "json"):
    return client.post(
        f"/open311/v2/requests.{fmt}",
        {"api_key": api_key, "service_code": "manhole", "lat": DH[1], "long": DH[0], "description": "井盖"},
    )


def _rest_post(api, rider):
    return api(rider).post("/api/v1/reports/", {"category": "manhole", "lng": DH[0], "lat": DH[1]}, format="multipart")


@pytest.mark.parametrize("who", ["dispatcher_token", "team_token"])
def test_service_tokens_cannot_submit_through_open311(who, request, client, categories):
    token = request.getfixturevalue(who)
    response = _open311_post(client, token)
    assert response.status_code == 403
    assert response.json()[0]["code"] == 403
    xml = _open311_post(client, token, fmt="xml")
    assert xml.status_code == 403 and _parse(xml.content).find("error/code").text == "403"
    assert not Report.objects.exists()


def test_a_rider_token_still_submits(client, categories, rider):
    assert _open311_post(client, api_token_create(user=rider)[1]).status_code == 201


def test_the_per_rider_limit_counts_rest_and_open311_submissions_together(client, api, settings, categories, rider):
    settings.REPORTS_SUBMIT_USER_RATE = "2/h"
    settings.REPORTS_SUBMIT_IP_RATE = "100/h"
    key = api_token_create(user=rider)[1]
    assert _rest_post(api, rider).status_code == 201
    assert _open311_post(client, key).status_code == 201
    refused = _open311_post(client, key)
    assert refused.status_code == 429 and refused.json()[0]["code"] == 429
    assert _rest_post(api, rider).status_code == 429
    assert Report.objects.count() == 2


def test_the_per_address_limit_is_shared_with_the_rest_submit(client, api, settings, categories, rider, rider_b):
    settings.REPORTS_SUBMIT_USER_RATE = "100/h"
    settings.REPORTS_SUBMIT_IP_RATE = "2/h"
    assert _rest_post(api, rider).status_code == 201
    key_b = api_token_create(user=rider_b)[1]
    assert _open311_post(client, key_b).status_code == 201
    assert _open311_post(client, key_b).status_code == 429


CONTROL = "".join(chr(c) for c in range(1, 32)) + "\x7f"  # PostgreSQL cannot store \x00 at all


def test_control_characters_in_a_description_keep_the_xml_feed_parseable(client, streets, categories, rider):
    report = ReportFactory(
        reporter=rider, street=streets["DH"], category=categories["manhole"], description=f"井盖{CONTROL}丢了"
    )
    feed = client.get("/open311/v2/requests.xml")
    assert feed.status_code == 200
    description = _parse(feed.content).find("request/description").text
    assert description.startswith("井盖") and description.endswith("丢了")
    assert not any(ord(ch) < 32 and ch not in "\t\n\r" or ord(ch) == 0x7F for ch in description)
    _parse(client.get(f"/open311/v2/requests/{report.pk}.xml").content)
    item = json.loads(client.get("/open311/v2/requests.json").content)[0]
    assert item["description"] == "井盖\t\n\r丢了"


def test_rendering_drops_nul_and_other_characters_xml_cannot_carry():
    response = _render([{"description": "a\x00b\x0bc\ufffed\ud800e"}], "xml", root="r", item="i")
    assert _parse(response.content).find("i/description").text == "abcde"
