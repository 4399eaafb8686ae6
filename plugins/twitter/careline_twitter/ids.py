"""X ids: 64-bit "snowflakes" carried as decimal strings.

They exceed 2^53, so they must never pass through a float: strings are kept as they are, and a
numeric id is only trusted when JSON parsing kept it an exact ``int``.
"""

from __future__ import annotations

from datetime import UTC, datetime

TWITTER_EPOCH_MS = 1288834974657
MAX_ID = 2**63 - 1


def is_id(value: object) -> bool:
    """Whether ``value`` is an X id as a string: 1–19 ASCII digits within 64 bits."""
    return (
        isinstance(value, str)
        and 0 < len(value) <= 19
        and value.isascii()
        and value.isdigit()
        and int(value) <= MAX_ID
    )


def id_from(value: object) -> str | None:
    """An id from a JSON value: a digit string, or an exact non-negative ``int``; else ``None``.

    Booleans and floats are refused (a float has already lost the low digits).
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value) if 0 <= value <= MAX_ID else None
    if is_id(value):
        return str(value)
    return None


def id_key(value: str) -> int:
    """The numeric order of an id (newer snowflakes are larger)."""
    return int(value)


def newest(*ids: str | None) -> str | None:
    """The largest id among those given (``None`` when there is none)."""
    present = [i for i in ids if i]
    return max(present, key=id_key) if present else None


def snowflake_time(value: str) -> datetime:
    """When a snowflake id was minted (milliseconds since X's epoch in the high bits)."""
    milliseconds = (int(value) >> 22) + TWITTER_EPOCH_MS
    return datetime.fromtimestamp(milliseconds / 1000, tz=UTC)


def make_snowflake(milliseconds: int, sequence: int = 0, worker: int = 0) -> int:
    """Build a snowflake id for a moment (the emulator mints ids like X does)."""
    return ((milliseconds - TWITTER_EPOCH_MS) << 22) | ((worker & 0x3FF) << 12) | (sequence & 0xFFF)


def dm_conversation_id(first: str, second: str) -> str:
    """X's one-to-one DM conversation id: ``"{smaller}-{larger}"`` by numeric order."""
    low, high = sorted((first, second), key=id_key)
    return f"{low}-{high}"


def other_participant(conversation_id: str, account: str) -> str | None:
    """The other user of a one-to-one conversation id, or ``None`` for group conversations."""
    parts = conversation_id.split("-")
    if len(parts) != 2 or not all(is_id(part) for part in parts) or account not in parts:
        return None
    return parts[1] if parts[0] == account else parts[0]
