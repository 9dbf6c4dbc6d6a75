"""Beijing's calendar for opening hours: public holidays (`PH` in OSM hours) and 调休 make-up workdays.

The statutory holidays and the make-up workdays (weekend days worked in exchange for a longer break) come
from the `holidays` package, country CN (`weekend_workdays`), which follows the State Council's yearly
announcement in its monthly releases. Staff add what it does not know yet, or correct it, in the admin
(`CalendarDay`): those rows win.

A holiday is the whole break: the run of rest days around a statutory holiday, so 国庆 2026 is 1–7 October,
Sunday the 4th included (the `holidays` package lists only the statutory days and the weekdays given off).
"""

import functools
import time
import uuid
from datetime import date, timedelta

import holidays
from django.core.cache import cache
from django.db import transaction

HOLIDAY = "holiday"
WORKDAY = "workday"

_CACHE_KEY = "stations:calendar:stamp"
# (stamp, {date: kind}): the staff list as this process last read it. The stamp in the shared cache changes
# when staff change a day, and every process reads the list again on its next evaluation; a cache that lost
# the stamp (a restart) adopts this process's stamp rather than sending every process back to the database.
_memo: tuple[str, dict[date, str]] | None = None
# A list page evaluates hundreds of rows: the shared stamp is read at most once per this many seconds.
CHECK_SECONDS = 5.0
_checked_at = 0.0


@functools.lru_cache(maxsize=8)
def _statutory(year: int) -> tuple[frozenset[date], frozenset[date]]:
    """(days off, make-up workdays) of `year` according to the `holidays` package."""
    cn = holidays.country_holidays("CN", years=year)
    off = frozenset(d for d in cn if d.year == year)
    workdays = frozenset(d for d in getattr(cn, "weekend_workdays", ()) if d.year == year)
    return off, workdays


def calendar_changed() -> None:
    """Staff changed a CalendarDay: every process reads the staff list again on its next evaluation."""
    global _memo
    _memo = None
    cache.set(_CACHE_KEY, uuid.uuid4().hex, None)
    # Once more after the commit: a process that read the list in between must not keep the old one.
    transaction.on_commit(lambda: cache.set(_CACHE_KEY, uuid.uuid4().hex, None))


def _staff_days() -> dict[date, str]:
    """The staff-maintained days {date: kind}: one cache read, and a database read only after a change."""
    global _memo, _checked_at
    from .models import CalendarDay

    memo = _memo
    if memo is not None and time.monotonic() - _checked_at < CHECK_SECONDS:
        return memo[1]
    _checked_at = time.monotonic()
    stamp = cache.get(_CACHE_KEY)
    if memo is not None and stamp in (None, memo[0]):
        if stamp is None:
            cache.add(_CACHE_KEY, memo[0], None)
        return memo[1]
    days = dict(CalendarDay.objects.values_list("date", "kind"))
    if stamp is None:
        stamp = uuid.uuid4().hex
        cache.add(_CACHE_KEY, stamp, None)
    _memo = (stamp, days)
    return days


def _base_kind(day: date, staff: dict[date, str]) -> str | None:
    """HOLIDAY for a day off by decree, WORKDAY for a weekend day worked, None for an ordinary day."""
    if day in staff:
        return staff[day]
    off, workdays = _statutory(day.year)
    if day in off:
        return HOLIDAY
    if day in workdays:
        return WORKDAY
    return None


def _is_rest(day: date, staff: dict[date, str]) -> bool:
    kind = _base_kind(day, staff)
    return kind == HOLIDAY or (kind is None and day.weekday() >= 5)


def special_days(first: date, last: date) -> tuple[tuple[date, str], ...]:
    """The holidays and make-up workdays between `first` and `last` (inclusive), in date order.

    A weekend day joins a holiday when it lies in the same run of rest days as a statutory holiday."""
    staff = _staff_days()
    # Look a week either side, so that a weekend at the window's edge sees the holiday it belongs to.
    lo, hi = first - timedelta(days=7), last + timedelta(days=7)
    days = [lo + timedelta(days=i) for i in range((hi - lo).days + 1)]
    kinds = {d: _base_kind(d, staff) for d in days}
    result: dict[date, str] = {d: k for d, k in kinds.items() if k is not None}
    run: list[date] = []
    for d in [*days, None]:
        if d is not None and _is_rest(d, staff):
            run.append(d)
            continue
        if any(kinds[r] == HOLIDAY for r in run):
            result.update(dict.fromkeys(run, HOLIDAY))
        run = []
    return tuple(sorted((d, k) for d, k in result.items() if first <= d <= last))


def day_kind(day: date) -> str | None:
    """HOLIDAY, WORKDAY (a make-up workday) or None for one day."""
    return dict(special_days(day, day)).get(day)
