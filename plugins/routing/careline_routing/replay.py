"""Reading stored conversations back as they looked when they were routed.

Each conversation is rebuilt from its row, its first inbound message, its contact and the
contact's identity on the channel, and paired with what routing did then (the first ``routed``
event, else the conversation's stored queue and priority). Rows are streamed, so a month of
conversations never sits in memory at once.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from careline import events
from careline.clock import ensure_utc
from careline.config import parse_duration
from careline.models import Contact, Conversation, Event, Identity, Message
from careline.types import (
    Author,
    ConversationStatus,
    ConversationView,
    Direction,
    InboundMessage,
    MessageView,
    Priority,
    Source,
    Visibility,
)
from sqlmodel import Session, col

# Mirrors careline.services.views.REPEAT_CONTACT_LOOKBACK (a test keeps them equal).
REPEAT_CONTACT_LOOKBACK = timedelta(days=30)
STREAM_BATCH = 500


@dataclass(frozen=True, slots=True)
class Outcome:
    """Where a conversation ended up: queue, priority, and whether it was ignored."""

    queue: str | None
    priority: str
    ignored: bool

    def describe(self) -> str:
        """``billing/high`` or ``listening/normal (ignored)``."""
        text = f"{self.queue or '(none)'}/{self.priority}"
        return text + " (ignored)" if self.ignored else text


@dataclass(frozen=True, slots=True)
class StoredConversation:
    """A stored conversation as the routing hook saw it, with what happened to it."""

    view: ConversationView
    message: InboundMessage
    before: Outcome


def parse_moment(value: str, now: datetime) -> datetime:
    """``30d`` (that long before now) or an ISO date or time (UTC unless it says otherwise)."""
    try:
        return now - parse_duration(value)
    except ValueError:
        pass
    try:
        return ensure_utc(datetime.fromisoformat(value))
    except ValueError:
        raise ValueError(
            f"not a time: {value!r} (use a duration before now such as 30d, or a date such as "
            "2026-01-31)"
        ) from None


def _in_window(since: datetime, until: datetime) -> sa.ColumnElement[bool]:
    return sa.and_(col(Conversation.created_at) >= since, col(Conversation.created_at) < until)


def _statement(since: datetime, until: datetime) -> sa.Select[*tuple[Any, ...]]:
    window = _in_window(since, until)
    first_inbound = (
        sa.select(
            col(Message.id).label("message_id"),
            col(Message.conversation_id).label("conversation_id"),
            sa.func.row_number()
            .over(
                partition_by=col(Message.conversation_id),
                order_by=(col(Message.created_at), col(Message.id)),
            )
            .label("position"),
        )
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .where(col(Message.direction) == Direction.INBOUND.value, window)
        .subquery("first_inbound")
    )
    first_routed = (
        sa.select(
            col(Event.conversation_id).label("conversation_id"),
            sa.func.min(col(Event.id)).label("event_id"),
        )
        .join(Conversation, col(Conversation.id) == col(Event.conversation_id))
        .where(col(Event.type) == events.ROUTED, window)
        .group_by(col(Event.conversation_id))
        .subquery("first_routed")
    )
    latest_identity = (
        sa.select(sa.func.max(col(Identity.id)))
        .where(
            col(Identity.contact_id) == col(Conversation.contact_id),
            col(Identity.channel) == col(Conversation.channel),
        )
        .correlate(Conversation)
        .scalar_subquery()
    )
    return (
        sa.select(
            col(Conversation.id),
            col(Conversation.channel),
            col(Conversation.account),
            col(Conversation.visibility),
            col(Conversation.source),
            col(Conversation.status),
            col(Conversation.priority),
            col(Conversation.queue),
            col(Conversation.ignore_reason),
            col(Conversation.created_at),
            col(Conversation.contact_id),
            col(Conversation.language),
            col(Conversation.sentiment),
            col(Conversation.topic),
            col(Message.id).label("message_id"),
            col(Message.external_id),
            col(Message.text),
            col(Message.created_at).label("message_created_at"),
            col(Message.language).label("message_language"),
            col(Message.sentiment).label("message_sentiment"),
            col(Message.topics),
            col(Message.personal_data),
            col(Message.author_external_id),
            col(Message.author_handle),
            col(Contact.attributes),
            col(Identity.followers),
            col(Identity.verified),
            col(Event.data).label("routed"),
        )
        .join(
            first_inbound,
            sa.and_(
                first_inbound.c.conversation_id == col(Conversation.id),
                first_inbound.c.position == 1,
            ),
        )
        .join(Message, col(Message.id) == first_inbound.c.message_id)
        .outerjoin(Contact, col(Contact.id) == col(Conversation.contact_id))
        .outerjoin(Identity, col(Identity.id) == latest_identity)
        .outerjoin(first_routed, first_routed.c.conversation_id == col(Conversation.id))
        .outerjoin(Event, col(Event.id) == first_routed.c.event_id)
        .where(window)
        .order_by(col(Conversation.created_at), col(Conversation.id))
    )


def count_conversations(session: Session, since: datetime, until: datetime) -> int:
    """How many conversations with a customer message started in ``[since, until)``."""
    counted = sa.select(sa.func.count()).select_from(_statement(since, until).subquery())
    return int(session.connection().execute(counted).scalar_one())


class RepeatContacts:
    """How many other conversations each contact started in the lookback before one of theirs."""

    def __init__(self, session: Session, since: datetime, until: datetime) -> None:
        self._starts: dict[int, list[datetime]] = defaultdict(list)
        rows = session.connection().execute(
            sa.select(col(Conversation.contact_id), col(Conversation.created_at))
            .where(_in_window(since - REPEAT_CONTACT_LOOKBACK, until))
            .order_by(col(Conversation.created_at))
            .execution_options(yield_per=STREAM_BATCH * 4)
        )
        for contact_id, created_at in rows:
            self._starts[contact_id].append(created_at)

    def previous(self, contact_id: int, created_at: datetime) -> int:
        """Other conversations of ``contact_id`` started in the lookback up to ``created_at``."""
        starts = self._starts.get(contact_id, [])
        first = bisect.bisect_left(starts, created_at - REPEAT_CONTACT_LOOKBACK)
        last = bisect.bisect_right(starts, created_at)
        return max(last - first - 1, 0)


def stored_conversations(
    session: Session, since: datetime, until: datetime
) -> Iterator[StoredConversation]:
    """Every conversation started in ``[since, until)`` with a customer message, oldest first."""
    repeats = RepeatContacts(session, since, until)
    statement = _statement(since, until).execution_options(yield_per=STREAM_BATCH)
    rows = session.connection().execute(statement)
    for row in rows:
        yield _rebuild(row, repeats.previous(row.contact_id, row.created_at))


def _rebuild(row: Any, previous: int) -> StoredConversation:
    visibility = Visibility(row.visibility)
    source = Source(row.source)
    topics = tuple(row.topics or ())
    language = row.message_language or row.language
    sentiment = row.message_sentiment if row.message_sentiment is not None else row.sentiment
    view = ConversationView(
        id=row.id,
        channel=row.channel,
        account=row.account,
        visibility=visibility,
        source=source,
        status=ConversationStatus.NEW,
        priority=Priority.NORMAL,
        created_at=row.created_at,
        contact_id=row.contact_id,
        language=language,
        sentiment=sentiment,
        topic=row.topic,
        contact_attributes=dict(row.attributes or {}),
        author_followers=row.followers,
        author_verified=bool(row.verified),
        previous_conversations=previous,
        personal_data_kinds=tuple(sorted({p["kind"] for p in row.personal_data or ()})),
        last_inbound_at=row.message_created_at,
        messages=(
            MessageView(
                id=row.message_id,
                conversation_id=row.id,
                channel=row.channel,
                external_id=row.external_id,
                direction=Direction.INBOUND,
                visibility=visibility,
                text=row.text,
                created_at=row.message_created_at,
                language=language,
                sentiment=sentiment,
                topics=topics,
            ),
        ),
    )
    message = InboundMessage(
        channel=row.channel,
        account=row.account,
        external_id=row.external_id or f"stored-{row.message_id}",
        text=row.text,
        author=Author(
            external_id=row.author_external_id or "unknown",
            handle=row.author_handle,
            followers=row.followers,
            verified=bool(row.verified),
        ),
        created_at=row.message_created_at,
        visibility=visibility,
        source=source,
        language=language,
    )
    routed = row.routed or {}
    before = Outcome(
        queue=routed.get("queue", row.queue),
        priority=str(routed.get("priority") or row.priority),
        ignored=row.status == ConversationStatus.IGNORED or row.ignore_reason is not None,
    )
    return StoredConversation(view=view, message=message, before=before)
