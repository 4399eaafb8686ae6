"""The poll cursor of one feed: the newest id seen, plus where a paginated fetch stands.

Between polls the cursor is just the newest id seen (``"1745678901234567890"``). While a fetch
walks older pages (X lists newest first), the cursor also keeps the ``since_id`` the walk
started from and the next page token: ``"<newest>;<since>;<token>"`` — so a crash between pages
resumes the walk instead of skipping the posts in between.
"""

from __future__ import annotations

from dataclasses import dataclass

from careline.channels import ChannelError

from careline_twitter.ids import is_id

SEPARATOR = ";"


@dataclass(frozen=True, slots=True)
class PollCursor:
    """Where one feed's polling stands."""

    newest_id: str | None = None
    since_id: str | None = None
    next_token: str | None = None

    @property
    def walking(self) -> bool:
        """Whether a paginated fetch is under way."""
        return self.next_token is not None

    def encode(self) -> str | None:
        """The string the core stores (``None`` before anything was seen)."""
        if self.next_token is not None:
            return SEPARATOR.join((self.newest_id or "", self.since_id or "", self.next_token))
        return self.newest_id

    @classmethod
    def decode(cls, value: str | None) -> PollCursor:
        """Read a stored cursor; refuse one this plugin did not write."""
        if not value:
            return cls()
        parts = value.split(SEPARATOR, 2)
        if len(parts) == 1 and is_id(parts[0]):
            return cls(newest_id=parts[0])
        if len(parts) == 3 and parts[2] and all(not p or is_id(p) for p in parts[:2]):
            return cls(newest_id=parts[0] or None, since_id=parts[1] or None, next_token=parts[2])
        raise ChannelError(f"not an X poll cursor: {value!r:.60}")
