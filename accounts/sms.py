"""SMS delivery behind one setting, SMS_BACKEND: console (default), file, or http (a provider gateway)."""

import json
import logging
import uuid
from pathlib import Path

import requests
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone

logger = logging.getLogger(__name__)


def send_sms(phone: str, text: str) -> None:
    """Send `text` to `phone` with the configured backend. Raises on delivery failure (http)."""
    backend = settings.SMS_BACKEND
    if backend == "console":
        logger.warning("SMS to %s: %s", phone, text)
        print(f"[SMS] to {phone}: {text}", flush=True)
    elif backend == "file":
        folder = Path(settings.SMS_FILE_DIR)
        folder.mkdir(parents=True, exist_ok=True)
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S%f")
        message = {"to": phone, "text": text, "sent_at": timezone.now().isoformat()}
        path = folder / f"{stamp}-{phone}-{uuid.uuid4().hex[:8]}.json"
        path.write_text(json.dumps(message, ensure_ascii=False), encoding="utf-8")
    elif backend == "http":
        if not settings.SMS_HTTP_URL:
            raise ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL (and SMS_HTTP_KEY).")
        response = requests.post(
            settings.SMS_HTTP_URL,
            json={"phone": phone, "text": text, "sign_name": settings.SMS_HTTP_SIGN_NAME},
            headers={"Authorization": f"Bearer {settings.SMS_HTTP_KEY}"},
            timeout=5,
        )
        response.raise_for_status()
    else:
        raise ImproperlyConfigured(f"Unknown SMS_BACKEND {backend!r}: use console, file or http.")


def read_sms_files(phone: str | None = None) -> list[dict]:
    """Messages written by the file backend, oldest first (for tests and for people trying the portal)."""
    folder = Path(settings.SMS_FILE_DIR)
    if not folder.exists():
        return []
    messages = [json.loads(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return [m for m in messages if phone is None or m["to"] == phone]
