from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import ValidationError

from stations.hours import CLOSED, CLOSES_SOON, OPEN, UNKNOWN, hours_state, validate_opening_hours

SH = ZoneInfo("Asia/Shanghai")

# China's calendar (the staff list of CalendarDay) is read from the database.
pytestmark = pytest.mark.django_db


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


# --- China's calendar: 国庆, 调休 and the staff's own days (issue #15) ---------------------------------


@pytest.fixture
def staff_calendar():
    """Staff days created in a test are rolled back with it: the process's memo of them goes back too."""
    from stations import workdays

    workdays._staff_days()
    saved = workdays._memo
    yield
    workdays._memo = saved


@pytest.mark.parametrize(
    "when",
    [
        at(2026, 10, 1, 12, 0),  # 国庆节 (Thursday)
        at(2026, 10, 4, 12, 0),  # Sunday inside the break: the break is 1–7 October
        at(2026, 10, 6, 12, 0),  # Tuesday, a weekday given off
        at(2026, 10, 7, 20, 0),
    ],
)
def test_ph_off_closes_for_the_national_day_break(when):
    state = hours_state("Mo-Su 09:00-21:00; PH off", when)
    assert state.state == CLOSED
    assert state.opens_at == at(2026, 10, 8, 9, 0)


def test_ph_off_keeps_ordinary_days_and_announces_the_break():
    hours = "Mo-Su 09:00-21:00; PH off"
    assert hours_state(hours, at(2026, 10, 8, 12, 0)).state == OPEN
    eve = hours_state(hours, at(2026, 9, 30, 20, 45))
    assert eve.state == CLOSES_SOON and eve.closes_at == at(2026, 9, 30, 21, 0)
    # Without "PH off" the holiday changes nothing.
    assert hours_state("Mo-Su 09:00-21:00", at(2026, 10, 1, 12, 0)).state == OPEN


def test_ph_rules_with_their_own_hours_apply_on_holidays():
    hours = "Mo-Fr 09:00-21:00; PH 10:00-16:00"
    assert hours_state(hours, at(2026, 10, 1, 9, 30)).state == CLOSED
    assert hours_state(hours, at(2026, 10, 1, 12, 0)).state == OPEN
    assert hours_state(hours, at(2026, 10, 1, 17, 0)).state == CLOSED


@pytest.mark.parametrize(
    ("when", "state"),
    [
        (at(2026, 10, 10, 12, 0), OPEN),  # Saturday worked for 国庆 (调休): Friday's hours
        (at(2026, 9, 20, 12, 0), OPEN),  # Sunday worked: Monday's hours
        (at(2026, 10, 10, 21, 30), CLOSED),
        (at(2026, 10, 17, 12, 0), CLOSED),  # an ordinary Saturday
    ],
)
def test_make_up_workdays_keep_weekday_hours(when, state):
    assert hours_state("Mo-Fr 09:00-21:00", when).state == state


def test_the_next_opening_counts_a_make_up_saturday():
    # Friday 9 October after closing: the next opening is the make-up Saturday morning, not Monday.
    assert hours_state("Mo-Fr 09:00-21:00", at(2026, 10, 9, 22, 0)).opens_at == at(2026, 10, 10, 9, 0)


def test_staff_days_add_what_the_library_does_not_know(staff_calendar):
    from stations.models import CalendarDay

    saturday, weekday = at(2027, 3, 13, 12, 0), at(2027, 3, 15, 12, 0)
    assert hours_state("Mo-Fr 09:00-21:00", saturday).state == CLOSED
    assert hours_state("Mo-Fr 09:00-21:00; PH off", weekday).state == OPEN
    CalendarDay.objects.create(date=saturday.date(), kind=CalendarDay.Kind.WORKDAY, note="调休")
    CalendarDay.objects.create(date=weekday.date(), kind=CalendarDay.Kind.HOLIDAY)
    assert hours_state("Mo-Fr 09:00-21:00", saturday).state == OPEN
    assert hours_state("Mo-Fr 09:00-21:00; PH off", weekday).state == CLOSED
    CalendarDay.objects.filter(date=weekday.date()).get().delete()
    assert hours_state("Mo-Fr 09:00-21:00; PH off", weekday).state == OPEN


def test_a_staff_day_corrects_the_library(staff_calendar):
    from stations.models import CalendarDay

    CalendarDay.objects.create(date=datetime(2026, 10, 10).date(), kind=CalendarDay.Kind.HOLIDAY)
    assert hours_state("Mo-Fr 09:00-21:00", at(2026, 10, 10, 12, 0)).state == CLOSED


# --- hours in plain words -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hours", "zh", "en"),
    [
        (
            "Mo-Fr 09:00-21:00; PH off",
            "周一至周五 9:00–21:00，节假日休息",
            "Mon–Fri 9:00–21:00; closed on public holidays",
        ),
        ("24/7", "全天 24 小时开放", "Open 24 hours"),
        ("Mo-Su 00:00-24:00", "全天 24 小时开放", "Open 24 hours"),
        ("24/7; PH off", "全天 24 小时开放，节假日休息", "Open 24 hours; closed on public holidays"),
        ("Mo-Su 10:00-22:00", "每天 10:00–22:00", "Daily 10:00–22:00"),
        (
            "Mo-Fr 09:00-21:00; Sa,Su 10:00-20:00",
            "周一至周五 9:00–21:00，周六、周日 10:00–20:00",
            "Mon–Fri 9:00–21:00; Sat, Sun 10:00–20:00",
        ),
        ("Mo-Su 11:00-14:00,17:00-22:00", "每天 11:00–14:00、17:00–22:00", "Daily 11:00–14:00, 17:00–22:00"),
        ("Mo-Su 22:00-02:00", "每天 22:00–次日 2:00", "Daily 22:00–2:00 (next day)"),
        (
            "Mo,We,Fr 08:00-12:00; Su off",
            "周一、周三、周五 8:00–12:00，周日休息",
            "Mon, Wed, Fri 8:00–12:00; closed on Sun",
        ),
        ("Jan-Mar Mo 10:00-12:00", "Jan-Mar Mo 10:00-12:00", "Jan-Mar Mo 10:00-12:00"),  # beyond the simple form
        ("", "", ""),
    ],
)
def test_describe_in_plain_words(hours, zh, en):
    from stations.hours import describe

    assert describe(hours, lang="zh-hans") == zh
    assert describe(hours, lang="en") == en


def test_the_rider_page_shows_hours_in_plain_chinese_and_english(client, streets):
    from tests.stations.factories import StationFactory

    station = StationFactory(opening_hours="Mo-Fr 09:00-21:00; PH off")
    page = client.get(station.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "周一至周五 9:00–21:00，节假日休息" in page
    assert "Mo-Fr 09:00-21:00" not in page
    page = client.get(station.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Mon–Fri 9:00–21:00; closed on public holidays" in page


def test_the_api_gives_the_hours_in_words_beside_the_syntax(api, streets):
    from tests.stations.factories import StationFactory

    station = StationFactory(opening_hours="24/7")
    props = api(None).get(f"/api/v1/stations/{station.pk}/").json()["properties"]
    assert props["hours"] == "24/7" and props["hours_text"] == "全天 24 小时开放"


# --- validation: a clear word for each mistake ----------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("Mo-Fr 25:00-26:00", "25:00-26:00"),
        ("Mo-Fr 09:00-09:00", "开始和结束时间相同"),
        ("Mo-Fr 09:70-10:00", "时间不存在"),
        ("always-ish", "营业时间格式无效"),
    ],
)
def test_impossible_hours_are_refused_with_a_clear_message(value, words):
    with pytest.raises(ValidationError) as exc:
        validate_opening_hours(value)
    assert words in " ".join(exc.value.messages)
