"""The stored domain (DESIGN §3): contacts, conversations, messages, agents, events, ….

Every state change also appends an :class:`Event`; reports compute from events, so a fixed
definition applies to history too. Times are stored as UTC and always come back aware.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from careline.types import ConversationStatus, Direction, Priority, Role, Source, Visibility
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as naive UTC and returns them aware, on every database."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; careline stores UTC times")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """Now, aware UTC (model defaults only; services take the time from the clock)."""
    return datetime.now(UTC)


def _time(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, index=index)


def _json(default: Any = None) -> Any:
    factory = (lambda: list(default)) if isinstance(default, list) else dict
    return Field(default_factory=factory, sa_type=sa.JSON, nullable=False)


class Contact(SQLModel, table=True):
    """A customer, with what the CRM or the agents know about them."""

    id: int | None = Field(default=None, primary_key=True)
    name: str | None = None
    attributes: dict[str, Any] = _json({})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    merged_into_id: int | None = Field(default=None, foreign_key="contact.id", index=True)


class Identity(SQLModel, table=True):
    """A contact's account on one channel."""

    __table_args__ = (sa.UniqueConstraint("channel", "external_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    channel: str
    external_id: str
    handle: str | None = Field(default=None, index=True)
    display_name: str | None = None
    followers: int | None = None
    verified: bool = False
    updated_at: datetime | None = _time()


class Agent(SQLModel, table=True):
    """A person (or automation) who answers customers."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(index=True, unique=True)
    email: str | None = None
    role: Role = Field(default=Role.AGENT, sa_type=sa.String(16))
    initials: str | None = None
    languages: list[str] = _json([])
    channels: list[str] = _json([])
    skills: list[str] = _json([])
    queues: list[str] = _json([])
    capacity: int = 10
    available: bool = True
    disabled: bool = False
    is_bot: bool = False
    working_hours: dict[str, Any] = _json({})
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


class ApiToken(SQLModel, table=True):
    """A bearer token of an agent; only its SHA-256 is stored."""

    id: int | None = Field(default=None, primary_key=True)
    agent_id: int = Field(foreign_key="agent.id", index=True)
    token_hash: str = Field(unique=True, index=True)
    prefix: str
    label: str | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime | None = _time()
    revoked_at: datetime | None = _time()
    last_used_at: datetime | None = _time()


class Queue(SQLModel, table=True):
    """A queue (team) that conversations wait in."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, index=True)
    title: str | None = None


class Conversation(SQLModel, table=True):
    """A thread with one customer on one channel, and its care state."""

    __table_args__ = (
        sa.Index("ix_conversation_thread", "channel", "account", "thread_key", "status"),
        sa.Index("ix_conversation_status_queue", "status", "queue"),
        sa.Index("ix_conversation_assignee_status", "assignee_id", "status"),
        sa.Index("ix_conversation_updated", "updated_at", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    account: str
    thread_key: str
    participant_id: str | None = None
    visibility: Visibility = Field(sa_type=sa.String(16))
    source: Source = Field(default=Source.OWNED, sa_type=sa.String(16))
    status: ConversationStatus = Field(default=ConversationStatus.NEW, sa_type=sa.String(16))
    priority: Priority = Field(default=Priority.NORMAL, sa_type=sa.String(16))
    queue: str | None = Field(default=None, index=True)
    assignee_id: int | None = Field(default=None, foreign_key="agent.id")
    contact_id: int = Field(foreign_key="contact.id", index=True)
    language: str | None = None
    sentiment: float | None = None
    topic: str | None = None
    topic_score: float | None = None
    tags: list[str] = _json([])
    ignore_reason: str | None = None
    suggest_private: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    updated_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    last_inbound_at: datetime | None = _time()
    last_outbound_at: datetime | None = _time()
    awaiting_reply_since: datetime | None = _time()
    first_response_at: datetime | None = _time()
    first_response_due: datetime | None = _time(index=True)
    next_response_due: datetime | None = _time()
    resolution_due: datetime | None = _time()
    resolved_at: datetime | None = _time()
    reopened_at: datetime | None = _time()
    assigned_at: datetime | None = _time()
    sla_warned: list[str] = _json([])


class Message(SQLModel, table=True):
    """One message in a conversation, inbound or outbound."""

    __table_args__ = (
        sa.UniqueConstraint("channel", "external_id", name="uq_message_channel_external"),
        sa.Index("ix_message_conversation_created", "conversation_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id")
    channel: str
    account: str
    external_id: str | None = None
    direction: Direction = Field(sa_type=sa.String(8))
    visibility: Visibility = Field(sa_type=sa.String(16))
    text: str = ""
    author_external_id: str | None = None
    author_handle: str | None = None
    in_reply_to: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    received_at: datetime | None = _time()
    language: str | None = None
    sentiment: float | None = None
    topics: list[str] = _json([])
    personal_data: list[dict[str, Any]] = _json([])
    attachments: list[str] = _json([])
    deleted_at: datetime | None = _time()
    edited_at: datetime | None = _time()
    raw_event_id: int | None = Field(default=None, foreign_key="rawevent.id")
    sent_by_agent_id: int | None = Field(default=None, foreign_key="agent.id")
    automated: bool = False
    delivery_state: str | None = None
    delivery_error: str | None = None


class MessageRevision(SQLModel, table=True):
    """An earlier text of an edited message (edits keep history)."""

    id: int | None = Field(default=None, primary_key=True)
    message_id: int = Field(foreign_key="message.id", index=True)
    text: str
    replaced_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Event(SQLModel, table=True):
    """One entry of the audit log every KPI is computed from."""

    __table_args__ = (
        sa.Index("ix_event_conversation_at", "conversation_id", "at"),
        sa.Index("ix_event_type_at", "type", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    type: str = Field(max_length=40)
    actor: str = Field(default="system", max_length=80)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    data: dict[str, Any] = _json({})


class Escalation(SQLModel, table=True):
    """Who must look at a conversation, why, and what became of it."""

    __table_args__ = (sa.UniqueConstraint("conversation_id", "trigger"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    target: str
    reason: str
    trigger: str
    status: str = Field(default="open", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    created_by: str = "system"
    acknowledged_at: datetime | None = _time()
    acknowledged_by: int | None = Field(default=None, foreign_key="agent.id")
    resolved_at: datetime | None = _time()
    resolved_by: int | None = Field(default=None, foreign_key="agent.id")
    resolution_note: str | None = None


class FollowUp(SQLModel, table=True):
    """A dated promise to come back to a customer ("tell her when the fix ships")."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    due_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
    note: str
    owner_id: int | None = Field(default=None, foreign_key="agent.id")
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    fired_at: datetime | None = _time()


class OutboxItem(SQLModel, table=True):
    """A reply stored before it is sent; the worker sends it exactly once."""

    __table_args__ = (sa.Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    message_id: int = Field(foreign_key="message.id", unique=True)
    channel: str
    idempotency_key: str = Field(unique=True)
    payload: dict[str, Any] = _json({})
    status: str = Field(default="queued", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = _time()
    last_error: str | None = None
    claimed_by: str | None = None
    claimed_at: datetime | None = _time()
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = _time()
    findings: list[dict[str, Any]] = _json([])
    reviewed_by: int | None = Field(default=None, foreign_key="agent.id")
    review_comment: str | None = None


class ChannelCursor(SQLModel, table=True):
    """Where polling of one feed of one channel stopped."""

    __table_args__ = (sa.UniqueConstraint("channel", "source"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    source: str
    cursor: str | None = None
    updated_at: datetime | None = _time()


class ChannelHealth(SQLModel, table=True):
    """Whether a channel account works or needs new credentials ("needs reconnect")."""

    __table_args__ = (sa.UniqueConstraint("channel", "account"),)

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    account: str
    state: str = "ok"
    reason: str | None = None
    since: datetime | None = _time()


class RawEvent(SQLModel, table=True):
    """A raw delivery exactly as received, stored before anything else happens to it."""

    __table_args__ = (
        sa.UniqueConstraint("channel", "key", name="uq_rawevent_channel_key"),
        sa.Index("ix_rawevent_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    channel: str
    key: str
    body: bytes = Field(sa_type=sa.LargeBinary)
    via: str = "webhook"
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default="pending", max_length=16)
    attempts: int = 0
    error: str | None = None
    processed_at: datetime | None = _time()
    claimed_by: str | None = None
    claimed_at: datetime | None = _time()


class Note(SQLModel, table=True):
    """An internal note on a conversation (never sent to the customer)."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    agent_id: int | None = Field(default=None, foreign_key="agent.id")
    text: str
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class CsatResponse(SQLModel, table=True):
    """A customer's satisfaction score (1–5) for a conversation."""

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", index=True)
    score: int
    comment: str | None = None
    received_at: datetime = Field(sa_type=UTCDateTime, nullable=False)


class Notice(SQLModel, table=True):
    """One notification for one sender, and its delivery state (retried, then shown as failed,
    never dropped)."""

    id: int | None = Field(default=None, primary_key=True)
    sender: str = Field(index=True)
    kind: str
    title: str
    body: str
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id")
    payload: dict[str, Any] = _json({})
    recipients: list[str] = _json([])
    status: str = Field(default="pending", index=True)
    attempts: int = 0
    next_attempt_at: datetime | None = _time()
    last_error: str | None = None
    created_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    delivered_at: datetime | None = _time()


ALL_TABLES = SQLModel.metadata
