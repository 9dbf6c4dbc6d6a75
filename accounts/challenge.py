"""The challenge asked before more SMS codes are sent: django-simple-captcha's arithmetic picture.

A challenge is a key and a picture URL; the answer comes back with the next request and can be tried
once (right or wrong, the key is spent), within CAPTCHA_TIMEOUT minutes.
"""

from typing import Any

from captcha.helpers import captcha_image_url
from captcha.models import CaptchaStore
from django.conf import settings
from django.utils import timezone


def challenge_new() -> dict[str, Any]:
    """A new challenge: `key`, `image_url` (a PNG to show), `expires_in` seconds."""
    key = CaptchaStore.generate_key()
    return {"key": key, "image_url": captcha_image_url(key), "expires_in": int(settings.CAPTCHA_TIMEOUT) * 60}


def challenge_check(*, key: str, answer: str) -> bool:
    """Whether `answer` solves the challenge `key`; the key cannot be tried again either way."""
    key, answer = str(key or "").strip().lower()[:40], str(answer or "").strip().lower()[:32]
    if not key or not answer:
        return False
    CaptchaStore.remove_expired()
    store = CaptchaStore.objects.filter(hashkey=key, expiration__gt=timezone.now()).first()
    if store is None:
        return False
    store.delete()
    return store.response == answer
