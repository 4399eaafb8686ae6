"""The emulator's rate limits (15-minute and 24-hour windows) and scripted failures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

WINDOW = timedelta(minutes=15)
DAY = timedelta(hours=24)

# (route, "app" | "user") → requests per 15 minutes; from X's documentation where it gives them.
WINDOW_LIMITS: dict[tuple[str, str], int] = {
    ("GET /2/users/:id/mentions", "app"): 450,
    ("GET /2/users/:id/mentions", "user"): 300,
    ("GET /2/users/:id/tweets", "app"): 1500,
    ("GET /2/users/:id/tweets", "user"): 900,
    ("GET /2/tweets/search/recent", "app"): 450,
    ("GET /2/tweets/search/recent", "user"): 300,
    ("GET /2/dm_events", "user"): 15,
    ("POST /2/tweets", "user"): 100,
    ("POST /2/dm_conversations/with/:participant_id/messages", "user"): 15,
}
# route → (per-user limit, per-app limit) per 24 hours, for the x-*-limit-24hour-* headers.
DAILY_LIMITS: dict[str, tuple[int | None, int | None]] = {
    "POST /2/tweets": (2400, 10_000),
    "POST /2/dm_conversations/with/:participant_id/messages": (1440, None),
}


@dataclass
class Window:
    """Requests counted in one window."""

    started: datetime
    length: timedelta
    used: int = 0

    def reset_at(self) -> datetime:
        """When the window starts over."""
        return self.started + self.length

    def roll(self, now: datetime) -> None:
        """Start a new window when this one is over."""
        if now >= self.reset_at():
            self.started, self.used = now, 0


@dataclass
class ScriptedFailure:
    """The next ``times`` calls of ``route`` (or any route, ``"*"``) answer ``status``."""

    route: str
    status: int
    times: int = 1
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    reset_in: int = 60

    def matches(self, route: str) -> bool:
        """Whether this failure applies to ``route``."""
        return self.route in ("*", route)


class RateLimiter:
    """Counts requests per route and credential in 15-minute and 24-hour windows."""

    def __init__(self) -> None:
        self.limits: dict[tuple[str, str], int] = dict(WINDOW_LIMITS)
        self.daily: dict[str, tuple[int | None, int | None]] = dict(DAILY_LIMITS)
        self._windows: dict[tuple[str, str], Window] = {}

    def _window(self, key: tuple[str, str], now: datetime, length: timedelta) -> Window:
        window = self._windows.setdefault(key, Window(started=now, length=length))
        window.roll(now)
        return window

    def take(
        self, route: str, kind: str, subject: str, now: datetime
    ) -> tuple[bool, dict[str, str]]:
        """Count one request; ``(allowed, rate-limit headers)``."""
        headers: dict[str, str] = {}
        allowed = True
        limit = self.limits.get((route, kind))
        if limit is not None:
            window = self._window((route, subject), now, WINDOW)
            allowed = window.used < limit
            if allowed:
                window.used += 1
            headers.update(_family("x-rate-limit", limit, limit - window.used, window))
        user_daily, app_daily = self.daily.get(route, (None, None))
        for prefix, daily_limit, who in (
            ("x-user-limit-24hour", user_daily, subject),
            ("x-app-limit-24hour", app_daily, "app"),
        ):
            if daily_limit is None:
                continue
            window = self._window((route + " 24h", who), now, DAY)
            if allowed and window.used >= daily_limit:
                allowed = False
            if allowed:
                window.used += 1
            headers.update(_family(prefix, daily_limit, daily_limit - window.used, window))
        return allowed, headers

    def exhaust(self, route: str, subject: str, now: datetime) -> None:
        """Use up the 15-minute window of ``route`` for ``subject``."""
        window = self._window((route, subject), now, WINDOW)
        window.used = 10**9


def _family(prefix: str, limit: int, remaining: int, window: Window) -> dict[str, str]:
    return {
        f"{prefix}-limit": str(limit),
        f"{prefix}-remaining": str(max(remaining, 0)),
        f"{prefix}-reset": str(int(window.reset_at().timestamp())),
    }
