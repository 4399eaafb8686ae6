"""Counting by local day and by local hour of the week, in the report's time zone.

PostgreSQL converts with ``AT TIME ZONE`` (its own tz database). SQLite has no tz database:
when the zone keeps one UTC offset through the whole period the bucket is computed in SQL with
that offset; otherwise SQL aggregates per UTC hour (per UTC quarter hour for zones with
half-hour offsets) — at most 24 (96) rows a day per dimension value — and those few rows are
re-bucketed in Python with :mod:`zoneinfo`. Memory stays flat whatever the number of events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from careline.reporting import ReportParams
from sqlalchemy.orm import Session

from careline_reports.sql.dialect import POSTGRESQL, const, dialect_of

DAY = "day"
HOUR_OF_WEEK = "hour_of_week"


@dataclass(frozen=True, slots=True)
class ZoneOffsets:
    """The UTC offsets a zone uses during a period."""

    offsets: frozenset[int]

    @classmethod
    def during(cls, zone: ZoneInfo, since: datetime, until: datetime) -> ZoneOffsets:
        """Sample the offset daily (zones change offset at most a few times a year)."""
        seen: set[int] = set()
        moment = since
        while moment < until:
            seen.add(_offset_seconds(zone, moment))
            moment += timedelta(days=1)
        seen.add(_offset_seconds(zone, until))
        return cls(frozenset(seen))

    @property
    def fixed(self) -> int | None:
        """The one offset in seconds, or ``None`` when the offset changes."""
        return next(iter(self.offsets)) if len(self.offsets) == 1 else None

    @property
    def slot_minutes(self) -> int:
        """The UTC slot size whose boundaries are local hour boundaries too."""
        return 60 if all(offset % 3600 == 0 for offset in self.offsets) else 15


def _offset_seconds(zone: ZoneInfo, moment: datetime) -> int:
    offset = moment.astimezone(zone).utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def local_days(params: ReportParams) -> list[date]:
    """Every local date the period touches, in order."""
    zone = ZoneInfo(params.timezone)
    first = params.since.astimezone(zone).date()
    last = (params.until - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def bucketed_sums(
    session: Session,
    source: Any,
    params: ReportParams,
    granularity: str,
    dimensions: Sequence[str] = (),
    measures: Sequence[str] = (),
) -> dict[tuple[Any, ...], list[float]]:
    """Sum ``measures`` of ``source`` by local bucket and ``dimensions``.

    ``source`` is a subquery with a stored-UTC ``at`` column. Keys are ``(bucket, *dims)``
    where the bucket is a :class:`~datetime.date` for ``day`` or ``(weekday, hour)`` with
    Monday = 0 for ``hour_of_week``; values are the sums in ``measures`` order.
    """
    zone = ZoneInfo(params.timezone)
    dims = [source.c[name] for name in dimensions]
    sums = [sa.func.sum(source.c[name]) for name in measures]
    if dialect_of(session) == POSTGRESQL:
        local = sa.func.timezone(params.timezone, sa.func.timezone("UTC", source.c.at))
        keys = _postgres_keys(local, granularity)
        return _collect(session, keys, dims, sums, lambda values: _bucket(granularity, values))
    offsets = ZoneOffsets.during(zone, params.since, params.until)
    if offsets.fixed is not None:
        keys = _sqlite_keys(source.c.at, offsets.fixed // 60, granularity)
        return _collect(session, keys, dims, sums, lambda values: _bucket(granularity, values))
    slot = _sqlite_utc_slot(source.c.at, offsets.slot_minutes)

    def rebucket(values: Sequence[Any]) -> Any:
        moment = datetime.fromisoformat(values[0]).replace(tzinfo=UTC).astimezone(zone)
        if granularity == DAY:
            return moment.date()
        return (moment.weekday(), moment.hour)

    return _collect(session, [slot], dims, sums, rebucket)


def _bucket(granularity: str, values: Sequence[Any]) -> Any:
    if granularity == DAY:
        value = values[0]
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    return (int(values[0]), int(values[1]))


def _postgres_keys(local: Any, granularity: str) -> list[Any]:
    if granularity == DAY:
        return [sa.cast(local, sa.Date)]
    weekday = sa.cast(sa.extract("isodow", local), sa.Integer) - 1
    return [weekday, sa.cast(sa.extract("hour", local), sa.Integer)]


def _sqlite_keys(at: Any, offset_minutes: int, granularity: str) -> list[Any]:
    # The stored text is "YYYY-MM-DD HH:MM:SS.ffffff" in UTC: without an offset, slicing it is
    # cheaper than SQLite's date functions.
    shift = const(f"{offset_minutes:+d} minutes")
    if granularity == DAY:
        return [sa.func.substr(at, 1, 10) if offset_minutes == 0 else sa.func.date(at, shift)]
    # strftime('%w') counts from Sunday = 0; reports count from Monday = 0.
    weekday = (sa.cast(sa.func.strftime(const("%w"), at, shift), sa.Integer) + 6) % 7
    hour = sa.cast(sa.func.strftime(const("%H"), at, shift), sa.Integer)
    return [weekday, hour]


def _sqlite_utc_slot(at: Any, minutes: int) -> Any:
    if minutes == 60:
        return sa.func.substr(at, 1, 13).op("||")(const(":00:00"))
    quarter = (sa.cast(sa.func.substr(at, 15, 2), sa.Integer) // 15) * 15
    return sa.func.substr(at, 1, 14).op("||")(sa.func.printf(const("%02d:00"), quarter))


def _collect(
    session: Session,
    keys: Sequence[Any],
    dims: Sequence[Any],
    sums: Sequence[Any],
    bucket_of: Any,
) -> dict[tuple[Any, ...], list[float]]:
    labelled = [key.label(f"bucket_{n}") for n, key in enumerate(keys)]
    statement = sa.select(*labelled, *dims, *sums).group_by(*labelled, *dims)
    totals: defaultdict[tuple[Any, ...], list[float]] = defaultdict(lambda: [0.0] * len(sums))
    for row in session.execute(statement):
        bucket = bucket_of(row[: len(keys)])
        dim_values = tuple(row[len(keys) : len(keys) + len(dims)])
        target = totals[(bucket, *dim_values)]
        for n, value in enumerate(row[len(keys) + len(dims) :]):
            target[n] += float(value or 0)
    return dict(totals)
