"""Opening hours in OpenStreetMap `opening_hours` syntax, evaluated in Asia/Shanghai.

Parsing and evaluation are done by opening-hours-py (a Rust implementation of the OSM specification).
A station is "open", "closes soon" (closes within STATIONS_CLOSES_SOON_MINUTES), "closed" or "unknown".
Empty, unparsable or explicitly `unknown` hours are "unknown": never shown as open or closed.
"""

import dataclasses
import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import opening_hours
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

OPEN = "open"
CLOSES_SOON = "soon"
CLOSED = "closed"
UNKNOWN = "unknown"

STATE_LABELS = {
    OPEN: _("营业中"),
    CLOSES_SOON: _("即将关门"),
    CLOSED: _("已关门"),
    UNKNOWN: _("时间未知"),
}


@dataclasses.dataclass(frozen=True)
class HoursState:
    state: str
    closes_at: datetime | None = None  # local time the station closes (open / closes soon)
    opens_at: datetime | None = None  # local time it opens next (closed)

    @functools.cached_property
    def closes_at_iso(self) -> str | None:
        """closes_at as ISO 8601, formatted once: a state is shared by every station with the same hours."""
        return self.closes_at.isoformat() if self.closes_at else None

    @property
    def label(self) -> str:
        return str(STATE_LABELS[self.state])

    @property
    def is_open(self) -> bool:
        """True for "open" and "closes soon"; never for "unknown"."""
        return self.state in (OPEN, CLOSES_SOON)

    def as_dict(self) -> dict:
        return {
            "state": self.state,
            "label": self.label,
            "closes_at": self.closes_at_iso,
            "opens_at": self.opens_at.isoformat() if self.opens_at else None,
        }


_UNKNOWN_STATE = HoursState(UNKNOWN)


def validate_opening_hours(value: str) -> None:
    """Raise ValidationError unless `value` is empty or valid OSM opening_hours syntax."""
    if value and not opening_hours.validate(value):
        raise ValidationError(
            _("营业时间格式无效（OpenStreetMap opening_hours 语法，如 “24/7” 或 “Mo-Fr 08:00-20:00”）。"),
            code="invalid_opening_hours",
        )


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> opening_hours.OpeningHours | None:
    # Thousands of stations share a handful of expressions; parse each once per process.
    try:
        return opening_hours.OpeningHours(text, max_interval_days=8)
    except (opening_hours.ParserError, SyntaxError, ValueError):
        return None


def local_now(now: datetime | None = None) -> datetime:
    """Return `now` (default: the current time) as a naive Asia/Shanghai wall-clock time."""
    now = now or timezone.now()
    if timezone.is_aware(now):
        now = now.astimezone(LOCAL_TZ)
    return now.replace(tzinfo=None, microsecond=0)


def _aware(local: datetime | None) -> datetime | None:
    return local.replace(tzinfo=LOCAL_TZ) if local is not None else None


class HoursClock:
    """Opening states at one instant. A list reads its clock once, so every row is judged at the same
    minute and the per-row cost is one cache lookup."""

    __slots__ = ("minute", "soon_minutes")

    def __init__(self, now: datetime | None = None) -> None:
        # OSM hours change on whole minutes, so the state at hh:mm:ss is the state at hh:mm: every request
        # in the same minute shares one evaluation per expression.
        self.minute = local_now(now).replace(second=0)
        self.soon_minutes = settings.STATIONS_CLOSES_SOON_MINUTES

    def state(self, text: str) -> HoursState:
        """The state of a station with opening hours `text`."""
        text = text.strip() if text else ""
        if not text:
            return _UNKNOWN_STATE
        return _state_at(text, self.minute, self.soon_minutes)


def hours_state(text: str, now: datetime | None = None) -> HoursState:
    """Return the state of a station with opening hours `text` at `now` (aware, default: now)."""
    return HoursClock(now).state(text)


@functools.lru_cache(maxsize=2048)
def _state_at(text: str, at: datetime, soon_minutes: int) -> HoursState:
    parsed = _parse(text)
    if parsed is None:
        return _UNKNOWN_STATE
    state, _comment = parsed.state(at)
    if state == opening_hours.State.UNKNOWN:
        return _UNKNOWN_STATE
    if state == opening_hours.State.CLOSED:
        return HoursState(CLOSED, opens_at=_aware(_next_state_start(parsed, at, opening_hours.State.OPEN)))
    # Open: find when it stops being open (a change to another open interval is not a closing).
    closes_at = _next_state_start(parsed, at, None)
    if closes_at is not None and closes_at - at <= timedelta(minutes=soon_minutes):
        return HoursState(CLOSES_SOON, closes_at=_aware(closes_at))
    return HoursState(OPEN, closes_at=_aware(closes_at))


def _next_state_start(parsed: opening_hours.OpeningHours, at: datetime, wanted: object) -> datetime | None:
    """The start of the next interval in state `wanted` (None: any state that is not open), within 8 days."""
    end = at + timedelta(days=8)
    for start, _stop, state, _comment in parsed.intervals(at, end):
        if wanted is None and state != opening_hours.State.OPEN:
            return max(start, at)
        if wanted is not None and state == wanted:
            return max(start, at)
    return None
