"""How figures and cells read for people: headers, durations, percentages.

A name ending in ``_seconds`` is a duration, one ending in ``_rate``, ``_share`` or ``_sla`` a
share between 0 and 1. CSV and JSON keep the raw numbers; text and HTML format them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SHARE_SUFFIXES = ("_rate", "_share", "_sla")
# Abbreviations appear in headers only (STYLE: names explain themselves in code).
PHRASES = (
    ("first_response_time", "FRT"),
    ("first_response_sla", "FRT SLA"),
    ("resolution_time", "Resolution"),
    ("resolution_sla", "Resolution SLA"),
    ("_business_", " BH "),
    ("csat", "CSAT"),
    ("vsat", "VSAT"),
)


def period_label(parameters: Mapping[str, Any]) -> str:
    """``2026-03-01 00:00 → 2026-04-01 00:00 (Europe/Amsterdam)``: the period in its zone."""
    zone_name = str(parameters.get("timezone") or "UTC")
    try:
        zone = ZoneInfo(zone_name)
        since, until = (
            datetime.fromisoformat(str(parameters[key])).astimezone(zone)
            for key in ("since", "until")
        )
    except (KeyError, ValueError, ZoneInfoNotFoundError):
        return f"{parameters.get('since', '')} → {parameters.get('until', '')} ({zone_name})"
    return f"{since:%Y-%m-%d %H:%M} → {until:%Y-%m-%d %H:%M} ({zone_name})"


def is_duration(name: str) -> bool:
    """True for names of durations in seconds."""
    return name.endswith("_seconds")


def is_share(name: str) -> bool:
    """True for names of shares (0–1)."""
    return name.endswith(SHARE_SUFFIXES)


def header(name: str) -> str:
    """A short header: ``first_response_time_business_median_seconds`` → ``FRT BH median``."""
    label = name.removesuffix("_seconds")
    for long, short in PHRASES:
        label = label.replace(long, short)
    words = " ".join(label.replace("_", " ").split())
    return words[:1].upper() + words[1:]


def format_duration(seconds: float) -> str:
    """``42s``, ``12m 05s``, ``3h 07m``, ``2d 04h``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def display(name: str, value: Any) -> str:
    """A figure or cell as people read it ("—" for no value)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        if is_duration(name):
            return format_duration(float(value))
        if is_share(name):
            return f"{value * 100:.1f}%"
        if isinstance(value, float):
            return f"{value:,.2f}" if not value.is_integer() else f"{int(value):,}"
        return f"{value:,}"
    return str(value)
