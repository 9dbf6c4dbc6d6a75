from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from stations.hours import CLOSED, CLOSES_SOON, OPEN, UNKNOWN, hours_state, validate_opening_hours

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.mark.parametrize(
    ("hours", "when", "state"),
    [
        ("24/7", at(2026, 11, 28, 3, 0), OPEN),
        ("Mo-Fr 08:00-20:00", at(2026, 11, 27, 12, 0), OPEN),  # Friday noon
        ("Mo-Fr 08:00-20:00", at(2026, 11, 27, 19, 40), CLOSES_SOON),  # closes in 20 minutes
        ("Mo-Fr 08:00-20:00", at(2026, 11, 27, 19, 29), OPEN),  # 31 minutes left
        ("Mo-Fr 08:00-20:00", at(2026, 11, 28, 12, 0), CLOSED),  # Saturday
        ("Mo-Fr 08:00-20:00; Sa,Su 10:00-18:00", at(2026, 11, 28, 12, 0), OPEN),
        ("Mo-Su 22:00-02:00", at(2026, 11, 28, 23, 50), OPEN),  # across midnight
        ("Mo-Su 22:00-02:00", at(2026, 11, 29, 1, 45), CLOSES_SOON),  # after midnight, closes 02:00
        ("Mo-Su 22:00-02:00", at(2026, 11, 29, 2, 30), CLOSED),
        ("", at(2026, 11, 28, 12, 0), UNKNOWN),
        ("not hours at all", at(2026, 11, 28, 12, 0), UNKNOWN),
        ("Mo-Fr 08:00-20:00 unknown", at(2026, 11, 27, 12, 0), UNKNOWN),
    ],
)
def test_hours_state(hours, when, state):
    assert hours_state(hours, when).state == state


def test_it_evaluates_in_shanghai_time_whatever_the_input_zone():
    # 11:50 UTC is 19:50 in Beijing: 10 minutes before closing.
    utc = datetime(2026, 11, 27, 11, 50, tzinfo=ZoneInfo("UTC"))
    result = hours_state("Mo-Fr 08:00-20:00", utc)
    assert result.state == CLOSES_SOON
    assert result.closes_at == at(2026, 11, 27, 20, 0)


def test_it_uses_the_current_time_by_default():
    with time_machine.travel(at(2026, 11, 29, 1, 45), tick=False):
        assert hours_state("Mo-Su 22:00-02:00").state == CLOSES_SOON
    with time_machine.travel(at(2026, 11, 29, 12, 0), tick=False):
        state = hours_state("Mo-Su 22:00-02:00")
        assert state.state == CLOSED
        assert state.opens_at == at(2026, 11, 29, 22, 0)


def test_unknown_is_never_open_or_closed():
    state = hours_state("", at(2026, 11, 28, 12, 0))
    assert not state.is_open
    assert state.state not in (OPEN, CLOSED)


def test_validation_accepts_osm_syntax_and_rejects_garbage():
    validate_opening_hours("Mo-Fr 08:00-20:00; Sa,Su 10:00-18:00")
    validate_opening_hours("")
    with pytest.raises(ValidationError):
        validate_opening_hours("8 to 8 daily")
