"""Team webhooks cannot reach internal addresses (issue 14, finding 3): checked when staff save the URL and
again in the worker right before sending, which connects to the address it checked and follows no redirect."""

import ipaddress
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError

from reports import netguard, worker
from reports.models import ResponseTeam

PUBLIC = "93.184.216.34"


@pytest.fixture
def dns(monkeypatch):
    """Names the test resolves itself: {hostname: [addresses]}; anything else resolves for real."""
    table: dict[str, list[str]] = {}
    real = netguard.resolve

    def resolve(hostname: str, port: int):
        if hostname in table:
            return [ipaddress.ip_address(a) for a in table[hostname]]
        return real(hostname, port)

    monkeypatch.setattr(netguard, "resolve", resolve)
    return table


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = False


class Receiver:
    def __init__(self, status: int = 200, location: str = "") -> None:
        self.hits: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers["Content-Length"]))
                receiver.hits.append(dict(self.headers))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                self.end_headers()
                self.wfile.write(b"internal secrets")

            do_GET = do_POST

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    made: list[Receiver] = []

    def make(**kwargs) -> Receiver:
        made.append(Receiver(**kwargs))
        return made[-1]

    yield make
    for r in made:
        r.close()


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.example.com/team",  # plain http to a public host
        "https://internal.example.com/team",  # a name resolving to a private address
        "https://loopback.example.com/team",  # a name resolving to 127.0.0.1
        "https://localhost/team",
        "https://127.0.0.1:8000/admin/",
        "https://10.1.2.3/",
        "https://192.168.1.1/",
        "https://169.254.169.254/latest/meta-data/",
        "https://[fd00:ec2::254]/",
        "https://100.64.0.1/",  # CGNAT
        "https://224.0.0.1/",
        "https://240.0.0.1/",
        "https://0.0.0.0/",
        "https://[::1]/",
        "https://[::ffff:127.0.0.1]/",
        "https://user:pw@hooks.example.com/",
    ],
)
def test_saving_an_internal_or_plain_http_webhook_is_refused(url, dns, production, teams):
    dns.update({"hooks.example.com": [PUBLIC], "internal.example.com": [PUBLIC, "10.0.0.5"]})
    dns["loopback.example.com"] = ["127.0.0.1"]
    team = teams["DH"]
    team.webhook_url = url
    with pytest.raises(ValidationError) as error:
        team.full_clean()
    assert "webhook_url" in error.value.message_dict


def test_a_public_https_webhook_is_accepted(dns, production, teams):
    dns["hooks.example.com"] = [PUBLIC]
    teams["DH"].webhook_url = "https://hooks.example.com/team?x=1"
    teams["DH"].full_clean()


def test_metadata_stays_refused_even_where_private_receivers_are_allowed(dns, settings, teams):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = True
    dns["metadata.example.com"] = ["169.254.169.254"]
    for url in ("http://127.0.0.1:9/hook", "https://10.1.2.3/"):
        teams["DH"].webhook_url = url
        teams["DH"].full_clean()
    for url in ("https://metadata.example.com/", "http://[fd00:ec2::254]/", "http://10.1.2.3/"):
        teams["DH"].webhook_url = url
        with pytest.raises(ValidationError):
            teams["DH"].full_clean()


def test_street_staff_get_a_translated_error_in_the_admin(dns, production, streets, staff_a, admin_client_for):
    dns["loopback.example.com"] = ["127.0.0.1"]
    team = ResponseTeam.objects.create(street=streets["SJ"], name="双井街道应急队", sms_phone="13700000002")
    response = admin_client_for(staff_a).post(
        f"/admin/reports/responseteam/{team.pk}/change/",
        {
            "street": streets["SJ"].pk,
            "name": team.name,
            "on_duty": "on",
            "webhook_url": "https://loopback.example.com/hook",
            "webhook_secret": "s",
            "sms_phone": "13700000002",
        },
    )
    assert response.status_code == 200
    assert "内网、本机" in response.content.decode()
    team.refresh_from_db()
    assert team.webhook_url == ""


def test_the_worker_refuses_a_name_that_now_resolves_to_loopback(dns, production, receivers):
    """DNS rebinding: the URL was fine when saved; at send time the name points at the worker's own host."""
    internal = receivers()
    dns["rebind.example"] = ["127.0.0.1"]
    ok, status, error = worker.deliver_webhook(
        f"https://rebind.example:{internal.port}/hook", "s", {"event": "ping"}, delivery_id="d1", timeout=2
    )
    assert (ok, status, error) == (False, None, "blocked_address")
    ok, status, error = worker.deliver_webhook(
        f"http://127.0.0.1:{internal.port}/hook", "s", {"event": "ping"}, delivery_id="d2", timeout=2
    )
    assert (ok, status, error) == (False, None, "blocked_address")
    assert internal.hits == []


def test_the_worker_connects_to_the_address_it_checked_and_keeps_the_host_header(dns, settings, receivers):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = True  # the receiver is on loopback
    team = receivers()
    dns["team.example"] = ["127.0.0.1"]
    ok, status, error = worker.deliver_webhook(
        f"http://team.example:{team.port}/hook", "s", {"event": "ping"}, delivery_id="d1", timeout=2
    )
    assert (ok, status, error) == (True, 200, "")
    assert team.hits[0]["Host"] == f"team.example:{team.port}"


def test_a_redirect_to_an_internal_url_is_not_followed(settings, receivers):
    settings.REPORTS_WEBHOOK_ALLOW_PRIVATE = True
    internal = receivers()
    team = receivers(status=302, location=f"http://127.0.0.1:{internal.port}/admin/")
    ok, status, error = worker.deliver_webhook(
        f"http://127.0.0.1:{team.port}/hook", "s", {"event": "ping"}, delivery_id="d1", timeout=2
    )
    assert (ok, status, error) == (False, 302, "redirect")
    assert len(team.hits) == 1 and internal.hits == []
