"""Read-only views of stored rows, in the shapes hooks receive (``careline.types``)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from careline.models import Agent, Contact, Conversation, Identity, Message
from careline.types import (
    AgentView,
    ConversationStatus,
    ConversationView,
    Direction,
    MessageView,
    PersonalDataMatch,
    Priority,
    Source,
    Visibility,
)
from sqlalchemy import func
from sqlmodel import Session, col, select

REPEAT_CONTACT_LOOKBACK = timedelta(days=30)


class NotFoundError(LookupError):
    """A conversation, message, contact or agent with that id does not exist."""


def message_view(message: Message) -> MessageView:
    """A stored message as hooks see it."""
    assert message.id is not None
    return MessageView(
        id=message.id,
        conversation_id=message.conversation_id,
        channel=message.channel,
        external_id=message.external_id,
        direction=Direction(message.direction),
        visibility=message.visibility,
        text=message.text,
        created_at=message.created_at,
        author_external_id=message.author_external_id,
        author_handle=message.author_handle,
        language=message.language,
        sentiment=message.sentiment,
        topics=tuple(message.topics or ()),
        personal_data=tuple(
            PersonalDataMatch(kind=p["kind"], start=p["start"], end=p["end"])
            for p in message.personal_data or ()
        ),
        sent_by_agent_id=message.sent_by_agent_id,
        automated=message.automated,
    )


def get_conversation(session: Session, conversation_id: int) -> Conversation:
    """The conversation with that id, or :class:`NotFoundError`."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        raise NotFoundError(f"no conversation with id {conversation_id}")
    return conversation


class ConversationFields(Protocol):
    """What a view needs of a conversation: a stored row, or the pipeline's in-memory copy."""

    @property
    def id(self) -> int | None: ...
    @property
    def channel(self) -> str: ...
    @property
    def account(self) -> str: ...
    @property
    def visibility(self) -> Visibility: ...
    @property
    def source(self) -> Source: ...
    @property
    def status(self) -> ConversationStatus: ...
    @property
    def priority(self) -> Priority: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def contact_id(self) -> int: ...
    @property
    def queue(self) -> str | None: ...
    @property
    def assignee_id(self) -> int | None: ...
    @property
    def language(self) -> str | None: ...
    @property
    def sentiment(self) -> float | None: ...
    @property
    def topic(self) -> str | None: ...
    @property
    def tags(self) -> list[str]: ...
    @property
    def last_inbound_at(self) -> datetime | None: ...
    @property
    def first_response_due(self) -> datetime | None: ...
    @property
    def resolution_due(self) -> datetime | None: ...


class ContactFields(Protocol):
    """What a view needs of a contact."""

    @property
    def name(self) -> str | None: ...
    @property
    def attributes(self) -> dict[str, Any]: ...


class IdentityFields(Protocol):
    """What a view needs of the contact's identity on the conversation's channel."""

    @property
    def handle(self) -> str | None: ...
    @property
    def display_name(self) -> str | None: ...
    @property
    def followers(self) -> int | None: ...
    @property
    def verified(self) -> bool: ...


def conversation_view(
    session: Session,
    conversation: Conversation | int,
    *,
    with_messages: bool = True,
    message_limit: int = 200,
) -> ConversationView:
    """Build the :class:`ConversationView` hooks receive for a stored conversation."""
    if isinstance(conversation, int):
        conversation = get_conversation(session, conversation)
    assert conversation.id is not None
    contact = session.get(Contact, conversation.contact_id)
    identity = session.exec(
        select(Identity)
        .where(Identity.contact_id == conversation.contact_id)
        .where(Identity.channel == conversation.channel)
        .order_by(col(Identity.id).desc())
    ).first()
    messages: Sequence[Message] = ()
    if with_messages:
        messages = session.exec(
            select(Message)
            .where(Message.conversation_id == conversation.id)
            .order_by(col(Message.created_at), col(Message.id))
            .limit(message_limit)
        ).all()
    return build_conversation_view(
        conversation,
        contact=contact,
        identity=identity,
        previous=previous_conversations(session, conversation),
        messages=messages,
    )


def build_conversation_view(
    conversation: ConversationFields,
    *,
    contact: ContactFields | None,
    identity: IdentityFields | None,
    previous: int,
    messages: Sequence[Message] = (),
) -> ConversationView:
    """Assemble a :class:`ConversationView` from rows already at hand (no query).

    ``identity`` is the contact's latest identity on the conversation's channel and
    ``previous`` the count :func:`previous_conversations` gives.
    """
    assert conversation.id is not None
    kinds = (
        sorted(
            {
                p["kind"]
                for m in messages
                if m.direction == Direction.INBOUND
                for p in (m.personal_data or ())
            }
        )
        if messages
        else ()
    )
    return ConversationView(
        id=conversation.id,
        channel=conversation.channel,
        account=conversation.account,
        visibility=conversation.visibility,
        source=conversation.source,
        status=conversation.status,
        priority=conversation.priority,
        created_at=conversation.created_at,
        contact_id=conversation.contact_id,
        queue=conversation.queue,
        assignee_id=conversation.assignee_id,
        language=conversation.language,
        sentiment=conversation.sentiment,
        topic=conversation.topic,
        tags=tuple(conversation.tags or ()),
        contact_attributes=dict(contact.attributes or {}) if contact else {},
        contact_name=(contact.name if contact else None)
        or (identity.display_name if identity else None),
        contact_handle=identity.handle if identity else None,
        author_followers=identity.followers if identity else None,
        author_verified=bool(identity.verified) if identity else False,
        previous_conversations=previous,
        personal_data_kinds=tuple(kinds),
        last_inbound_at=conversation.last_inbound_at,
        first_response_due=conversation.first_response_due,
        resolution_due=conversation.resolution_due,
        messages=tuple(message_view(m) for m in messages) if messages else (),
    )


def previous_conversations(
    session: Session, conversation: Conversation, lookback: timedelta = REPEAT_CONTACT_LOOKBACK
) -> int:
    """How many other conversations the same contact started in the lookback before this one."""
    since: datetime = conversation.created_at - lookback
    count = session.exec(
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.contact_id == conversation.contact_id)
        .where(Conversation.id != conversation.id)
        .where(col(Conversation.created_at) >= since)
        .where(col(Conversation.created_at) <= conversation.created_at)
    ).one()
    return int(count)


def count_previous(
    conversation_id: int | None,
    created_at: datetime,
    started: Iterable[tuple[int, datetime]],
    lookback: timedelta = REPEAT_CONTACT_LOOKBACK,
) -> int:
    """:func:`previous_conversations` over ``(id, created_at)`` pairs of the contact's
    conversations already in memory (those created in the lookback before ``created_at``)."""
    since = created_at - lookback
    count = 0
    for other, at in started:  # a loop: most contacts have started one, and a generator costs more
        if other != conversation_id and since <= at <= created_at:
            count += 1
    return count


def on_shift(agent: Agent, now: datetime | None) -> bool:
    """Whether ``now`` is inside the agent's working hours (always, when none are set)."""
    if now is None or not agent.working_hours:
        return True
    from careline.business_hours import BusinessHours

    schedule = BusinessHours.from_config({"enabled": True, **agent.working_hours})
    return schedule.is_open(now)


def agent_view(
    agent: Agent, open_conversations: int = 0, *, now: datetime | None = None
) -> AgentView:
    """An agent as the assignment and guideline hooks see it (``now`` decides ``on_shift``)."""
    assert agent.id is not None
    return AgentView(
        id=agent.id,
        name=agent.name,
        role=agent.role,
        languages=tuple(agent.languages or ()),
        channels=tuple(agent.channels or ()),
        skills=tuple(agent.skills or ()),
        queues=tuple(agent.queues or ()),
        capacity=agent.capacity,
        open_conversations=open_conversations,
        on_shift=on_shift(agent, now),
        available=agent.available and not agent.disabled,
        initials=agent.initials,
    )
