"""Writing conversations and their event log in bulk, from plain descriptions.

For tests (a generated log written exactly as described), benchmarks (a million messages) and
demos. Rows are inserted with SQLAlchemy Core ``executemany`` in batches with explicit ids for
agents, contacts (one per conversation) and conversations, so write into an empty database.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

import sqlalchemy as sa
from careline import events
from careline.models import Agent, Contact, Conversation, Event, Message

BATCH = 5_000


@dataclass(frozen=True, slots=True)
class LoggedEvent:
    """One event of a conversation's log; ``sentiment`` makes an inbound message row carry it."""

    type: str
    at: datetime
    data: dict[str, Any] = field(default_factory=dict)
    agent_id: int | None = None
    sentiment: float | None = None


@dataclass(frozen=True, slots=True)
class LoggedConversation:
    """A conversation (its current attributes) and its events in log order."""

    id: int
    channel: str
    events: tuple[LoggedEvent, ...]
    source: str = "owned"
    priority: str = "normal"
    queue: str | None = None
    assignee_id: int | None = None
    topic: str | None = None
    tags: tuple[str, ...] = ()
    visibility: str = "public"


def _batches(rows: Iterable[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def write_agents(connection: sa.Connection, agents: dict[int, str]) -> None:
    """Insert agents ``{id: name}``."""
    if agents:
        connection.execute(
            sa.insert(Agent.__table__),  # type: ignore[attr-defined]
            [{"id": agent_id, "name": name} for agent_id, name in agents.items()],
        )


def write_event_log(
    connection: sa.Connection,
    conversations: Iterable[LoggedConversation],
    *,
    messages: bool = True,
) -> int:
    """Insert ``conversations`` with a contact each, their events and (``messages``) a message
    row per ``message_received`` and ``replied`` event. Returns the number of events."""
    tables: Any = {
        "contact": Contact.__table__,  # type: ignore[attr-defined]
        "conversation": Conversation.__table__,  # type: ignore[attr-defined]
        "message": Message.__table__,  # type: ignore[attr-defined]
        "event": Event.__table__,  # type: ignore[attr-defined]
    }
    written = 0
    batch_iter = _conversation_batches(conversations)
    for batch in batch_iter:
        first_at = [c.events[0].at if c.events else None for c in batch]
        connection.execute(
            sa.insert(tables["contact"]),
            [
                {"id": c.id, "created_at": at or _EPOCH}
                for c, at in zip(batch, first_at, strict=True)
            ],
        )
        connection.execute(
            sa.insert(tables["conversation"]),
            [_conversation_row(c, at or _EPOCH) for c, at in zip(batch, first_at, strict=True)],
        )
        event_rows = []
        message_rows = []
        for conversation in batch:
            for event in conversation.events:
                event_rows.append(_event_row(conversation, event))
                if messages and event.type in (events.MESSAGE_RECEIVED, events.REPLIED):
                    message_rows.append(_message_row(conversation, event))
        for rows in _batches(message_rows):
            connection.execute(sa.insert(tables["message"]), rows)
        for rows in _batches(event_rows):
            connection.execute(sa.insert(tables["event"]), rows)
        written += len(event_rows)
    return written


_EPOCH = datetime.fromisoformat("2000-01-01T00:00:00+00:00")


def _conversation_batches(
    conversations: Iterable[LoggedConversation],
) -> Iterator[list[LoggedConversation]]:
    iterator = iter(conversations)
    while batch := list(islice(iterator, BATCH // 5)):
        yield batch


def _conversation_row(conversation: LoggedConversation, created_at: datetime) -> dict[str, Any]:
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "account": "brand",
        "thread_key": f"thread-{conversation.id}",
        "visibility": conversation.visibility,
        "source": conversation.source,
        "status": "open",
        "priority": conversation.priority,
        "queue": conversation.queue,
        "assignee_id": conversation.assignee_id,
        "contact_id": conversation.id,
        "topic": conversation.topic,
        "tags": list(conversation.tags),
        "sla_warned": [],
        "created_at": created_at,
        "updated_at": created_at,
    }


def _event_row(conversation: LoggedConversation, event: LoggedEvent) -> dict[str, Any]:
    return {
        "conversation_id": conversation.id,
        "type": event.type,
        "actor": "system" if event.agent_id is None else f"agent:{event.agent_id}",
        "agent_id": event.agent_id,
        "at": event.at,
        "data": event.data,
    }


def _message_row(conversation: LoggedConversation, event: LoggedEvent) -> dict[str, Any]:
    inbound = event.type == events.MESSAGE_RECEIVED
    return {
        "conversation_id": conversation.id,
        "channel": conversation.channel,
        "account": "brand",
        "direction": "in" if inbound else "out",
        "visibility": conversation.visibility,
        "text": "",
        "created_at": event.at,
        "sentiment": event.sentiment,
        "topics": [],
        "personal_data": [],
        "attachments": [],
        "sent_by_agent_id": event.agent_id,
        "automated": bool(event.data.get("automated", False)),
    }
