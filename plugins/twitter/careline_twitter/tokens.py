"""OAuth 2.0 user-context tokens: the configured pair, and the refreshed ones kept in memory.

X access tokens live two hours; a refresh (``POST /2/oauth2/token``,
``grant_type=refresh_token``) returns a new access token *and a new refresh token* — the old
refresh token stops working. Refreshed tokens are kept in memory, shared by every channel object
of the process (one vault per process), keyed by API base URL and account. They are not written
anywhere: a restarted process starts again from the configured tokens, which must then still be
valid (see the plugin's documentation).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True, slots=True)
class UserTokens:
    """An access token and its refresh token; ``repr`` never shows either."""

    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    expires_at: datetime | None = None

    def expired(self, now: datetime) -> bool:
        """Whether the access token is known to have expired."""
        return self.expires_at is not None and now >= self.expires_at


class TokenVault:
    """Refreshed tokens per ``(base_url, account id)``, with one lock per account for refreshes."""

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, str], UserTokens] = {}
        self._locks: dict[tuple[str, str], threading.Lock] = {}
        self._guard = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenVault({len(self._tokens)} refreshed accounts)"

    def get(self, base_url: str, account: str) -> UserTokens | None:
        """The refreshed tokens of an account, if this process refreshed them."""
        with self._guard:
            return self._tokens.get((base_url, account))

    def put(self, base_url: str, account: str, tokens: UserTokens) -> None:
        """Keep refreshed tokens for the rest of the process's life."""
        with self._guard:
            self._tokens[(base_url, account)] = tokens

    def lock(self, base_url: str, account: str) -> threading.Lock:
        """The lock that serialises refreshes of one account (refresh tokens are single-use)."""
        with self._guard:
            return self._locks.setdefault((base_url, account), threading.Lock())


# One per process, on purpose: a refresh token is single-use, so every channel object of the
# process must see the tokens another one obtained.
PROCESS_VAULT = TokenVault()
