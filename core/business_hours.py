"""Business hours and SLA due times: open-time arithmetic on a weekly schedule.

A :class:`BusinessHours` schedule lists, per weekday, the local wall-clock intervals during which
the care team works (``"09:00-12:30"``, ``"13:30-17:00"``), the holidays on which it does not, and
the IANA time zone the wall clock is read in. An instant is *open* when the schedule's wall clock,
at that instant, reads a time inside one of the intervals of that local date's weekday and the
local date is not a holiday. Everything else follows from that one definition:

* across a daylight-saving change, open time is real elapsed time: a gap inside an interval
  shortens it, a repeated hour inside it lengthens it, and intervals away from the change keep
  their nominal length;
* a due time is the instant at which a given amount of open time has elapsed (:meth:`add`), and
  one landing exactly on the close of an interval is that close time, not the next opening.

:class:`SlaPolicies` reads the ``[sla.<priority>]`` tables and :func:`due_time` combines both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from itertools import pairwise
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from careline.config import ConfigError, Settings, parse_duration
from careline.types import Priority

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SLA_TARGETS = ("first_response", "next_response", "resolution")
NO_TARGET = "off"

_DAY = 86_400
_INTERVAL = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
_CONFIG_KEYS = ("enabled", "timezone", *WEEKDAYS, "holidays")
_SLA_KEYS = (*SLA_TARGETS, "business_hours")
# Wall clocks never differ from UTC by a full day, so a local date's open time lies within a day
# of that date read as if it were UTC.
_MAX_OFFSET = timedelta(hours=24)
# Offsets are sampled this far apart to find transitions; tzdata never changes a zone's offset
# twice within twelve hours, so no transition hides between two samples.
_OFFSET_SAMPLE = timedelta(hours=12)
_WINDOW = timedelta(days=7)
# With at least one open interval a week, only holidays can keep a schedule closed for long; this
# long without open time, and this long after the last holiday, the search gives up.
_GIVE_UP_AFTER = timedelta(days=800)
_CACHE_LIMIT = 4096

T = TypeVar("T")

Span = tuple[datetime, datetime]
"""A half-open stretch ``[start, end)`` of open time, in UTC."""


def to_utc(when: datetime) -> datetime:
    """``when`` in UTC; naive datetimes are refused because their meaning is a guess."""
    if when.tzinfo is None or when.utcoffset() is None:
        raise ValueError(f"naive datetime {when.isoformat()}: pass an aware datetime")
    return when.astimezone(UTC)


def _parse_interval(day: str, text: Any) -> tuple[int, int]:
    """``"09:00-17:00"`` as seconds since local midnight; ``24:00`` only as an end."""
    match = _INTERVAL.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f'{day}: {text!r} is not an interval like "09:00-17:00"')
    start_hour, start_minute, end_hour, end_minute = (int(part) for part in match.groups())
    bounds = []
    for hour, minute in ((start_hour, start_minute), (end_hour, end_minute)):
        if minute > 59 or hour > 24 or (hour == 24 and minute != 0):
            raise ValueError(f"{day}: {text!r} has a time of day that does not exist")
        bounds.append(hour * 3600 + minute * 60)
    start, end = bounds
    if start >= end:
        raise ValueError(
            f"{day}: {text!r} must start before it ends (use 00:00-24:00 for a whole day and "
            "split overnight hours over two days: 22:00-24:00 and 00:00-06:00)"
        )
    return start, end


def _format_clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _format_interval(interval: tuple[int, int]) -> str:
    return f"{_format_clock(interval[0])}-{_format_clock(interval[1])}"


def _parse_day(day: str, texts: Any) -> tuple[tuple[int, int], ...]:
    if isinstance(texts, str) or not isinstance(texts, Sequence):
        raise ValueError(f'{day}: must be a list of intervals like ["09:00-12:30", "13:30-17:00"]')
    intervals = sorted(_parse_interval(day, text) for text in texts)
    for before, after in pairwise(intervals):
        if after[0] < before[1]:
            raise ValueError(
                f"{day}: {_format_interval(before)} and {_format_interval(after)} overlap"
            )
    return tuple(intervals)


def _parse_holiday(value: Any) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"holiday {value!r} is not a date like 2026-12-25")


def _load_zone(name: Any) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValueError(f"time zone {name!r} is not an IANA name like Europe/Amsterdam")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}") from None


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


class BusinessHours:
    """A weekly schedule of open hours in a time zone, with holidays.

    ``hours`` maps weekday names (``"monday"`` … ``"sunday"``) to lists of local wall-clock
    intervals ``"HH:MM-HH:MM"``; a day that is absent or empty is closed, ``"00:00-24:00"`` is
    open all day. Intervals of a day may touch but not overlap. ``holidays`` are local dates
    (``date`` or ISO text) closed all day. Invalid input raises ``ValueError`` naming the day
    and the interval.

    Methods accept aware datetimes in any zone and answer in UTC.
    """

    __slots__ = ("_cache", "_has_open_time", "_holidays", "_is_always_open", "_weekly", "_zone")

    def __init__(
        self,
        hours: Mapping[str, Sequence[str]] | None = None,
        *,
        holidays: Iterable[date | str] = (),
        timezone: str = "UTC",
    ) -> None:
        hours = hours or {}
        unknown = sorted(set(hours) - set(WEEKDAYS))
        if unknown:
            raise ValueError(f"{unknown[0]}: not a weekday (use monday … sunday)")
        self._zone = _load_zone(timezone)
        self._weekly = tuple(_parse_day(day, hours.get(day, ())) for day in WEEKDAYS)
        self._holidays = frozenset(_parse_holiday(value) for value in holidays)
        self._has_open_time = any(self._weekly)
        self._is_always_open = not self._holidays and all(
            day == ((0, _DAY),) for day in self._weekly
        )
        self._cache: dict[date, tuple[Span, ...]] = {}

    @classmethod
    def always_open(cls) -> BusinessHours:
        """Open around the clock, every day: open time equals calendar time."""
        return cls(dict.fromkeys(WEEKDAYS, ("00:00-24:00",)))

    @classmethod
    def from_config(cls, table: Mapping[str, Any], *, path: Path | None = None) -> BusinessHours:
        """Parse a ``[business_hours]`` table; :meth:`always_open` unless ``enabled = true``.

        The schedule is validated even when disabled, so that a typo fails at start-up.
        Raises :class:`~careline.config.ConfigError` naming ``business_hours.<key>``.
        """
        if not isinstance(table, Mapping):
            raise ConfigError("must be a table", path=path, key="business_hours")
        for key in table:
            if key not in _CONFIG_KEYS:
                raise ConfigError("unknown key", path=path, key=f"business_hours.{key}")
        enabled = table.get("enabled", False)
        if not isinstance(enabled, bool):
            raise ConfigError("must be true or false", path=path, key="business_hours.enabled")
        timezone = table.get("timezone", "UTC")
        _config_value(path, "timezone", _load_zone, timezone)
        hours = {day: table[day] for day in WEEKDAYS if day in table}
        for day, texts in hours.items():
            _config_value(path, day, partial(_parse_day, day), texts)
        holidays = _config_value(path, "holidays", _parse_holidays, table.get("holidays", []))
        schedule = cls(hours, holidays=holidays, timezone=timezone)
        if not enabled:
            return cls.always_open()
        if not schedule._has_open_time:
            raise ConfigError(
                'enabled, but no day has open hours: add e.g. monday = ["09:00-17:00"]',
                path=path,
                key="business_hours",
            )
        return schedule

    @classmethod
    def from_settings(cls, settings: Settings) -> BusinessHours:
        """The instance's ``[business_hours]``, parsed once per settings object."""
        return settings.plugin_state(
            "core:business_hours",
            lambda: cls.from_config(
                settings.data.get("business_hours", {}), path=settings.config_path
            ),
        )

    @property
    def timezone(self) -> str:
        """The IANA name of the zone the schedule's wall clock is read in."""
        return self._zone.key

    @property
    def holidays(self) -> frozenset[date]:
        """The local dates closed all day."""
        return self._holidays

    @property
    def schedule(self) -> dict[str, tuple[str, ...]]:
        """The open intervals of every weekday, as ``"HH:MM-HH:MM"`` texts (``()``: closed)."""
        return {
            day: tuple(_format_interval(interval) for interval in intervals)
            for day, intervals in zip(WEEKDAYS, self._weekly, strict=True)
        }

    @property
    def is_always_open(self) -> bool:
        """True when every instant is open (no closed hour, no holiday)."""
        return self._is_always_open

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BusinessHours):
            return NotImplemented
        return (self._weekly, self._holidays, self.timezone) == (
            other._weekly,
            other._holidays,
            other.timezone,
        )

    def __hash__(self) -> int:
        return hash((self._weekly, self._holidays, self.timezone))

    def __repr__(self) -> str:
        days = {day: list(texts) for day, texts in self.schedule.items() if texts}
        holidays = sorted(day.isoformat() for day in self._holidays)
        return f"BusinessHours({days!r}, holidays={holidays!r}, timezone={self.timezone!r})"

    def is_open(self, when: datetime) -> bool:
        """Whether the team works at ``when`` (intervals are half-open: a close time is closed)."""
        local = to_utc(when).astimezone(self._zone)
        today = local.date()
        if today in self._holidays:
            return False
        since_midnight = local.replace(tzinfo=None) - datetime.combine(today, time())
        return any(
            timedelta(seconds=start) <= since_midnight < timedelta(seconds=end)
            for start, end in self._weekly[today.weekday()]
        )

    def next_open(self, when: datetime) -> datetime:
        """``when`` itself if open, else the next opening (UTC); ``ValueError`` if never open."""
        start = to_utc(when)
        if self._is_always_open:
            return start
        for span_start, _ in self._spans_from(start):
            return span_start
        raise ValueError("the business hours are never open")  # pragma: no cover - unreachable

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant at which ``duration`` of open time has elapsed after ``start`` (UTC).

        Counting starts at the next opening when ``start`` is outside the hours. A due time that
        lands exactly on the close of an interval is that close time. A zero duration gives
        ``start``; a negative one, or a positive one on a schedule that is never open, raises
        ``ValueError``.
        """
        if duration < timedelta(0):
            raise ValueError(f"negative duration {duration}")
        cursor = to_utc(start)
        if duration == timedelta(0) or self._is_always_open:
            return cursor + duration
        remaining = duration
        for span_start, span_end in self._spans_from(cursor):
            if span_end - span_start >= remaining:
                return span_start + remaining
            remaining -= span_end - span_start
        raise ValueError("the business hours are never open")  # pragma: no cover - unreachable

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The open time between ``start`` and ``end`` (zero when ``end <= start``)."""
        low, high = to_utc(start), to_utc(end)
        if high <= low:
            return timedelta(0)
        if self._is_always_open:
            return high - low
        total = timedelta(0)
        while low < high:
            window_end = min(low + _WINDOW, high)
            total += sum(
                (span_end - span_start for span_start, span_end in self._spans(low, window_end)),
                timedelta(0),
            )
            low = window_end
        return total

    def _spans_from(self, start: datetime) -> Iterator[Span]:
        """The open spans after ``start``, in order, clipped to it; raises if never open."""
        if not self._has_open_time:
            raise ValueError("the business hours are never open: no weekday has open hours")
        last_holiday = max(self._holidays, default=date.min + _GIVE_UP_AFTER)
        cursor = last_open = start
        while True:
            window_end = cursor + _WINDOW
            for span in self._spans(cursor, window_end):
                last_open = span[1]
                yield span
            cursor = window_end
            if (
                cursor - last_open > _GIVE_UP_AFTER
                and cursor.astimezone(self._zone).date() - last_holiday > _GIVE_UP_AFTER
            ):
                raise ValueError("the business hours are never open in practice")

    def _spans(self, low: datetime, high: datetime) -> list[Span]:
        """The merged open spans within ``[low, high)``, in order."""
        # A repeated hour can interleave the spans of neighbouring dates, hence the margin.
        first = low.astimezone(self._zone).date() - timedelta(days=1)
        last = high.astimezone(self._zone).date() + timedelta(days=1)
        spans: list[Span] = []
        for offset in range((last - first).days + 1):
            spans.extend(self._day_spans(first + timedelta(days=offset)))
        return [
            (max(span_start, low), min(span_end, high))
            for span_start, span_end in _merge(spans)
            if span_end > low and span_start < high
        ]

    def _day_spans(self, day: date) -> tuple[Span, ...]:
        """The UTC spans during which the wall clock reads an open time of local date ``day``."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        intervals = () if day in self._holidays else self._weekly[day.weekday()]
        spans: list[Span] = []
        if intervals:
            # Wall-clock times are handled as if they were UTC instants; subtracting the offset
            # in force turns them into real instants, one constant-offset stretch at a time.
            midnight = datetime.combine(day, time(), tzinfo=UTC)
            stretches = self._offset_stretches(
                midnight + timedelta(seconds=intervals[0][0]) - _MAX_OFFSET,
                midnight + timedelta(seconds=intervals[-1][1]) + _MAX_OFFSET,
            )
            for start, end in intervals:
                wall_start = midnight + timedelta(seconds=start)
                wall_end = midnight + timedelta(seconds=end)
                for stretch_start, stretch_end, offset in stretches:
                    span_start = max(stretch_start, wall_start - offset)
                    span_end = min(stretch_end, wall_end - offset)
                    if span_start < span_end:
                        spans.append((span_start, span_end))
        result = tuple(_merge(spans))
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[day] = result
        return result

    def _offset(self, instant: datetime) -> timedelta:
        offset = instant.astimezone(self._zone).utcoffset()
        assert offset is not None  # zoneinfo always knows the offset of an aware instant
        return offset

    def _offset_stretches(
        self, low: datetime, high: datetime
    ) -> list[tuple[datetime, datetime, timedelta]]:
        """``[low, high)`` cut where the zone's UTC offset changes: (start, end, offset)."""
        stretches = []
        start, offset = low, self._offset(low)
        sample = low
        while sample < high:
            next_sample = min(sample + _OFFSET_SAMPLE, high)
            next_offset = self._offset(next_sample)
            if next_offset != offset:
                change = self._offset_change(sample, next_sample, offset)
                stretches.append((start, change, offset))
                start, offset = change, next_offset
            sample = next_sample
        stretches.append((start, high, offset))
        return stretches

    def _offset_change(self, low: datetime, high: datetime, offset: timedelta) -> datetime:
        """The first whole second in ``(low, high]`` whose offset is not ``offset``."""
        # tzdata transitions fall on whole seconds, and low is on a whole second.
        before, after = 0, int((high - low).total_seconds())
        while after - before > 1:
            middle = (before + after) // 2
            if self._offset(low + timedelta(seconds=middle)) == offset:
                before = middle
            else:
                after = middle
        return low + timedelta(seconds=after)


def _parse_holidays(values: Any) -> list[date]:
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValueError("must be a list of dates like [2026-12-25, 2026-12-26]")
    return [_parse_holiday(value) for value in values]


def _config_value(path: Path | None, key: str, parse: Callable[[Any], T], value: Any) -> T:
    """``parse(value)``, with a ``ValueError`` turned into a ConfigError naming the key."""
    try:
        return parse(value)
    except ValueError as exc:
        message = str(exc).removeprefix(f"{key}: ")
        raise ConfigError(message, path=path, key=f"business_hours.{key}") from None


@dataclass(frozen=True, slots=True)
class SlaPolicy:
    """The SLA targets of one priority; ``None`` means no target.

    ``business_hours`` says whether the targets count open time of the business hours (true) or
    calendar time (false).
    """

    first_response: timedelta | None
    next_response: timedelta | None
    resolution: timedelta | None
    business_hours: bool = False

    def target(self, name: str) -> timedelta | None:
        """The target ``first_response``, ``next_response`` or ``resolution``."""
        if name not in SLA_TARGETS:
            raise ValueError(f"unknown SLA target {name!r} (use one of {', '.join(SLA_TARGETS)})")
        value: timedelta | None = getattr(self, name)
        return value


DEFAULT_SLA: Mapping[Priority, tuple[timedelta, timedelta]] = {
    Priority.URGENT: (timedelta(minutes=15), timedelta(hours=4)),
    Priority.HIGH: (timedelta(minutes=30), timedelta(hours=8)),
    Priority.NORMAL: (timedelta(hours=1), timedelta(hours=24)),
    Priority.LOW: (timedelta(hours=4), timedelta(hours=72)),
}
"""First response and resolution targets of priorities without an ``[sla.<priority>]`` table."""


class SlaPolicies:
    """Reads the ``[sla.<priority>]`` tables into one :class:`SlaPolicy` per priority."""

    @staticmethod
    def defaults(*, business_hours: bool = False) -> dict[Priority, SlaPolicy]:
        """The default policies: urgent 15m/4h, high 30m/8h, normal 1h/24h, low 4h/72h."""
        return {
            priority: SlaPolicy(first, first, resolution, business_hours)
            for priority, (first, resolution) in DEFAULT_SLA.items()
        }

    @staticmethod
    def from_config(
        tables: Mapping[str, Any],
        *,
        business_hours_enabled: bool = False,
        path: Path | None = None,
    ) -> dict[Priority, SlaPolicy]:
        """Parse the ``[sla]`` table (``{"urgent": {...}, ...}``) over the defaults.

        ``business_hours_enabled`` is ``[business_hours] enabled``: the default of each table's
        ``business_hours``, which may only be true when the business hours are enabled. Raises
        :class:`~careline.config.ConfigError` naming ``sla.<priority>.<key>``.
        """
        if not isinstance(tables, Mapping):
            raise ConfigError("must be a table of [sla.<priority>] tables", path=path, key="sla")
        policies = SlaPolicies.defaults(business_hours=business_hours_enabled)
        for name, table in tables.items():
            try:
                priority = Priority(name)
            except ValueError:
                choices = ", ".join(p.value for p in Priority)
                raise ConfigError(
                    f"unknown priority (use one of {choices})", path=path, key=f"sla.{name}"
                ) from None
            if not isinstance(table, Mapping):
                raise ConfigError("must be a table", path=path, key=f"sla.{name}")
            policies[priority] = _parse_policy(
                name, table, policies[priority], business_hours_enabled, path
            )
        return policies

    @staticmethod
    def from_settings(settings: Settings) -> dict[Priority, SlaPolicy]:
        """The instance's SLA policies, parsed once per settings object."""
        business_hours = settings.data.get("business_hours", {})
        enabled = isinstance(business_hours, Mapping) and business_hours.get("enabled") is True
        return settings.plugin_state(
            "core:sla",
            lambda: SlaPolicies.from_config(
                settings.data.get("sla", {}),
                business_hours_enabled=enabled,
                path=settings.config_path,
            ),
        )


def _parse_policy(
    name: str,
    table: Mapping[str, Any],
    default: SlaPolicy,
    business_hours_enabled: bool,
    path: Path | None,
) -> SlaPolicy:
    for key in table:
        if key not in _SLA_KEYS:
            raise ConfigError("unknown key", path=path, key=f"sla.{name}.{key}")
    targets: dict[str, timedelta | None] = {}
    for key in SLA_TARGETS:
        if key in table:
            try:
                targets[key] = _parse_target(table[key])
            except ValueError as exc:
                raise ConfigError(str(exc), path=path, key=f"sla.{name}.{key}") from None
    business_hours = table.get("business_hours", business_hours_enabled)
    if not isinstance(business_hours, bool):
        raise ConfigError("must be true or false", path=path, key=f"sla.{name}.business_hours")
    if business_hours and not business_hours_enabled:
        raise ConfigError(
            "counts business hours, but [business_hours] is not enabled = true",
            path=path,
            key=f"sla.{name}.business_hours",
        )
    first_response = targets.get("first_response", default.first_response)
    return SlaPolicy(
        first_response=first_response,
        next_response=targets.get("next_response", first_response),
        resolution=targets.get("resolution", default.resolution),
        business_hours=business_hours,
    )


def _parse_target(value: Any) -> timedelta | None:
    if value == NO_TARGET:
        return None
    duration = parse_duration(value)
    if duration <= timedelta(0):
        raise ValueError(f'must be positive; write "{NO_TARGET}" for no target')
    return duration


def due_time(
    policies: Mapping[Priority, SlaPolicy],
    hours: BusinessHours,
    priority: Priority,
    start: datetime,
    target: str,
) -> datetime | None:
    """When ``target`` is due for a conversation of ``priority`` whose clock started at ``start``.

    ``target`` is ``"first_response"``, ``"next_response"`` or ``"resolution"``. The answer is in
    UTC, counted in ``hours`` when the priority's policy says ``business_hours``, else in calendar
    time; ``None`` when the policy sets no such target.
    """
    policy = policies.get(priority) or SlaPolicies.defaults()[priority]
    duration = policy.target(target)
    if duration is None:
        return None
    if policy.business_hours:
        return hours.add(start, duration)
    return to_utc(start) + duration
