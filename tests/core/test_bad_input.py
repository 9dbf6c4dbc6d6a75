"""Bad input never yields a 500 (security review #13): NUL and other control characters, huge strings,
non-ASCII digits and impossible dates, in query strings, paths and form posts, for riders, staff and the
public Open311 endpoints. Control characters get a 400 with a translated message (JSON under /api/, the
Open311 error format under /open311/, a page elsewhere); everything else a 4xx (or a redirect)."""

import json
import xml.etree.ElementTree as ET

import pytest
from django.core.exceptions import ValidationError

from housing.models import EligibilityRule
from reports.services import categories_ensure
from stations.models import Station
from tests.partybranch.factories import ActivityFactory
from tests.reports.factories import ReportFactory
from tests.stations.factories import StationFactory

NUL = "a\x00b"
BAD_VALUES = {
    "nul": NUL,
    "control": "x\x01\x1b[31m",
    "huge": "好" * 20_000,
    "arabic-digits": "١٢٣",
    "superscript-digit": "²",
    "impossible-date": "2026-02-30",
    "far-future": "9999-12-31",
    "bad-offset": "2026-01-01T00:00:00+99:00",
    "overflow": "9" * 30,
}
CONTROL = {"nul", "control"}


@pytest.fixture
def world(rider, staff_a, analyst, streets):
    categories = {c.code: c for c in categories_ensure()}
    station = StationFactory()
    activity = ActivityFactory(street=streets["SJ"])
    report = ReportFactory(reporter=rider, street=streets["SJ"], category=categories["traffic_light"])
    return {"station": station, "activity": activity, "report": report}


def _fill(template: str, value: str, world: dict) -> str:
    from urllib.parse import quote

    return template.format(
        v=quote(value, safe=""), station=world["station"].pk, activity=world["activity"].pk, report=world["report"].pk
    )


# (who, method, url template with {v}, form data template or None)
GETS = [
    ("anon", "/api/v1/stations/?lng=116.46&lat=39.89&kind={v}"),
    ("anon", "/api/v1/stations/?q={v}"),
    ("anon", "/stations/?kind={v}&q={v}"),
    ("rider", "/api/v1/stations/checkin/{v}/"),
    ("rider", "/s/{v}"),
    ("rider", "/api/v1/reports/nearby/?category={v}&lng=116.46&lat=39.89"),
    ("rider", "/api/v1/reports/?status={v}"),
    ("rider", "/reports/?category={v}"),
    ("rider", "/activities/?kind={v}&lng=116.46&lat=39.89"),
    ("rider", "/activities/scan/{v}/"),
    ("rider", "/api/v1/activities/?kind={v}"),
    ("rider", "/housing/?rent_max={v}&room_type={v}"),
    ("rider", "/api/v1/housing/projects/?street={v}&rent_max={v}"),
    ("anon", "/api/v1/streets/locate/?lng={v}&lat=39.9"),
    ("analyst", "/api/v1/exports/reports.csv?date_to={v}"),
    ("analyst", "/api/v1/exports/reports.csv?date_from=2026-01-01&date_to={v}"),
    ("analyst", "/analytics/exports/reports.csv?date_to={v}&street={v}"),
    ("analyst", "/analytics/charts/reports_by_street.json?date_from={v}"),
    ("anon", "/open311/v2/requests.json?start_date={v}"),
    ("anon", "/open311/v2/requests.xml?end_date={v}"),
    ("anon", "/open311/v2/requests.json?service_request_id={v}"),
    ("anon", "/open311/v2/requests.json?service_code={v}&status=open"),
    ("anon", "/open311/v2/requests/{v}.json"),
    ("anon", "/open311/v2/requests/{v}.xml"),
    ("staff_a", "/admin/housing/application/?street={v}"),
    ("staff_a", "/admin/housing/application/?project={v}"),
    ("analyst", "/admin/housing/project/?street={v}"),
    ("staff_a", "/admin/housing/roomtype/?project={v}"),
    ("staff_a", "/admin/reports/report/?q={v}"),
    ("staff_a", "/admin/reports/report/?category__id__exact={v}"),
    ("staff_a", "/admin/stations/station/?q={v}"),
    ("staff_a", "/admin/partybranch/volunteerhours/?start__year={v}"),
    ("staff_a", "/admin/accounts/user/?q={v}"),
]

POSTS = [
    ("rider", "/stations/{station}/feedback/", {"kind": "{v}", "comment": "{v}"}),
    ("rider", "/api/v1/stations/{station}/feedback/", {"kind": "{v}", "comment": "{v}"}),
    ("rider", "/activities/{activity}/signup/", {"age": "{v}", "phone": "{v}"}),
    ("rider", "/activities/scan/x/", {"qr_token": "{v}"}),
    ("rider", "/api/v1/reports/", {"category": "{v}", "lng": "{v}", "lat": "39.89", "description": "{v}"}),
    ("anon", "/accounts/login/", {"phone": "{v}", "code": "{v}"}),
    ("anon", "/api/v1/auth/sms-code/", {"phone": "{v}"}),
    ("anon", "/open311/v2/requests.json", {"api_key": "{v}", "service_code": "{v}", "lat": "{v}", "long": "1"}),
    ("rider_token", "/open311/v2/requests.xml", {"service_code": "{v}", "lat": "39.9", "long": "{v}"}),
    ("staff_a", "/admin/stations/station/add/", {"name": "{v}", "kind": "{v}"}),
    ("staff_a", "/admin/reports/report/", {"action": "{v}", "_selected_action": "{v}"}),
]


@pytest.fixture
def as_who(client, rider, staff_a, analyst, api):
    def make(who: str):
        if who == "anon":
            return client, {}
        if who == "rider_token":
            from accounts.services import api_token_create

            return client, {"api_key": api_token_create(user=rider, name="open311")[1]}
        user = {"rider": rider, "staff_a": staff_a, "analyst": analyst}[who]
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client, {}

    return make


def _assert_answer(response, kind: str, url: str) -> None:
    assert response.status_code < 500, (response.status_code, url)
    if kind not in CONTROL or response.status_code in (302, 404, 405):
        return
    assert response.status_code == 400, (response.status_code, url)
    body = response.content.decode()
    assert "控制字符" in body
    if url.startswith("/api/"):
        assert "控制字符" in response.json()["detail"]
    elif url.startswith("/open311/") and ".json" in url:
        assert response.json()[0]["code"] == 400
    elif url.startswith("/open311/"):
        assert ET.fromstring(response.content).find("error/code").text == "400"  # noqa: S314 - our own answer


@pytest.mark.parametrize(("who", "template"), GETS, ids=[t for _, t in GETS])
def test_bad_query_values_never_give_a_server_error(world, as_who, who, template):
    client, _ = as_who(who)
    for kind, value in BAD_VALUES.items():
        url = _fill(template, value, world)
        _assert_answer(client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans"), kind, url)


@pytest.mark.parametrize(("who", "template", "data"), POSTS, ids=[t for _, t, _ in POSTS])
def test_bad_form_fields_never_give_a_server_error(world, as_who, who, template, data):
    client, extra = as_who(who)
    url = _fill(template, "", world)
    for kind, value in BAD_VALUES.items():
        form = {k: v.replace("{v}", value) for k, v in data.items()} | extra
        _assert_answer(client.post(url, form, HTTP_ACCEPT_LANGUAGE="zh-hans"), kind, f"{url} {kind}")


def test_a_nul_in_the_query_string_gets_a_translated_page(client):
    response = client.get("/stations/?q=a%00b", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert "控制字符" in response.content.decode()


def test_a_nul_in_an_api_query_gets_json(client):
    response = client.get("/api/v1/stations/?kind=%00")
    assert response.status_code == 400 and "控制字符" in response.json()["detail"]


def test_a_nul_in_open311_gets_the_open311_error_format(client, world):
    response = client.get("/open311/v2/requests.json?service_code=%00")
    assert response.status_code == 400
    assert response.json() == [{"code": 400, "description": json.loads(response.content)[0]["description"]}]
    xml = client.get("/open311/v2/requests.xml?service_code=%00")
    assert xml.status_code == 400 and ET.fromstring(xml.content).tag == "errors"  # noqa: S314 - our own answer


def test_tabs_and_newlines_in_a_form_field_are_fine(world, as_who):
    client, _ = as_who("rider")
    response = client.post(
        f"/stations/{world['station'].pk}/feedback/", {"kind": "other", "comment": "第一行\r\n\t第二行"}
    )
    assert response.status_code in (200, 302)


def test_open311_ids_with_non_ascii_digits_are_not_found(client, world):
    assert client.get("/open311/v2/requests/²³.json").status_code == 404
    assert client.get(f"/open311/v2/requests/{'١'}.json").status_code == 404
    listed = client.get(f"/open311/v2/requests.json?service_request_id=²,{world['report'].pk}")
    assert [r["service_request_id"] for r in listed.json()] == [str(world["report"].pk)]


@pytest.mark.parametrize(
    "parameters",
    [[1, 2], {"max": "four"}, {"max": None}, {"max": True}, {"occupations": 5}, {"streets": "SJ"}, {"bogus": 1}],
)
def test_an_eligibility_rule_with_bad_parameters_is_refused_by_the_form(streets, parameters):
    code = EligibilityRule.Code.HOUSEHOLD_MAX
    if "occupations" in str(parameters):
        code = EligibilityRule.Code.NEW_EMPLOYMENT
    elif "streets" in str(parameters):
        code = EligibilityRule.Code.WORKS_IN_STREET
    rule = EligibilityRule(code=code, parameters=parameters, failure_message="不符合")
    with pytest.raises(ValidationError) as caught:
        rule.full_clean()
    assert "parameters" in caught.value.message_dict


def test_an_eligibility_rule_with_good_parameters_is_accepted(streets):
    for code, parameters in [
        (EligibilityRule.Code.HOUSEHOLD_MAX, {"max": 4}),
        (EligibilityRule.Code.NEW_EMPLOYMENT, {"occupations": ["courier"]}),
        (EligibilityRule.Code.WORKS_IN_STREET, {"streets": ["SJ", "SLT"]}),
        (EligibilityRule.Code.NO_ACTIVE_LEASE, {}),
    ]:
        EligibilityRule(code=code, parameters=parameters, failure_message="不符合").full_clean()


def test_stations_are_untouched_by_a_refused_post(world, as_who):
    client, _ = as_who("rider")
    client.post(f"/stations/{world['station'].pk}/feedback/", {"kind": "other", "comment": NUL})
    assert Station.objects.count() == 1
