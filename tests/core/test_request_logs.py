"""Request ids (made here, or a trusted proxy's), one time zone with its offset, JSON lines by LOG_FORMAT."""

import io
import json
import logging
import logging.config
import re

import pytest

from chaoyang_friendly.logs import logging_config

PAGE = "/accounts/login/"


@pytest.fixture
def access_lines():
    """The access log as the console handler of LOG_FORMAT=json writes it."""
    config = logging_config(fmt="json", level="INFO")
    handler_cfg = config["handlers"]["console"]
    formatter = logging.config.DictConfigurator(config).configure_custom(dict(config["formatters"]["json"]))
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter)
    for name in handler_cfg["filters"]:
        handler.addFilter(logging.config.DictConfigurator(config).configure_custom(dict(config["filters"][name])))
    logger = logging.getLogger("chaoyang.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logger.removeHandler(handler)


@pytest.mark.django_db
def test_each_response_carries_a_request_id_that_is_in_its_log_line(client, access_lines):
    first, second = client.get(PAGE), client.get(PAGE)
    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]
    lines = access_lines()
    assert [line["request_id"] for line in lines] == [first["X-Request-ID"], second["X-Request-ID"]]
    assert lines[0]["client_ip"] == "127.0.0.1"
    assert (lines[0]["method"], lines[0]["path"], lines[0]["status"]) == ("GET", PAGE, 200)
    assert lines[0]["level"] == "INFO" and lines[0]["logger"] == "chaoyang.access"


@pytest.mark.django_db
def test_a_trusted_proxy_s_request_id_is_kept_and_a_client_s_is_not(client, settings, access_lines):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    kept = client.get(PAGE, REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID="edge-4f1c2a9b")
    assert kept["X-Request-ID"] == "edge-4f1c2a9b"
    forged = client.get(PAGE, REMOTE_ADDR="198.51.100.7", HTTP_X_REQUEST_ID="edge-4f1c2a9b")
    assert forged["X-Request-ID"] != "edge-4f1c2a9b"
    injected = client.get(PAGE, REMOTE_ADDR="10.0.0.5", HTTP_X_REQUEST_ID="x\nFAKE LOG LINE")
    assert "\n" not in injected["X-Request-ID"]
    assert access_lines()[0]["request_id"] == "edge-4f1c2a9b"


def test_log_times_are_in_the_portal_s_time_zone_with_the_offset(access_lines):
    logging.getLogger("chaoyang.access").info("hello 你好")
    (line,) = access_lines()
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0800", line["time"])
    assert line["message"] == "hello 你好" and line["request_id"] == "-"


def test_the_text_format_has_the_offset_and_request_id():
    config = logging_config(fmt="text", level="INFO")
    formatter = logging.config.DictConfigurator(config).configure_custom(dict(config["formatters"]["text"]))
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hi", None, None)
    record.request_id = "abc"
    assert re.fullmatch(r"\S+\+0800 INFO x \[abc\] hi", formatter.format(record))


def test_an_unknown_log_format_is_refused():
    with pytest.raises(ValueError, match="LOG_FORMAT"):
        logging_config(fmt="xml", level="INFO")
