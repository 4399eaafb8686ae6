"""Storing raw deliveries: the first thing that happens to anything a platform sends.

A delivery is appended to ``rawevent`` with a unique ``(channel, key)`` before the platform gets
its answer; a repeated delivery is a no-op. Processing happens later (:mod:`careline.pipeline`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from careline.models import RawEvent
from sqlalchemy.dialects import postgresql, sqlite


def insert_ignoring_duplicates(dialect: str) -> sa.Insert:
    """An INSERT into ``raw_event`` that skips deliveries already stored (same channel and key)."""
    table = RawEvent.__table__  # type: ignore[attr-defined]
    if dialect == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing(index_elements=["channel", "key"])
    if dialect == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing(index_elements=["channel", "key"])
    raise ValueError(f"careline supports SQLite and PostgreSQL, not {dialect}")


def store_raw_events(
    connection: sa.Connection,
    channel: str,
    deliveries: Iterable[tuple[str, bytes]],
    *,
    via: str,
    received_at: datetime,
) -> int:
    """Append ``(key, body)`` deliveries of ``channel``; return how many were new."""
    rows = [
        {
            "channel": channel,
            "key": key,
            "body": body,
            "via": via,
            "received_at": received_at,
            "status": "pending",
            "attempts": 0,
        }
        for key, body in deliveries
    ]
    if not rows:
        return 0
    table = RawEvent.__table__  # type: ignore[attr-defined]
    statement = insert_ignoring_duplicates(connection.dialect.name).returning(table.c.id)
    # RETURNING counts what was really inserted on both databases (rowcount is unreliable for
    # multi-row inserts); duplicates return no row.
    return len(connection.execute(statement, rows).all())


def store_raw_event(
    connection: sa.Connection,
    channel: str,
    key: str,
    body: bytes,
    *,
    via: str,
    received_at: datetime,
) -> bool:
    """Append one delivery; ``False`` when the same ``(channel, key)`` was stored before."""
    return (
        store_raw_events(connection, channel, [(key, body)], via=via, received_at=received_at) > 0
    )
