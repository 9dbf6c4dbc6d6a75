"""The client's address behind a proxy: trusted hops' X-Forwarded-For is believed, anyone else's is not;
rate limits (every key="ip" limit goes through RATELIMIT_IP_META_KEY) and logs use it."""

import logging

import pytest
from django.test import RequestFactory
from django_ratelimit.core import is_ratelimited

from accounts.models import SmsCode
from chaoyang_friendly.clientip import client_ip, client_ip_compute

PROXY = "10.0.0.5"


def _request(remote: str, xff: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return RequestFactory().post("/", **extra)


def test_the_client_is_the_rightmost_untrusted_hop_behind_a_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip_compute(_request(PROXY, "203.0.113.9")) == "203.0.113.9"
    # The client forged a first hop; the proxy appended the address it saw: that one counts.
    assert client_ip_compute(_request(PROXY, "1.2.3.4, 203.0.113.9")) == "203.0.113.9"
    # Two trusted proxies (CDN edge 10.1.1.1 in front of our proxy): skip both.
    assert client_ip_compute(_request(PROXY, "1.2.3.4, 203.0.113.9, 10.1.1.1")) == "203.0.113.9"
    assert client_ip_compute(_request(PROXY, "2001:db8::1")) == "2001:db8::1"
    # Garbage: the last address a trusted proxy vouched for.
    assert client_ip_compute(_request(PROXY, "not-an-ip")) == PROXY
    assert client_ip_compute(_request(PROXY)) == PROXY


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip_compute(_request("198.51.100.7", "203.0.113.9")) == "198.51.100.7"
    settings.TRUSTED_PROXIES = []  # the default: nobody is trusted
    assert client_ip_compute(_request(PROXY, "203.0.113.9")) == PROXY


def test_two_clients_behind_the_proxy_get_separate_rate_limit_buckets(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    a, b = _request(PROXY, "203.0.113.1"), _request(PROXY, "203.0.113.2")
    assert not is_ratelimited(a, group="t", key="ip", rate="1/h", increment=True)
    assert is_ratelimited(a, group="t", key="ip", rate="1/h", increment=True)
    assert not is_ratelimited(b, group="t", key="ip", rate="1/h", increment=True)
    assert client_ip(b) == "203.0.113.2"


def test_a_spoofing_client_keeps_its_own_bucket(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert not is_ratelimited(_request("198.51.100.7", "203.0.113.1"), group="t", key="ip", rate="1/h", increment=True)
    assert is_ratelimited(_request("198.51.100.7", "203.0.113.2"), group="t", key="ip", rate="1/h", increment=True)


@pytest.mark.django_db
def test_the_login_limit_counts_each_client_behind_the_proxy_and_codes_record_the_client(api, settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    client = api()

    def login(xff: str) -> int:
        body = {"phone": "13912340001", "code": "000000"}
        return client.post(
            "/api/v1/auth/login/", body, format="json", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=xff
        ).status_code

    statuses = [login("203.0.113.1") for _ in range(61)]  # LOGIN_IP_RATE: 60/h
    assert 429 not in statuses[:60] and statuses[60] == 429
    assert login("203.0.113.2") != 429  # another rider behind the same proxy
    sent = client.post(
        "/api/v1/auth/sms-code/",
        {"phone": "13912340002"},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.2",
    )
    assert sent.status_code == 202
    assert list(SmsCode.objects.values_list("ip", flat=True)) == ["203.0.113.2"]


@pytest.mark.django_db
def test_a_spoofed_header_changes_neither_the_bucket_nor_the_logged_address(client, settings, caplog):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    with caplog.at_level(logging.INFO, logger="chaoyang.access"):
        statuses = [
            client.post(
                "/api/v1/auth/login/",
                {"phone": "13912340001", "code": "000000"},
                content_type="application/json",
                REMOTE_ADDR="198.51.100.7",
                HTTP_X_FORWARDED_FOR=f"203.0.113.{i}",
            ).status_code
            for i in range(61)
        ]
    assert 429 not in statuses[:60] and statuses[60] == 429
    access = [r for r in caplog.records if r.name == "chaoyang.access"]
    assert access and {r.getMessage().split()[0] for r in access} == {"198.51.100.7"}
