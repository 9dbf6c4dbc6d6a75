"""The dispatch worker's side: it holds only settings.API_BASE_URL and settings.DISPATCHER_TOKEN and talks
to the portal through the REST API. Nothing here imports a model or opens the database, so workers can
run on any host that reaches the API (DESIGN.md, "The 随手拍 dispatch flow").
"""

import hashlib
import hmac
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import requests

from . import netguard

SIGNATURE_HEADER = "X-Chaoyang-Signature"
TIMESTAMP_HEADER = "X-Chaoyang-Timestamp"
DELIVERY_HEADER = "X-Chaoyang-Delivery"


class TransientError(Exception):
    """Worth retrying later: network trouble, a 5xx, a 409 from routing, a failed delivery."""


class PermanentError(Exception):
    """Retrying cannot help (the report does not exist, the token is refused)."""


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over f"{timestamp}.{body}", hex — see reports/WEBHOOKS.md for the receiving side."""
    return hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, *, tolerance: int = 300) -> bool:
    """What a team's receiver does: constant-time compare and refuse stale timestamps (replays)."""
    try:
        age = abs(time.time() - int(timestamp))
    except ValueError:
        return False
    return age <= tolerance and hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff_seconds(retries: int, *, base: float, cap: float) -> float:
    """Exponential backoff with full jitter: uniform(0, min(cap, base·2^retries)), at least 0.1 s."""
    return max(0.1, random.uniform(0, min(cap, base * (2**retries))))


@dataclass
class DispatchClient:
    base_url: str
    token: str
    timeout: float = 5.0

    def __post_init__(self) -> None:
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Bearer {self.token}", "Accept": "application/json"})

    def _call(self, method: str, path: str, **kwargs: Any) -> dict:
        url = self.base_url.rstrip("/") + "/api/v1/dispatch/" + path
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise TransientError(f"{method} {path}: {exc}") from exc
        if response.status_code in {401, 403, 404}:
            raise PermanentError(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 300:
            raise TransientError(f"{method} {path}: HTTP {response.status_code} {response.text[:200]}")
        return response.json()

    def route(self, report_id: int) -> dict:
        return self._call("POST", f"reports/{report_id}/route/")

    def record(
        self,
        report_id: int,
        *,
        key: str,
        channel: str,
        outcome: str,
        status_code: int | None,
        error: str,
        retry_in: float | None = None,
    ) -> dict:
        body = {
            "channel": channel,
            "outcome": outcome,
            "status_code": status_code,
            "error": error[:500],
            "retry_in": retry_in,
        }
        last: Exception | None = None
        for _attempt in range(3):  # the same Idempotency-Key makes a repeated POST harmless
            try:
                return self._call(
                    "POST", f"reports/{report_id}/deliveries/", json=body, headers={"Idempotency-Key": key}
                )
            except TransientError as exc:
                last = exc
                time.sleep(0.2)
        raise TransientError(str(last))

    def sweep(self) -> dict:
        return self._call("POST", "sweep/")


def error_class(exc: requests.RequestException) -> str:
    """A short class of a transport failure for the delivery log: never the receiver's host, path or
    answer (those stay out of staff views and the rider's timeline, and make no port scanner)."""
    if isinstance(exc, requests.Timeout):
        return "timeout"
    if isinstance(exc, requests.exceptions.SSLError):
        return "tls"
    if isinstance(exc, requests.ConnectionError):
        return "unreachable"
    return "request"


def deliver_webhook(
    url: str,
    secret: str,
    message: dict,
    *,
    delivery_id: str,
    timeout: float,
    allow_private: bool | None = None,
) -> tuple[bool, int | None, str]:
    """POST the signed JSON once to the checked address (redirects are not followed); return (delivered,
    HTTP status, error class). A URL that resolves to a refused address is "blocked_address"."""
    try:
        target = netguard.webhook_target(url, allow_private=allow_private)
    except netguard.BlockedAddress:
        return False, None, "blocked_address"
    except netguard.Unresolvable:
        return False, None, "unreachable"
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Host": target.host_header,
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: "sha256=" + sign(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
        "User-Agent": "chaoyang-friendly-dispatch/1",
    }
    with netguard.pinned_session(target) as session:
        try:
            response = session.post(
                url, data=body, headers=headers, timeout=(3, timeout), allow_redirects=False, stream=True
            )
        except requests.RequestException as exc:
            return False, None, error_class(exc)
        response.close()  # the answer is never read: only its status code is kept
    if 200 <= response.status_code < 300:
        return True, response.status_code, ""
    return False, response.status_code, "redirect" if 300 <= response.status_code < 400 else "http"


def deliver_sms(phone: str, text: str) -> tuple[bool, None, str]:
    from accounts.sms import send_sms  # settings only; no models

    try:
        send_sms(phone, text)
    except Exception as exc:  # noqa: BLE001 - any gateway failure is a failed delivery, retried
        return False, None, f"sms: {type(exc).__name__}"
    return True, None, ""


def dispatch(
    report_id: int, *, client: DispatchClient, webhook_timeout: float = 5.0, retry_in: float | None = None
) -> str:
    """Route the report, then deliver it to its team unless that team already has it.

    Returns "delivered", "already" (nothing to send) or "busy" (another worker holds the delivery lease:
    its chain goes on, this one ends), or raises TransientError (after recording a failed attempt) so that
    the task retries in `retry_in` seconds (None: the task gives up; the server then escalates).
    Every attempt for one assignment carries the same delivery id, so a team drops repeats.
    """
    info = client.route(report_id)["dispatch"]
    if not info["open"] or info["delivered"] or not info.get("team"):
        return "already"
    if not info.get("lease"):
        return "busy"
    team = info["team"]
    if info["channel"] == "webhook":
        ok, status_code, error = deliver_webhook(
            team["webhook_url"],
            team.get("webhook_secret") or "",
            info["message"],
            delivery_id=info["delivery_id"],
            timeout=webhook_timeout,
        )
    else:
        ok, status_code, error = deliver_sms(team["sms_phone"], info["sms_text"])
    client.record(
        report_id,
        key=info["attempt_key"],
        channel=info["channel"],
        outcome="success" if ok else "failure",
        status_code=status_code,
        error=error,
        retry_in=None if ok else retry_in,
    )
    if not ok:
        raise TransientError(f"delivery to team {team['id']} failed: {status_code} {error}")
    return "delivered"
