"""Reading ``--since`` / ``--until``: a duration back from now (``30d``) or a date or time."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from careline.config import parse_duration


def parse_moment(value: str, *, now: datetime, zone: ZoneInfo) -> datetime:
    """``now``, ``"30d"`` (that long before now), ``"2026-01-01"`` (local midnight in
    ``zone``) or an ISO time (local in ``zone`` unless it carries an offset); aware UTC."""
    text = value.strip()
    if text.lower() == "now":
        return now
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        day = date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(now.tzinfo)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            f"not a duration or a date: {value!r} (use e.g. 30d, 2026-01-01 or 2026-01-01T09:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(now.tzinfo)


def parse_period(
    since: str | None, until: str | None, *, now: datetime, zone: ZoneInfo, default: str
) -> tuple[datetime, datetime]:
    """The ``[since, until)`` period; ``since`` defaults to ``default`` before ``until``."""
    end = parse_moment(until, now=now, zone=zone) if until else now
    start = parse_moment(since, now=now, zone=zone) if since else end - parse_duration(default)
    if end <= start:
        raise ValueError(
            f"the period is empty: --until ({end:%Y-%m-%d %H:%M}) must be after --since"
        )
    return start, end
