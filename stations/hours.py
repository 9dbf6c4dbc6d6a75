"""Opening hours in OpenStreetMap `opening_hours` syntax, evaluated in Asia/Shanghai, told in plain words.

Parsing and evaluation are done by opening-hours-py (a Rust implementation of the OSM specification).
A station is "open", "closes soon" (closes within STATIONS_CLOSES_SOON_MINUTES), "closed" or "unknown".
Empty, unparsable or explicitly `unknown` hours are "unknown": never shown as open or closed.

China's calendar (stations/workdays.py) is applied day by day: on a public holiday the `PH` rules apply
("PH off": closed for the whole 国庆 break), and a 调休 make-up workday (a Saturday or Sunday worked) keeps
the hours of the nearest weekday (a Saturday those of Friday, a Sunday those of Monday), so "Mo-Fr" covers it.

`describe(text, lang=...)` tells the hours as riders read them: "周一至周五 9:00–21:00，节假日休息",
"全天 24 小时开放"; "Mon–Fri 9:00–21:00; closed on public holidays" in English. Hours outside the simple
form that the admin editor writes (days, time ranges, off, PH) are shown as written.
"""

import dataclasses
import functools
import re
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import opening_hours
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from . import workdays

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

# --- the simple form: what the admin editor writes and riders read ------------------------------------

DAY_CODES = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
ALL_DAYS = frozenset(range(7))
FULL_DAY = (0, 24 * 60)


@dataclasses.dataclass(frozen=True)
class Rule:
    """One rule of the simple form: on `days` (0 = Monday; None: no day selector, i.e. every day) and on
    public holidays when `holiday`, open during `times` (minutes from midnight; an end past 24:00 or
    before the start runs into the next day), or closed when `off`."""

    days: frozenset[int] | None
    holiday: bool = False
    times: tuple[tuple[int, int], ...] = ()
    off: bool = False

    @property
    def every_day(self) -> bool:
        return self.days is None or (self.days == ALL_DAYS and not self.holiday)


_RANGE = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")
_SELECTOR_ITEM = re.compile(r"^(?:PH|(Mo|Tu|We|Th|Fr|Sa|Su)(?:-(Mo|Tu|We|Th|Fr|Sa|Su))?)$")


def _parse_selector(token: str) -> tuple[frozenset[int], bool] | None:
    days: set[int] = set()
    holiday = False
    for item in token.split(","):
        match = _SELECTOR_ITEM.match(item)
        if match is None:
            return None
        if item == "PH":
            holiday = True
            continue
        first = DAY_CODES.index(match.group(1))
        last = DAY_CODES.index(match.group(2)) if match.group(2) else first
        span = (last - first) % 7
        days.update((first + i) % 7 for i in range(span + 1))
    return frozenset(days), holiday


def _parse_times(text: str) -> tuple[tuple[int, int], ...] | None:
    ranges = []
    for part in text.split(","):
        match = _RANGE.match(part.strip())
        if match is None:
            return None
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if m1 > 59 or m2 > 59 or h1 * 60 + m1 > 24 * 60 or h2 * 60 + m2 > 48 * 60:
            return None
        ranges.append((h1 * 60 + m1, h2 * 60 + m2))
    return tuple(ranges)


@functools.lru_cache(maxsize=1024)
def parse_simple(text: str) -> tuple[Rule, ...] | None:
    """The rules of `text` when it is in the simple form (`24/7`, `Mo-Fr 09:00-12:00,13:00-18:00`,
    `Sa,Su off`, `PH off`, separated by `;`), else None (comments, months, weeks, fallbacks…)."""
    text = normalize_opening_hours(text)
    if not text or '"' in text or "||" in text:
        return None
    rules = []
    for raw in text.split(";"):
        raw = raw.strip()
        if not raw:
            continue
        if raw == "24/7":
            rules.append(Rule(None, times=(FULL_DAY,)))
            continue
        head, _sep, rest = raw.partition(" ")
        selector = _parse_selector(head)
        if selector is None:
            days, holiday, rest = None, False, raw
        else:
            (days, holiday), rest = selector, rest.strip()
        if rest in ("off", "closed"):
            rules.append(Rule(days, holiday, off=True))
        elif rest in ("", "open"):
            if days is None and not holiday:
                return None
            rules.append(Rule(days, holiday, times=(FULL_DAY,)))
        else:
            times = _parse_times(rest)
            if times is None:
                return None
            rules.append(Rule(days, holiday, times=times))
    return tuple(rules) or None


# Words per language: the formatter's locale data, like day names in a date format.
_WORDS = {
    "zh": {
        "days": ("周一", "周二", "周三", "周四", "周五", "周六", "周日"),
        "range": "{first}至{last}",
        "list": "、",
        "holiday": "节假日",
        "every_day": "每天",
        "always": "全天 24 小时开放",
        "all_day": "{days}全天开放",
        "off": "{days}休息",
        "open": "{days} {times}",
        "next_day": "次日 {t}",
        "clauses": "，",
    },
    "en": {
        "days": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
        "range": "{first}–{last}",
        "list": ", ",
        "holiday": "public holidays",
        "every_day": "Daily",
        "always": "Open 24 hours",
        "all_day": "{days} open all day",
        "off": "closed on {days}",
        "open": "{days} {times}",
        "next_day": "{t} (next day)",
        "clauses": "; ",
    },
}


def _lang(lang: str | None) -> str:
    return "en" if (lang or get_language() or "zh-hans").lower().startswith("en") else "zh"


def _clock(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


def _days_label(rule: Rule, words: dict) -> str:
    if rule.every_day:
        return words["every_day"]
    names = words["days"]
    parts, run = [], []
    for day in [*sorted(rule.days or ()), None]:
        if day is not None and (not run or day == run[-1] + 1):
            run.append(day)
            continue
        if len(run) >= 3:
            parts.append(words["range"].format(first=names[run[0]], last=names[run[-1]]))
        else:
            parts.extend(names[d] for d in run)
        run = [day] if day is not None else []
    if rule.holiday:
        parts.append(words["holiday"])
    return words["list"].join(parts)


def _times_label(times: tuple[tuple[int, int], ...], words: dict) -> str:
    labels = []
    for start, end in times:
        overnight = end <= start or end > 24 * 60
        finish = words["next_day"].format(t=_clock(end % (24 * 60))) if overnight else _clock(end)
        labels.append(f"{_clock(start)}–{finish}")
    return words["list"].join(labels)


@functools.lru_cache(maxsize=1024)
def _describe(text: str, lang: str) -> str:
    rules = parse_simple(text)
    if rules is None:
        return text.strip()
    words = _WORDS[lang]
    clauses = []
    for rule in rules:
        days = _days_label(rule, words)
        if rule.off:
            clauses.append(words["off"].format(days=days))
        elif rule.times == (FULL_DAY,):
            clauses.append(words["always"] if rule.every_day else words["all_day"].format(days=days))
        else:
            clauses.append(words["open"].format(days=days, times=_times_label(rule.times, words)))
    text = words["clauses"].join(clauses)
    return text[:1].upper() + text[1:] if lang == "en" else text


def describe(opening_hours: str, *, lang: str | None = None) -> str:
    """The hours in plain words of `lang` (default: the active language): "周一至周五 9:00–21:00，节假日休息",
    "全天 24 小时开放"; "" when unknown; hours beyond the simple form as written."""
    text = (opening_hours or "").strip()
    return _describe(text, _lang(lang)) if text else ""


# --- validation ----------------------------------------------------------------------------------------

# Characters a Chinese input method types instead of the ASCII ones the syntax needs.
_FULL_WIDTH = str.maketrans(
    {"：": ":", "；": ";", "，": ",", "－": "-", "—": "-", "–": "-", "～": "-", "~": "-", "　": " "}
)


def normalize_opening_hours(value: str) -> str:
    """`value` with full-width punctuation (typed with a Chinese input method) made ASCII, spaces tidied."""
    return " ".join((value or "").translate(_FULL_WIDTH).split())


_TIME_RANGE = re.compile(r"(?<![\d:])(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})(?![\d:])")


def validate_opening_hours(value: str) -> None:
    """Raise ValidationError unless `value` is empty or valid OSM opening_hours syntax, naming the mistake."""
    if not value:
        return
    for h1, m1, h2, m2 in _TIME_RANGE.findall(value):
        start, end = int(h1) * 60 + int(m1), int(h2) * 60 + int(m2)
        span = f"{h1}:{m1}-{h2}:{m2}"
        if int(m1) > 59 or int(m2) > 59 or start > 24 * 60 or end > 48 * 60:
            raise ValidationError(
                _("时段 %(range)s 里的时间不存在，请填写 00:00 到 24:00 之间的时间。"),
                code="invalid_time",
                params={"range": span},
            )
        if start == end:
            raise ValidationError(
                _("时段 %(range)s 的开始和结束时间相同，请改正。"), code="empty_time_range", params={"range": span}
            )
    if not opening_hours.validate(value):
        raise ValidationError(
            _("营业时间格式无效（OpenStreetMap opening_hours 语法，如 “24/7” 或 “Mo-Fr 08:00-20:00”）。"),
            code="invalid_opening_hours",
        )


# --- evaluation ----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> opening_hours.OpeningHours | None:
    # Thousands of stations share a handful of expressions; parse each once per process.
    try:
        return opening_hours.OpeningHours(text, max_interval_days=8)
    except (opening_hours.ParserError, SyntaxError, ValueError):
        return None


_PH = re.compile(r'"[^"]*"|\bPH\b')


@functools.lru_cache(maxsize=1024)
def _parse_on_holiday(text: str) -> opening_hours.OpeningHours | None:
    """`text` as it reads on a public holiday: every `PH` selector matches the day (outside comments)."""
    if "PH" not in text:
        return _parse(text)
    rewritten = _PH.sub(lambda m: "Mo-Su" if m.group(0) == "PH" else m.group(0), text)
    return _parse(rewritten) or _parse(text)


def local_now(now: datetime | None = None) -> datetime:
    """Return `now` (default: the current time) as a naive Asia/Shanghai wall-clock time."""
    now = now or timezone.now()
    if timezone.is_aware(now):
        now = now.astimezone(LOCAL_TZ)
    return now.replace(tzinfo=None, microsecond=0)


def _aware(local: datetime | None) -> datetime | None:
    return local.replace(tzinfo=LOCAL_TZ) if local is not None else None


WINDOW_DAYS = 8


class HoursClock:
    """Opening states at one instant. A list reads its clock once, so every row is judged at the same
    minute (and the same calendar) and the per-row cost is one cache lookup."""

    __slots__ = ("_special", "minute", "soon_minutes")

    def __init__(self, now: datetime | None = None) -> None:
        # OSM hours change on whole minutes, so the state at hh:mm:ss is the state at hh:mm: every request
        # in the same minute shares one evaluation per expression.
        self.minute = local_now(now).replace(second=0)
        self.soon_minutes = settings.STATIONS_CLOSES_SOON_MINUTES
        self._special: tuple[tuple[date, str], ...] | None = None

    @property
    def special(self) -> tuple[tuple[date, str], ...]:
        """The holidays and make-up workdays from today to the end of the window (read once per clock)."""
        if self._special is None:
            today = self.minute.date()
            self._special = workdays.special_days(today - timedelta(days=1), today + timedelta(days=WINDOW_DAYS))
        return self._special

    def state(self, text: str) -> HoursState:
        """The state of a station with opening hours `text`."""
        text = text.strip() if text else ""
        if not text:
            return _UNKNOWN_STATE
        return _state_at(text, self.minute, self.soon_minutes, self.special)


def hours_state(text: str, now: datetime | None = None) -> HoursState:
    """Return the state of a station with opening hours `text` at `now` (aware, default: now)."""
    return HoursClock(now).state(text)


Interval = tuple[datetime, datetime, object]


def _day_intervals(text: str, day: date, kind: str | None) -> list[Interval]:
    """The intervals of `day` (local, naive) as China's calendar makes them."""
    proxy, parsed = day, _parse(text)
    if kind == workdays.HOLIDAY:
        parsed = _parse_on_holiday(text)
    elif kind == workdays.WORKDAY and day.weekday() >= 5:
        # A make-up Saturday keeps Friday's hours, a make-up Sunday Monday's.
        proxy = day - timedelta(days=1) if day.weekday() == 5 else day + timedelta(days=1)
    if parsed is None:
        return []
    shift = day - proxy
    start = datetime.combine(proxy, time())
    return [(a + shift, b + shift, st) for a, b, st, _c in parsed.intervals(start, start + timedelta(days=1))]


def _intervals(text: str, at: datetime, special: tuple[tuple[date, str], ...]) -> list[Interval]:
    """The intervals from `at` to the end of the window, merged where the state does not change."""
    end = at + timedelta(days=WINDOW_DAYS)
    relevant = {d: k for d, k in special if k == workdays.WORKDAY or "PH" in text}
    if not relevant:
        parsed = _parse(text)
        return [(a, b, st) for a, b, st, _c in parsed.intervals(at, end)] if parsed else []
    merged: list[Interval] = []
    day = at.date()
    while datetime.combine(day, time()) < end:
        for a, b, st in _day_intervals(text, day, relevant.get(day)):
            a, b = max(a, at), min(b, end)
            if a >= b:
                continue
            if merged and merged[-1][2] == st and merged[-1][1] == a:
                merged[-1] = (merged[-1][0], b, st)
            else:
                merged.append((a, b, st))
        day += timedelta(days=1)
    return merged


@functools.lru_cache(maxsize=2048)
def _state_at(text: str, at: datetime, soon_minutes: int, special: tuple[tuple[date, str], ...]) -> HoursState:
    if _parse(text) is None:
        return _UNKNOWN_STATE
    intervals = _intervals(text, at, special)
    if not intervals:
        return _UNKNOWN_STATE
    state = intervals[0][2]
    if state == opening_hours.State.UNKNOWN:
        return _UNKNOWN_STATE
    if state == opening_hours.State.CLOSED:
        opens = next((a for a, _b, st in intervals if st == opening_hours.State.OPEN), None)
        return HoursState(CLOSED, opens_at=_aware(opens))
    # Open: find when it stops being open (a change to another open interval is not a closing).
    closes_at = next((a for a, _b, st in intervals if st != opening_hours.State.OPEN), None)
    if closes_at is not None and closes_at - at <= timedelta(minutes=soon_minutes):
        return HoursState(CLOSES_SOON, closes_at=_aware(closes_at))
    return HoursState(OPEN, closes_at=_aware(closes_at))
