"""Back off before Meta's rate limits bite, from the usage headers of every Graph answer.

Meta reports how much of each budget is used, in percent, as JSON in ``X-App-Usage``,
``X-Page-Usage`` (``{"call_count":28,"total_cputime":25,"total_time":25}``) and
``X-Business-Use-Case-Usage`` (``{"<id>":[{"type":"messenger","call_count":1,…,
"estimated_time_to_regain_access":0}]}``, the wait in minutes). Past ``slow_down_at`` percent
the client pauses a little before each call; past ``pause_at`` it stops calling and raises a
transient error until the budget has had time to recover, so the limit is never reached.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from careline.channels import SendError

USAGE_HEADERS = ("x-app-usage", "x-page-usage", "x-ad-account-usage")
BUSINESS_USAGE_HEADER = "x-business-use-case-usage"
_PERCENT_KEYS = ("call_count", "total_cputime", "total_time", "acc_id_util_pct")
# Meta's budgets are rolling one-hour windows; without an estimate, wait a minute and look again.
DEFAULT_RECOVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Usage:
    """The highest percentage of any budget, and Meta's estimate of when access comes back."""

    percent: float
    regain_access_in: timedelta | None = None


def read_usage(headers: Mapping[str, str]) -> Usage:
    """Read every usage header of a response (header names lower-case); 0 % when none."""
    highest = 0.0
    regain: timedelta | None = None
    for name in USAGE_HEADERS:
        document = _json(headers.get(name))
        if isinstance(document, Mapping):
            highest = max(highest, _highest_percent(document))
    business = _json(headers.get(BUSINESS_USAGE_HEADER))
    if isinstance(business, Mapping):
        for entries in business.values():
            for entry in entries if isinstance(entries, list) else []:
                if not isinstance(entry, Mapping):
                    continue
                highest = max(highest, _highest_percent(entry))
                minutes = _number(entry.get("estimated_time_to_regain_access"))
                if minutes:
                    wait = timedelta(minutes=minutes)
                    regain = wait if regain is None else max(regain, wait)
    return Usage(percent=highest, regain_access_in=regain)


def _json(value: str | None) -> Any:
    if not value:
        return None
    try:
        return json.loads(value)
    except ValueError:
        return None


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    return float(value)


def _highest_percent(document: Mapping[str, Any]) -> float:
    return max((_number(document.get(key)) for key in _PERCENT_KEYS), default=0.0)


class UsageGovernor:
    """Remembers the last usage Meta reported and paces the next calls accordingly.

    Thread-safe: one channel object serves the worker's threads.
    """

    def __init__(self, *, slow_down_at: float, pause_at: float, max_delay: float) -> None:
        self.slow_down_at = slow_down_at
        self.pause_at = pause_at
        self.max_delay = max_delay
        self._lock = threading.Lock()
        self._percent = 0.0
        self._paused_until: datetime | None = None

    @property
    def percent(self) -> float:
        """The last reported usage in percent."""
        return self._percent

    def record(self, usage: Usage, now: datetime) -> None:
        """Take note of a response's usage headers."""
        with self._lock:
            self._percent = usage.percent
            if usage.percent >= self.pause_at or usage.regain_access_in:
                self._paused_until = now + (usage.regain_access_in or DEFAULT_RECOVERY)
            elif usage.percent < self.slow_down_at:
                self._paused_until = None

    def before_call(self, now: datetime) -> float:
        """Seconds to wait before the next call; raises a transient SendError while paused."""
        with self._lock:
            if self._paused_until is not None and now < self._paused_until:
                wait = (self._paused_until - now).total_seconds()
                raise SendError(
                    f"Graph API usage at {self._percent:.0f} % of the limit: pausing calls for "
                    f"{wait:.0f} s so the limit is not reached",
                    transient=True,
                    retry_after=wait,
                    code="usage",
                )
            if self._percent < self.slow_down_at:
                return 0.0
            span = max(self.pause_at - self.slow_down_at, 1.0)
            share = min((self._percent - self.slow_down_at) / span, 1.0)
            return round(self.max_delay * share, 3)
