"""Settings of the reports app (merged into chaoyang_friendly.settings; imports nothing from Django apps)."""

import os

# Photos: our own pixel caps, far below Pillow's (~89 MP warning / ~179 MP error), checked from the
# header before any decoding. JPEG is decoded at 1/2, 1/4 or 1/8 scale (draft mode) close to the size we
# keep, so it may be large; PNG, WebP and HEIC are decoded at full size (a 100 KB PNG of 6000² px costs
# 1.3 s and 500 MB), so their cap is lower: 16 MP covers a 5K screenshot, 25 MP a 24 MP iPhone HEIC.
REPORTS_PHOTO_MAX_PIXELS = int(os.environ.get("REPORTS_PHOTO_MAX_PIXELS", str(40_000_000)))
REPORTS_PHOTO_MAX_PIXELS_FULL_DECODE = int(os.environ.get("REPORTS_PHOTO_MAX_PIXELS_FULL_DECODE", str(16_800_000)))
REPORTS_PHOTO_MAX_PIXELS_HEIF = int(os.environ.get("REPORTS_PHOTO_MAX_PIXELS_HEIF", str(25_000_000)))
# At most this many photos are decoded at once in one process (each may take ~100 MB for a moment); a
# request that finds no free slot within REPORTS_PHOTO_DECODE_WAIT_SECONDS gets a 503 "busy, retry".
REPORTS_PHOTO_DECODE_CONCURRENCY = int(os.environ.get("REPORTS_PHOTO_DECODE_CONCURRENCY", "2"))
REPORTS_PHOTO_DECODE_WAIT_SECONDS = float(os.environ.get("REPORTS_PHOTO_DECODE_WAIT_SECONDS", "3"))
REPORTS_PHOTO_MAX_BYTES = int(os.environ.get("REPORTS_PHOTO_MAX_BYTES", str(12 * 1024 * 1024)))
REPORTS_PHOTO_MAX_COUNT = 3
REPORTS_PHOTO_LONG_SIDE = 2048
REPORTS_THUMB_LONG_SIDE = 320

# Rate limits for submitting (django-ratelimit syntax).
REPORTS_SUBMIT_USER_RATE = os.environ.get("REPORTS_SUBMIT_USER_RATE", "20/h")
REPORTS_SUBMIT_IP_RATE = os.environ.get("REPORTS_SUBMIT_IP_RATE", "120/h")

# "Me too": open reports of the same category within this distance are offered before submitting.
REPORTS_NEARBY_METRES = 250

# Dispatch: a report still `submitted` after this long is re-enqueued by the sweeper (the broker may have
# been down when it was saved); a routed report with no successful delivery after this long is retried.
REPORTS_REDISPATCH_AFTER_SECONDS = int(os.environ.get("REPORTS_REDISPATCH_AFTER_SECONDS", "60"))
# A report nobody could route for this long is escalated to the district (workers or broker down).
REPORTS_ESCALATE_UNROUTED_AFTER_SECONDS = int(os.environ.get("REPORTS_ESCALATE_UNROUTED_AFTER_SECONDS", "300"))
REPORTS_REDELIVER_AFTER_SECONDS = int(os.environ.get("REPORTS_REDELIVER_AFTER_SECONDS", "300"))
# While one worker sends a report to its team, others hold off this long (longer than a webhook timeout).
REPORTS_DELIVERY_LEASE_SECONDS = int(os.environ.get("REPORTS_DELIVERY_LEASE_SECONDS", "30"))
REPORTS_WEBHOOK_TIMEOUT_SECONDS = float(os.environ.get("REPORTS_WEBHOOK_TIMEOUT_SECONDS", "5"))


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    return default if not value else value in {"1", "true", "yes", "on"}


# Webhooks may point at private/loopback addresses (and plain http at loopback) only when this is on: by
# default in DEBUG; tests, the fault harness and local benchmarks set it for their 127.0.0.1 receivers.
# Cloud metadata addresses stay refused (reports/netguard.py).
REPORTS_WEBHOOK_ALLOW_PRIVATE = _flag("REPORTS_WEBHOOK_ALLOW_PRIVATE", _flag("DJANGO_DEBUG", True))
REPORTS_DISPATCH_MAX_RETRIES = int(os.environ.get("REPORTS_DISPATCH_MAX_RETRIES", "8"))
REPORTS_DISPATCH_BACKOFF_BASE = float(os.environ.get("REPORTS_DISPATCH_BACKOFF_BASE", "2"))
REPORTS_DISPATCH_BACKOFF_MAX = float(os.environ.get("REPORTS_DISPATCH_BACKOFF_MAX", "300"))

# A retry chain that has not come back this long after its announced next attempt is taken for dead
# (its message was lost with the broker or its worker): only then does the sweeper start another.
REPORTS_CHAIN_GRACE_SECONDS = int(os.environ.get("REPORTS_CHAIN_GRACE_SECONDS", "60"))
# After this many failed webhook attempts for one assignment, a team with an SMS number gets an SMS.
REPORTS_SMS_FALLBACK_AFTER_FAILURES = int(os.environ.get("REPORTS_SMS_FALLBACK_AFTER_FAILURES", "3"))
# After this many failed attempts (all channels) the report is escalated to street staff as undeliverable.
REPORTS_UNDELIVERABLE_AFTER_FAILURES = int(os.environ.get("REPORTS_UNDELIVERABLE_AFTER_FAILURES", "6"))
REPORTS_SWEEP_SECONDS = float(os.environ.get("REPORTS_SWEEP_SECONDS", "30"))

CELERY_BEAT_SCHEDULE = {
    "reports-sweep": {"task": "reports.sweep", "schedule": REPORTS_SWEEP_SECONDS},
    # Backstop for photo files of submissions that died mid-transaction (maintenance queue).
    "reports-photos-orphans": {"task": "reports.photos_orphans_remove", "schedule": 3600.0},
}
