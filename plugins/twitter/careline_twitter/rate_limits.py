"""X's rate limits: the documented numbers, and what the last response said is left.

Every X response carries ``x-rate-limit-limit/remaining/reset`` (reset in Unix seconds);
posting adds the 24-hour ``x-user-limit-24hour-*`` and ``x-app-limit-24hour-*`` families. The
tracker keeps the latest figures per endpoint and credential, so that a request known to be
refused is not sent at all (X asks clients never to hammer a limit).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from careline.channels import RateLimit

FIFTEEN_MINUTES = 15 * 60
ONE_DAY = 24 * 60 * 60

DOCUMENTED_LIMITS: tuple[RateLimit, ...] = (
    RateLimit("read mentions (per brand account)", 300, FIFTEEN_MINUTES),
    RateLimit("read mentions (per app)", 450, FIFTEEN_MINUTES),
    RateLimit("recent search (per app)", 450, FIFTEEN_MINUTES),
    RateLimit("read DM events (per brand account)", 15, FIFTEEN_MINUTES),
    RateLimit("post or reply (per brand account)", 100, FIFTEEN_MINUTES),
    RateLimit("post or reply (per app)", 10_000, ONE_DAY),
    RateLimit("send DM (per brand account)", 15, FIFTEEN_MINUTES),
    RateLimit("send DM (per brand account, daily)", 1_440, ONE_DAY),
)

HEADER_FAMILIES = {
    "window": "x-rate-limit",
    "user-24h": "x-user-limit-24hour",
    "app-24h": "x-app-limit-24hour",
}


@dataclass(frozen=True, slots=True)
class LimitState:
    """One limit as the platform last reported it."""

    limit: int | None
    remaining: int | None
    reset_at: datetime | None

    def exhausted(self, now: datetime) -> bool:
        """Whether nothing is left and the window has not reset yet."""
        return self.remaining == 0 and self.reset_at is not None and self.reset_at > now


def _number(headers: Mapping[str, str], name: str) -> int | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


def read_limits(headers: Mapping[str, str]) -> dict[str, LimitState]:
    """The rate-limit families present in response headers (names in lower case)."""
    found: dict[str, LimitState] = {}
    for family, prefix in HEADER_FAMILIES.items():
        limit = _number(headers, f"{prefix}-limit")
        remaining = _number(headers, f"{prefix}-remaining")
        reset = _number(headers, f"{prefix}-reset")
        if limit is None and remaining is None and reset is None:
            continue
        reset_at = datetime.fromtimestamp(reset, tz=UTC) if reset is not None else None
        found[family] = LimitState(limit, remaining, reset_at)
    return found


def wait_seconds(headers: Mapping[str, str], now: datetime) -> float | None:
    """How long a refused (429) request should wait: until the exhausted family resets.

    Prefers a family reported as exhausted (the 15-minute window, else a 24-hour one); falls
    back to the window's reset time. ``None`` when the response says nothing usable.
    """
    limits = read_limits(headers)
    ordered = [limits[f] for f in HEADER_FAMILIES if f in limits]
    chosen = next((s for s in ordered if s.remaining == 0 and s.reset_at), None)
    chosen = chosen or next((s for s in ordered if s.reset_at), None)
    if chosen is None or chosen.reset_at is None:
        return None
    return max((chosen.reset_at - now).total_seconds(), 0.0)


class RateLimitTracker:
    """The latest limits seen, per ``(endpoint, credential)`` key; safe across threads."""

    def __init__(self) -> None:
        self._states: dict[str, dict[str, LimitState]] = {}
        self._lock = threading.Lock()

    def record(self, key: str, headers: Mapping[str, str]) -> None:
        """Remember the limits a response reported for ``key``."""
        limits = read_limits(headers)
        if limits:
            with self._lock:
                self._states.setdefault(key, {}).update(limits)

    def blocked_for(self, key: str, now: datetime) -> float | None:
        """Seconds until ``key`` may be called again, when a known limit is exhausted."""
        with self._lock:
            states = list(self._states.get(key, {}).values())
        waits = [
            (state.reset_at - now).total_seconds()
            for state in states
            if state.exhausted(now) and state.reset_at is not None
        ]
        return max(waits) if waits else None

    def snapshot(self) -> dict[str, dict[str, LimitState]]:
        """A copy of every limit seen (for status displays)."""
        with self._lock:
            return {key: dict(states) for key, states in self._states.items()}
