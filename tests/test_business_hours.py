"""Business hours and SLA due times: open-time arithmetic, DST, holidays, configuration."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from careline.business_hours import (
    WEEKDAYS,
    BusinessHours,
    SlaPolicies,
    SlaPolicy,
    due_time,
)
from careline.config import ConfigError, Settings, load_settings
from careline.instance import init_instance
from careline.types import Priority
from hypothesis import assume, given, settings
from hypothesis import strategies as st

MICROSECOND = timedelta(microseconds=1)
WORKING_WEEK = dict.fromkeys(WEEKDAYS[:5], ("09:00-17:00",))
# Zones with a one-hour change at night, a half-hour change (Lord Howe), changes at midnight
# (Santiago: the repeated hour belongs to the previous date) and no change at all.
ZONES = (
    "UTC",
    "Europe/Amsterdam",
    "America/New_York",
    "America/Santiago",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts: int, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)


# --- strategies -------------------------------------------------------------------------------

QUARTER_HOURS = st.integers(min_value=0, max_value=96)


@st.composite
def day_hours(draw: st.DrawFn) -> list[str]:
    """0–3 non-overlapping intervals on a quarter-hour grid, sometimes the whole day."""
    if draw(st.integers(0, 9)) == 0:
        return ["00:00-24:00"]
    count = draw(st.integers(0, 3))
    bounds = sorted(draw(st.sets(QUARTER_HOURS, min_size=2 * count, max_size=2 * count)))
    clock = [f"{b * 15 // 60:02d}:{b * 15 % 60:02d}" for b in bounds]
    return [f"{clock[i]}-{clock[i + 1]}" for i in range(0, len(clock), 2)]


@st.composite
def schedules(draw: st.DrawFn, *, holidays: bool = True) -> BusinessHours:
    """A random schedule with at least one open interval a week, in one of a few zones."""
    hours = {day: draw(day_hours()) for day in WEEKDAYS}
    assume(any(hours.values()))
    chosen = (
        draw(st.lists(st.dates(date(2026, 1, 1), date(2027, 3, 31)), max_size=12))
        if holidays
        else []
    )
    return BusinessHours(hours, holidays=chosen, timezone=draw(st.sampled_from(ZONES)))


instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31), timezones=st.just(UTC)
)
durations = st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20))
positive_durations = st.timedeltas(min_value=MICROSECOND, max_value=timedelta(days=20))
PROPERTIES = settings(max_examples=60, deadline=None)


# --- properties -------------------------------------------------------------------------------


@PROPERTIES
@given(schedules(), instants, durations)
def test_elapsed_undoes_add(hours: BusinessHours, start: datetime, duration: timedelta) -> None:
    assert hours.elapsed(start, hours.add(start, duration)) == duration


@PROPERTIES
@given(schedules(), instants, durations, durations)
def test_due_time_is_monotonic_in_duration(
    hours: BusinessHours, start: datetime, first: timedelta, second: timedelta
) -> None:
    shorter, longer = sorted((first, second))
    assert hours.add(start, shorter) <= hours.add(start, longer)


@PROPERTIES
@given(schedules(), instants, instants, durations)
def test_due_time_is_monotonic_in_start(
    hours: BusinessHours, first: datetime, second: datetime, duration: timedelta
) -> None:
    earlier, later = sorted((first, second))
    assert hours.add(earlier, duration) <= hours.add(later, duration)


@PROPERTIES
@given(schedules(), instants, positive_durations)
def test_due_time_is_open_or_exactly_a_close(
    hours: BusinessHours, start: datetime, duration: timedelta
) -> None:
    due = hours.add(start, duration)
    # The boundary convention: landing on the close of an interval reports that close time,
    # so the instant just before the due time is always open.
    assert hours.is_open(due - MICROSECOND)
    assert due > start


@PROPERTIES
@given(schedules(), instants, durations)
def test_counting_starts_at_the_next_opening(
    hours: BusinessHours, start: datetime, duration: timedelta
) -> None:
    opening = hours.next_open(start)
    assert opening >= start
    assert hours.is_open(opening)
    assert hours.elapsed(start, opening) == timedelta(0)
    if duration:
        assert hours.add(start, duration) == hours.add(opening, duration)


@PROPERTIES
@given(schedules(), st.lists(instants, min_size=3, max_size=3))
def test_elapsed_is_additive_and_bounded(hours: BusinessHours, moments: list[datetime]) -> None:
    first, middle, last = sorted(moments)
    assert hours.elapsed(first, middle) + hours.elapsed(middle, last) == hours.elapsed(first, last)
    assert timedelta(0) <= hours.elapsed(first, last) <= last - first
    assert hours.elapsed(last, first) == timedelta(0)


@PROPERTIES
@given(schedules(), instants)
def test_is_open_agrees_with_elapsed(hours: BusinessHours, moment: datetime) -> None:
    assert hours.is_open(moment) == (hours.elapsed(moment, moment + MICROSECOND) == MICROSECOND)


@PROPERTIES
@given(schedules(holidays=False), instants, st.integers(0, 40), st.integers(1, 30))
def test_a_holiday_removes_exactly_the_open_time_of_its_date(
    hours: BusinessHours, start: datetime, holiday_offset: int, span_days: int
) -> None:
    holiday = start.astimezone(ZoneInfo(hours.timezone)).date() + timedelta(days=holiday_offset)
    end = start + timedelta(days=span_days)
    with_holiday = BusinessHours(hours.schedule, holidays=[holiday], timezone=hours.timezone)
    # The open time of that date alone: its weekday's hours, every other such weekday closed.
    only_that_date = BusinessHours(
        {WEEKDAYS[holiday.weekday()]: hours.schedule[WEEKDAYS[holiday.weekday()]]},
        holidays=[holiday + timedelta(weeks=k) for k in range(-10, 11) if k],
        timezone=hours.timezone,
    )
    removed = hours.elapsed(start, end) - with_holiday.elapsed(start, end)
    assert removed == only_that_date.elapsed(start, end)


@PROPERTIES
@given(schedules(), instants)
def test_instants_on_holidays_are_closed(hours: BusinessHours, moment: datetime) -> None:
    today = moment.astimezone(ZoneInfo(hours.timezone)).date()
    closed = BusinessHours(hours.schedule, holidays=[today], timezone=hours.timezone)
    assert not closed.is_open(moment)


@PROPERTIES
@given(instants, durations, instants)
def test_always_open_is_calendar_time(start: datetime, duration: timedelta, end: datetime) -> None:
    hours = BusinessHours.always_open()
    assert hours.is_always_open
    assert hours.add(start, duration) == start + duration
    assert hours.elapsed(start, end) == max(end - start, timedelta(0))
    assert hours.is_open(start)
    assert hours.next_open(start) == start


# --- examples ---------------------------------------------------------------------------------


def test_friday_afternoon_plus_an_hour_is_monday_morning() -> None:
    hours = BusinessHours(WORKING_WEEK, timezone="UTC")
    assert hours.add(utc(2026, 5, 15, 16, 30), timedelta(hours=1)) == utc(2026, 5, 18, 9, 30)


def test_due_time_landing_on_a_close_is_that_close() -> None:
    hours = BusinessHours(WORKING_WEEK, timezone="UTC")
    due = hours.add(utc(2026, 5, 15, 16, 0), timedelta(hours=1))
    assert due == utc(2026, 5, 15, 17, 0)
    assert not hours.is_open(due)
    assert hours.next_open(due) == utc(2026, 5, 18, 9, 0)


def test_start_outside_hours_counts_from_the_next_opening() -> None:
    hours = BusinessHours(WORKING_WEEK, timezone="UTC")
    saturday = utc(2026, 5, 16, 11, 0)
    assert hours.add(saturday, timedelta(minutes=15)) == utc(2026, 5, 18, 9, 15)
    assert hours.next_open(saturday) == utc(2026, 5, 18, 9, 0)


def test_split_hours_skip_the_lunch_break() -> None:
    hours = BusinessHours(
        {"monday": ["09:00-12:30", "13:30-17:00"], "tuesday": ["09:00-12:30", "13:30-17:00"]},
        timezone="Europe/Amsterdam",
    )
    monday_noon = local("Europe/Amsterdam", 2026, 6, 1, 12, 0)
    assert hours.add(monday_noon, timedelta(hours=1)) == local(
        "Europe/Amsterdam", 2026, 6, 1, 14, 0
    ).astimezone(UTC)
    assert not hours.is_open(local("Europe/Amsterdam", 2026, 6, 1, 13, 0))
    # Monday 12:00 → Tuesday 10:00: 0.5 h + 3.5 h + 1 h.
    tuesday_ten = local("Europe/Amsterdam", 2026, 6, 2, 10, 0)
    assert hours.elapsed(monday_noon, tuesday_ten) == timedelta(hours=5)


def test_holidays_are_closed_all_day() -> None:
    hours = BusinessHours(WORKING_WEEK, holidays=["2026-12-25", date(2026, 12, 28)], timezone="UTC")
    # Thursday 24 December 16:00 + 2 h: 1 h on Thursday, Friday and Monday are holidays.
    assert hours.add(utc(2026, 12, 24, 16), timedelta(hours=2)) == utc(2026, 12, 29, 10)
    assert hours.elapsed(utc(2026, 12, 25), utc(2026, 12, 29)) == timedelta(0)
    assert not hours.is_open(utc(2026, 12, 25, 10))


def test_thirty_days_of_open_time_is_eighteen_working_weeks() -> None:
    hours = BusinessHours(WORKING_WEEK, timezone="UTC")
    # 720 h at 40 h a week: from Monday 09:00 to the Friday 17 weeks later, 17:00.
    due = hours.add(utc(2026, 1, 5, 9), timedelta(days=30))
    assert due == utc(2026, 5, 8, 17)
    assert hours.elapsed(utc(2026, 1, 5, 9), due) == timedelta(days=30)


def test_touching_intervals_and_whole_days_join_up() -> None:
    hours = BusinessHours(
        {"monday": ["00:00-24:00"], "tuesday": ["00:00-12:00", "12:00-18:00"]}, timezone="UTC"
    )
    assert hours.add(utc(2026, 6, 1, 23), timedelta(hours=13)) == utc(2026, 6, 2, 12)
    assert hours.is_open(utc(2026, 6, 2, 12))
    assert hours.add(utc(2026, 6, 1, 0), timedelta(hours=42)) == utc(2026, 6, 2, 18)


# DST: hand-computed. Amsterdam: 2026-03-29 02:00 CET → 03:00 CEST (01:00 UTC) and
# 2026-10-25 03:00 CEST → 02:00 CET (01:00 UTC). New York: 2026-03-08 02:00 EST → 03:00 EDT
# (07:00 UTC) and 2026-11-01 02:00 EDT → 01:00 EST (06:00 UTC). All four are Sundays.


def test_amsterdam_working_week_keeps_local_opening_times_across_spring_forward() -> None:
    hours = BusinessHours(WORKING_WEEK, timezone="Europe/Amsterdam")
    # Friday 27 March 16:00 CET (15:00 UTC) + 2 h → Monday 30 March 10:00 CEST (08:00 UTC).
    assert hours.add(utc(2026, 3, 27, 15), timedelta(hours=2)) == utc(2026, 3, 30, 8)
    # A whole working week around the change is still 40 h.
    assert hours.elapsed(utc(2026, 3, 23), utc(2026, 4, 4)) == timedelta(hours=80)


def test_amsterdam_spring_forward_day_counts_real_time() -> None:
    sunday = BusinessHours({"sunday": ["00:00-24:00"]}, timezone="Europe/Amsterdam")
    assert sunday.elapsed(utc(2026, 3, 27), utc(2026, 3, 31)) == timedelta(hours=23)
    night = BusinessHours({"sunday": ["01:00-04:00"]}, timezone="Europe/Amsterdam")
    # 01:00 CET = 00:00 UTC … 04:00 CEST = 02:00 UTC: 2 h of real time.
    assert night.elapsed(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(hours=2)
    assert night.add(utc(2026, 3, 28, 12), timedelta(minutes=90)) == utc(2026, 3, 29, 1, 30)
    # Opening inside the gap: the clock first reads ≥ 02:30 when it jumps to 03:00 CEST.
    gap_start = BusinessHours({"sunday": ["02:30-05:00"]}, timezone="Europe/Amsterdam")
    assert gap_start.next_open(utc(2026, 3, 28)) == utc(2026, 3, 29, 1)
    assert gap_start.elapsed(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(hours=2)
    # Hours entirely inside the gap do not happen that day.
    in_gap = BusinessHours({"sunday": ["02:15-02:45"]}, timezone="Europe/Amsterdam")
    assert in_gap.elapsed(utc(2026, 3, 28), utc(2026, 3, 30)) == timedelta(0)
    assert in_gap.next_open(utc(2026, 3, 28)) == utc(2026, 4, 5, 0, 15)


def test_amsterdam_fall_back_day_counts_the_repeated_hour_twice() -> None:
    sunday = BusinessHours({"sunday": ["00:00-24:00"]}, timezone="Europe/Amsterdam")
    assert sunday.elapsed(utc(2026, 10, 23), utc(2026, 10, 27)) == timedelta(hours=25)
    repeated = BusinessHours({"sunday": ["02:15-02:45"]}, timezone="Europe/Amsterdam")
    # 02:15–02:45 happens at 00:15–00:45 UTC (CEST) and again at 01:15–01:45 UTC (CET).
    assert repeated.elapsed(utc(2026, 10, 24), utc(2026, 10, 26)) == timedelta(hours=1)
    assert repeated.add(utc(2026, 10, 24), timedelta(minutes=45)) == utc(2026, 10, 25, 1, 30)
    assert repeated.is_open(local("Europe/Amsterdam", 2026, 10, 25, 2, 20, fold=1))
    assert not repeated.is_open(utc(2026, 10, 25, 1))
    working = BusinessHours(WORKING_WEEK, timezone="Europe/Amsterdam")
    # Friday 23 October 16:00 CEST (14:00 UTC) + 2 h → Monday 26 October 10:00 CET (09:00 UTC).
    assert working.add(utc(2026, 10, 23, 14), timedelta(hours=2)) == utc(2026, 10, 26, 9)


def test_new_york_spring_forward() -> None:
    working = BusinessHours(WORKING_WEEK, timezone="America/New_York")
    # Friday 6 March 16:00 EST (21:00 UTC) + 2 h → Monday 9 March 10:00 EDT (14:00 UTC).
    assert working.add(utc(2026, 3, 6, 21), timedelta(hours=2)) == utc(2026, 3, 9, 14)
    night = BusinessHours({"sunday": ["01:00-04:00", "09:00-17:00"]}, timezone="America/New_York")
    # 01:00 EST = 06:00 UTC … 04:00 EDT = 08:00 UTC (2 h), then 13:00–21:00 UTC (8 h).
    assert night.elapsed(utc(2026, 3, 7), utc(2026, 3, 9)) == timedelta(hours=10)
    assert night.add(utc(2026, 3, 7), timedelta(hours=3)) == utc(2026, 3, 8, 14)


def test_new_york_fall_back() -> None:
    night = BusinessHours({"sunday": ["00:00-03:00"]}, timezone="America/New_York")
    # 00:00 EDT = 04:00 UTC … 03:00 EST = 08:00 UTC: 4 h of real time.
    assert night.elapsed(utc(2026, 10, 31), utc(2026, 11, 2)) == timedelta(hours=4)
    assert night.add(utc(2026, 10, 31), timedelta(hours=4)) == utc(2026, 11, 1, 8)
    repeated = BusinessHours({"sunday": ["01:30-02:00"]}, timezone="America/New_York")
    # 01:30–02:00 EDT = 05:30–06:00 UTC, then 01:30–02:00 EST = 06:30–07:00 UTC.
    assert repeated.elapsed(utc(2026, 10, 31), utc(2026, 11, 2)) == timedelta(hours=1)
    assert not repeated.is_open(utc(2026, 11, 1, 6, 15))
    assert repeated.add(utc(2026, 10, 31), timedelta(minutes=31)) == utc(2026, 11, 1, 6, 31)
    working = BusinessHours(WORKING_WEEK, timezone="America/New_York")
    assert working.elapsed(utc(2026, 10, 26), utc(2026, 11, 7)) == timedelta(hours=80)


def test_a_repeated_hour_across_midnight_interleaves_two_dates() -> None:
    # Goose Bay, 29 October 2006: at 00:01 ADT (03:01 UTC) the clock went back to 23:01 AST
    # on Saturday, so Sunday's first minute came before Saturday's last 59 minutes, twice.
    saturday = BusinessHours({"saturday": ["00:00-24:00"]}, timezone="America/Goose_Bay")
    assert saturday.elapsed(utc(2006, 10, 27), utc(2006, 10, 30)) == timedelta(hours=24, minutes=59)
    assert not saturday.is_open(utc(2006, 10, 29, 3, 0, 30))
    assert saturday.elapsed(utc(2006, 10, 29, 3, 0, 30), utc(2006, 10, 29, 3, 30)) == timedelta(
        minutes=29
    )
    sunday = BusinessHours({"sunday": ["00:00-00:30"]}, timezone="America/Goose_Bay")
    # 00:00–00:01 ADT = 03:00–03:01 UTC, then 00:00–00:30 AST = 04:00–04:30 UTC.
    assert sunday.elapsed(utc(2006, 10, 27), utc(2006, 10, 30)) == timedelta(minutes=31)
    assert sunday.add(utc(2006, 10, 28), timedelta(minutes=2)) == utc(2006, 10, 29, 4, 1)


def test_aware_inputs_in_any_zone_and_utc_outputs() -> None:
    hours = BusinessHours(WORKING_WEEK, timezone="Europe/Amsterdam")
    tokyo = datetime(2026, 6, 1, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo"))  # 10:00 in Amsterdam
    due = hours.add(tokyo, timedelta(minutes=30))
    assert due == utc(2026, 6, 1, 8, 30)
    assert due.tzinfo is UTC
    with pytest.raises(ValueError, match="naive"):
        hours.is_open(datetime(2026, 6, 1, 10))


def test_years_of_holidays_are_skipped_not_mistaken_for_never_open() -> None:
    first_monday = date(2026, 1, 5)
    mondays = [first_monday + timedelta(weeks=k) for k in range(160)]
    hours = BusinessHours({"monday": ["09:00-17:00"]}, holidays=mondays, timezone="UTC")
    reopening = first_monday + timedelta(weeks=160)
    assert hours.add(utc(2026, 1, 1), timedelta(hours=1)) == utc(
        reopening.year, reopening.month, reopening.day, 10
    )


def test_never_open_schedule_refuses_a_due_time() -> None:
    closed = BusinessHours({}, timezone="Europe/Amsterdam")
    with pytest.raises(ValueError, match="never open"):
        closed.add(utc(2026, 6, 1), timedelta(minutes=1))
    with pytest.raises(ValueError, match="never open"):
        closed.next_open(utc(2026, 6, 1))
    assert closed.add(utc(2026, 6, 1), timedelta(0)) == utc(2026, 6, 1)
    assert closed.elapsed(utc(2026, 6, 1), utc(2026, 7, 1)) == timedelta(0)
    with pytest.raises(ValueError, match="negative"):
        BusinessHours(WORKING_WEEK).add(utc(2026, 6, 1), timedelta(minutes=-1))


@pytest.mark.parametrize(
    ("hours", "fragment"),
    [
        ({"monday": ["09:00-12:30", "12:00-17:00"]}, "monday: 09:00-12:30 and 12:00-17:00 overlap"),
        ({"tuesday": ["17:00-09:00"]}, "tuesday: '17:00-09:00' must start before it ends"),
        ({"friday": ["9-17"]}, "friday: '9-17' is not an interval"),
        ({"friday": ["09:00-24:30"]}, "friday: '09:00-24:30' has a time of day"),
        ({"friday": "09:00-17:00"}, "friday: must be a list"),
        ({"mondays": ["09:00-17:00"]}, "mondays: not a weekday"),
    ],
)
def test_invalid_schedules_name_the_day_and_interval(
    hours: dict[str, list[str]], fragment: str
) -> None:
    with pytest.raises(ValueError, match="^" + fragment.replace("(", r"\(")):
        BusinessHours(hours)


# --- configuration ----------------------------------------------------------------------------


def test_from_config_reads_the_business_hours_table(tmp_path: Path) -> None:
    hours = BusinessHours.from_config(
        {
            "enabled": True,
            "timezone": "Europe/Amsterdam",
            "monday": ["09:00-12:30", "13:30-17:00"],
            "saturday": [],
            "holidays": [date(2026, 12, 25), "2026-12-26"],
        },
        path=tmp_path / "careline.toml",
    )
    assert hours == BusinessHours(
        {"monday": ["13:30-17:00", "09:00-12:30"]},
        holidays=["2026-12-25", "2026-12-26"],
        timezone="Europe/Amsterdam",
    )
    assert hours.schedule["monday"] == ("09:00-12:30", "13:30-17:00")
    assert hours.schedule["saturday"] == ()
    assert not hours.is_always_open


def test_disabled_or_absent_business_hours_are_always_open() -> None:
    assert BusinessHours.from_config({}).is_always_open
    disabled = BusinessHours.from_config({"enabled": False, "monday": ["09:00-17:00"]})
    assert disabled == BusinessHours.always_open()


@pytest.mark.parametrize(
    ("table", "key", "fragment"),
    [
        ({"mondy": ["09:00-17:00"]}, "business_hours.mondy", "unknown key"),
        ({"enabled": "yes"}, "business_hours.enabled", "true or false"),
        ({"timezone": "Mars/Olympus"}, "business_hours.timezone", "unknown time zone"),
        ({"monday": ["17:00-09:00"]}, "business_hours.monday", "must start before it ends"),
        (
            {"wednesday": ["09:00-13:00", "12:00-17:00"]},
            "business_hours.wednesday",
            "09:00-13:00 and 12:00-17:00 overlap",
        ),
        ({"holidays": ["25 December"]}, "business_hours.holidays", "not a date"),
        ({"holidays": "2026-12-25"}, "business_hours.holidays", "must be a list"),
        ({"enabled": True, "sunday": []}, "business_hours", "no day has open hours"),
    ],
)
def test_bad_business_hours_config_names_the_key(
    tmp_path: Path, table: dict[str, object], key: str, fragment: str
) -> None:
    path = tmp_path / "careline.toml"
    with pytest.raises(ConfigError) as caught:
        BusinessHours.from_config(table, path=path)
    assert caught.value.key == key
    assert caught.value.path == path
    assert fragment in str(caught.value)


CONFIG = """
[business_hours]
enabled = true
timezone = "Europe/Amsterdam"
monday = ["09:00-17:00"]
tuesday = ["09:00-17:00"]
wednesday = ["09:00-17:00"]
thursday = ["09:00-17:00"]
friday = ["09:00-17:00"]
holidays = [2026-12-25, "2026-12-26"]

[sla.urgent]
first_response = "15m"
resolution = "4h"
business_hours = false

[sla.normal]
first_response = "2h"
resolution = "off"
"""


def settings_with(tmp_path: Path, text: str) -> Settings:
    (tmp_path / "careline.toml").write_text(text)
    return load_settings(tmp_path, environ={})


def test_from_settings_parses_once_and_counts_business_hours(tmp_path: Path) -> None:
    instance = settings_with(tmp_path, CONFIG)
    hours = BusinessHours.from_settings(instance)
    assert hours is BusinessHours.from_settings(instance)
    assert hours.timezone == "Europe/Amsterdam"
    assert hours.holidays == {date(2026, 12, 25), date(2026, 12, 26)}
    policies = SlaPolicies.from_settings(instance)
    assert policies is SlaPolicies.from_settings(instance)
    assert policies[Priority.NORMAL] == SlaPolicy(
        first_response=timedelta(hours=2),
        next_response=timedelta(hours=2),
        resolution=None,
        business_hours=True,
    )
    assert policies[Priority.URGENT].business_hours is False
    assert policies[Priority.HIGH] == SlaPolicy(
        timedelta(minutes=30), timedelta(minutes=30), timedelta(hours=8), business_hours=True
    )


def test_due_time_follows_the_policy_of_the_priority(tmp_path: Path) -> None:
    instance = settings_with(tmp_path, CONFIG)
    hours = BusinessHours.from_settings(instance)
    policies = SlaPolicies.from_settings(instance)
    friday = local("Europe/Amsterdam", 2026, 5, 15, 16, 30)
    # Normal counts business hours: 30 min on Friday, 90 min on Monday from 09:00.
    assert due_time(policies, hours, Priority.NORMAL, friday, "first_response") == local(
        "Europe/Amsterdam", 2026, 5, 18, 10, 30
    ).astimezone(UTC)
    assert due_time(policies, hours, Priority.NORMAL, friday, "next_response") == local(
        "Europe/Amsterdam", 2026, 5, 18, 10, 30
    ).astimezone(UTC)
    assert due_time(policies, hours, Priority.NORMAL, friday, "resolution") is None
    # Urgent runs around the clock.
    assert due_time(policies, hours, Priority.URGENT, friday, "resolution") == utc(
        2026, 5, 15, 18, 30
    )
    # Low has no table: the default 4 h, in business hours like every table without a say.
    assert due_time(policies, hours, Priority.LOW, friday, "first_response") == local(
        "Europe/Amsterdam", 2026, 5, 18, 12, 30
    ).astimezone(UTC)
    with pytest.raises(ValueError, match="unknown SLA target"):
        due_time(policies, hours, Priority.LOW, friday, "first_reply")


def test_default_policies_without_configuration(tmp_path: Path) -> None:
    instance = load_settings(tmp_path / "absent", environ={})
    policies = SlaPolicies.from_settings(instance)
    assert policies == SlaPolicies.defaults()
    expected = {
        Priority.URGENT: (timedelta(minutes=15), timedelta(hours=4)),
        Priority.HIGH: (timedelta(minutes=30), timedelta(hours=8)),
        Priority.NORMAL: (timedelta(hours=1), timedelta(hours=24)),
        Priority.LOW: (timedelta(hours=4), timedelta(hours=72)),
    }
    for priority, (first, resolution) in expected.items():
        assert policies[priority] == SlaPolicy(first, first, resolution, business_hours=False)
    start = utc(2026, 5, 16, 22, 0)  # a Saturday night counts like any other hour
    hours = BusinessHours.from_settings(instance)
    assert due_time(policies, hours, Priority.URGENT, start, "first_response") == utc(
        2026, 5, 16, 22, 15
    )


def test_the_initial_configuration_gives_the_default_policies(tmp_path: Path) -> None:
    init_instance(tmp_path / "inst", apply_migrations=False)
    instance = load_settings(tmp_path / "inst", environ={})
    assert SlaPolicies.from_settings(instance) == SlaPolicies.defaults()
    assert BusinessHours.from_settings(instance).is_always_open


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[sla.critical]\nfirst_response = "5m"\n', "sla.critical", "unknown priority"),
        ('[sla.high]\nfirst_respons = "5m"\n', "sla.high.first_respons", "unknown key"),
        ('[sla.low]\nresolution = "soon"\n', "sla.low.resolution", "not a duration"),
        ('[sla.low]\nnext_response = "0m"\n', "sla.low.next_response", "must be positive"),
        ("[sla.low]\nbusiness_hours = 1\n", "sla.low.business_hours", "true or false"),
        ("[sla]\nurgent = 5\n", "sla.urgent", "must be a table"),
        (
            "[sla.normal]\nbusiness_hours = true\n",
            "sla.normal.business_hours",
            "[business_hours] is not enabled",
        ),
    ],
)
def test_bad_sla_config_names_the_key(tmp_path: Path, text: str, key: str, fragment: str) -> None:
    instance = settings_with(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        SlaPolicies.from_settings(instance)
    assert caught.value.key == key
    assert caught.value.path == tmp_path / "careline.toml"
    assert fragment in str(caught.value)


@settings(max_examples=40, deadline=None)
@given(
    st.sampled_from(list(Priority)),
    st.integers(1, 10_000),
    st.sampled_from(["s", "m", "h", "d"]),
    instants,
)
def test_configured_calendar_targets_add_exactly(
    priority: Priority, amount: int, unit: str, start: datetime
) -> None:
    policies = SlaPolicies.from_config({priority.value: {"resolution": f"{amount}{unit}"}})
    size = {"s": 1, "m": 60, "h": 3600, "d": 86400}[unit]
    due = due_time(policies, BusinessHours.always_open(), priority, start, "resolution")
    assert due == start + timedelta(seconds=amount * size)
