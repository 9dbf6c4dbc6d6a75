"""The dispatch worker's side: it holds only settings.API_BASE_URL and settings.DISPATCHER_TOKEN and talks
to the portal through the REST API. Nothing here imports a model or opens the database, so workers can
run on any host that reaches the API (DESIGN.md, "The 随手拍 dispatch flow").
"""

import hashlib
import hmac
import json
import random
import time
import uuid
from dataclasses import dataclass
from typing import Any

import requests

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

    def payload(self, report_id: int) -> dict:
        return self._call("GET", f"reports/{report_id}/")

    def record(
        self, report_id: int, *, key: str, channel: str, outcome: str, status_code: int | None, error: str
    ) -> dict:
        body = {"channel": channel, "outcome": outcome, "status_code": status_code, "error": error[:500]}
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


def deliver_webhook(
    url: str, secret: str, message: dict, *, delivery_id: str, timeout: float
) -> tuple[bool, int | None, str]:
    """POST the signed JSON; return (delivered, HTTP status, error)."""
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: "sha256=" + sign(secret, timestamp, body),
        DELIVERY_HEADER: delivery_id,
        "User-Agent": "chaoyang-friendly-dispatch/1",
    }
    try:
        response = requests.post(url, data=body, headers=headers, timeout=(3, timeout))
    except requests.RequestException as exc:
        return False, None, str(exc)[:500]
    if 200 <= response.status_code < 300:
        return True, response.status_code, ""
    return False, response.status_code, response.text[:200]


def deliver_sms(phone: str, text: str) -> tuple[bool, None, str]:
    from accounts.sms import send_sms  # settings only; no models

    try:
        send_sms(phone, text)
    except Exception as exc:  # noqa: BLE001 - any gateway failure is a failed delivery, retried
        return False, None, str(exc)[:500]
    return True, None, ""


def dispatch(report_id: int, *, client: DispatchClient, webhook_timeout: float = 5.0) -> str:
    """Route the report, then deliver it to its team unless that team already has it.

    Returns "delivered", "already" (nothing to send) or raises TransientError (after recording a failed
    attempt) so that the task retries. Safe to run twice: routing is idempotent and the delivery state is
    read from the API right before sending.
    """
    info = client.route(report_id)["dispatch"]
    if not info["open"] or info["delivered"] or not info.get("team"):
        return "already"
    if not info.get("lease"):
        # Another worker is sending it right now; look again later (then it is delivered, or failed).
        raise TransientError(f"report {report_id} is being delivered by another worker")
    team = info["team"]
    key = f"r{report_id}-t{team['id']}-{uuid.uuid4().hex}"
    if team.get("webhook_url"):
        channel = "webhook"
        ok, status_code, error = deliver_webhook(
            team["webhook_url"],
            team.get("webhook_secret") or "",
            info["message"],
            delivery_id=key,
            timeout=webhook_timeout,
        )
    elif team.get("sms_phone"):
        channel = "sms"
        ok, status_code, error = deliver_sms(team["sms_phone"], info["sms_text"])
    else:
        raise PermanentError(f"team {team['id']} has neither a webhook nor an SMS number")
    client.record(
        report_id,
        key=key,
        channel=channel,
        outcome="success" if ok else "failure",
        status_code=status_code,
        error=error,
    )
    if not ok:
        raise TransientError(f"delivery to team {team['id']} failed: {status_code} {error}")
    return "delivered"
