"""The actions agents take on conversations: list, resolve, reopen, ignore, notes, tags, ….

Every action appends an event with the actor and the time from the instance's clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from careline import events, sla
from careline.models import Conversation, CsatResponse, FollowUp, Note
from careline.services import escalations
from careline.services.views import conversation_view, get_conversation
from careline.types import ConversationStatus, Priority
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime


@dataclass(frozen=True)
class ConversationFilter:
    """Filters of ``conversations list`` and ``GET /api/conversations``."""

    status: Sequence[str] = ()
    queue: str | None = None
    assignee_id: int | None = None
    unassigned: bool = False
    channel: str | None = None
    priority: str | None = None
    contact_id: int | None = None


def list_conversations(
    session: Session,
    filters: ConversationFilter,
    *,
    limit: int = 50,
    before_id: int | None = None,
    order: str = "updated",
) -> list[Conversation]:
    """Conversations matching ``filters``, newest activity first, paginated by id cursor."""
    query = select(Conversation)
    if filters.status:
        query = query.where(col(Conversation.status).in_(list(filters.status)))
    if filters.queue:
        query = query.where(Conversation.queue == filters.queue)
    if filters.assignee_id is not None:
        query = query.where(Conversation.assignee_id == filters.assignee_id)
    if filters.unassigned:
        query = query.where(col(Conversation.assignee_id).is_(None))
    if filters.channel:
        query = query.where(Conversation.channel == filters.channel)
    if filters.priority:
        query = query.where(Conversation.priority == filters.priority)
    if filters.contact_id is not None:
        query = query.where(Conversation.contact_id == filters.contact_id)
    if before_id is not None:
        query = query.where(col(Conversation.id) < before_id)
    if order == "due":
        query = query.order_by(
            col(Conversation.first_response_due).asc(), col(Conversation.id).desc()
        )
    else:
        query = query.order_by(col(Conversation.id).desc())
    return list(session.exec(query.limit(limit)).all())


def _change_status(
    runtime: Runtime,
    session: Session,
    conversation: Conversation,
    new_status: ConversationStatus,
    *,
    agent_id: int | None,
    event_type: str,
    **data: Any,
) -> None:
    old = ConversationStatus(conversation.status)
    now = runtime.now()
    conversation.status = new_status
    conversation.updated_at = now
    session.add(conversation)
    events.record(
        session, event_type, at=now, conversation_id=conversation.id, agent_id=agent_id, **data
    )
    view = conversation_view(session, conversation, with_messages=False)
    requests = runtime.pm.hook.careline_escalate_on_status(
        conversation=view, old_status=old, new_status=new_status, settings=runtime.settings
    )
    escalations.apply_requests(
        runtime, session, conversation, [r for group in requests for r in (group or [])]
    )


def resolve(runtime: Runtime, conversation_id: int, *, agent_id: int | None) -> Conversation:
    """Mark a conversation resolved (the resolution clock stops)."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        if conversation.status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED):
            raise ValueError(f"conversation {conversation_id} is already {conversation.status}")
        conversation.resolved_at = runtime.now()
        conversation.awaiting_reply_since = None
        conversation.next_response_due = None
        _change_status(
            runtime,
            session,
            conversation,
            ConversationStatus.RESOLVED,
            agent_id=agent_id,
            event_type=events.RESOLVED,
        )
        return conversation


def reopen(runtime: Runtime, conversation_id: int, *, agent_id: int | None) -> Conversation:
    """Reopen a resolved, closed or ignored conversation (a new SLA cycle starts)."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        previous = conversation.status
        if previous not in (
            ConversationStatus.RESOLVED,
            ConversationStatus.CLOSED,
            ConversationStatus.IGNORED,
        ):
            raise ValueError(f"conversation {conversation_id} is {previous}, not closed")
        now = runtime.now()
        conversation.reopened_at = now
        conversation.ignore_reason = None
        sla.start_cycle(runtime.settings, conversation, now)
        _change_status(
            runtime,
            session,
            conversation,
            ConversationStatus.OPEN,
            agent_id=agent_id,
            event_type=events.CONVERSATION_REOPENED,
            previous_status=str(previous),
        )
        return conversation


def ignore(
    runtime: Runtime, conversation_id: int, *, reason: str, agent_id: int | None
) -> Conversation:
    """Mark "no reply needed" (spam, retweet, thanks) with a reason."""
    if not reason.strip():
        raise ValueError("say why no reply is needed (e.g. spam, retweet, thanks)")
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        conversation.ignore_reason = reason
        conversation.awaiting_reply_since = None
        conversation.first_response_due = conversation.next_response_due = None
        conversation.resolution_due = None
        _change_status(
            runtime,
            session,
            conversation,
            ConversationStatus.IGNORED,
            agent_id=agent_id,
            event_type=events.IGNORED,
            reason=reason,
        )
        return conversation


def set_pending(runtime: Runtime, conversation_id: int, *, agent_id: int | None) -> Conversation:
    """Waiting on the customer: the conversation leaves the active queue until they write."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        _change_status(
            runtime,
            session,
            conversation,
            ConversationStatus.PENDING,
            agent_id=agent_id,
            event_type=events.STATUS_CHANGED,
            status="pending",
        )
        return conversation


def add_note(runtime: Runtime, conversation_id: int, text: str, *, agent_id: int | None) -> Note:
    """Add an internal note (never sent to the customer)."""
    if not text.strip():
        raise ValueError("a note needs some text")
    with runtime.db.session() as session:
        get_conversation(session, conversation_id)
        note = Note(
            conversation_id=conversation_id, agent_id=agent_id, text=text, created_at=runtime.now()
        )
        session.add(note)
        session.flush()
        events.record(
            session,
            events.NOTE_ADDED,
            at=runtime.now(),
            conversation_id=conversation_id,
            agent_id=agent_id,
            note_id=note.id,
        )
        return note


def set_tags(
    runtime: Runtime,
    conversation_id: int,
    *,
    add: Sequence[str] = (),
    remove: Sequence[str] = (),
    agent_id: int | None,
) -> Conversation:
    """Add and remove tags."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        tags = (set(conversation.tags) | {t.strip() for t in add if t.strip()}) - set(remove)
        conversation.tags = sorted(tags)
        conversation.updated_at = runtime.now()
        session.add(conversation)
        events.record(
            session,
            events.TAGS_CHANGED,
            at=runtime.now(),
            conversation_id=conversation_id,
            agent_id=agent_id,
            tags=conversation.tags,
        )
        return conversation


def set_priority(
    runtime: Runtime, conversation_id: int, priority: Priority, *, agent_id: int | None
) -> Conversation:
    """Change the priority (SLA due times are recomputed)."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        previous = conversation.priority
        conversation.priority = priority
        sla.reprioritised(runtime.settings, conversation)
        conversation.updated_at = runtime.now()
        session.add(conversation)
        events.record(
            session,
            events.PRIORITY_CHANGED,
            at=runtime.now(),
            conversation_id=conversation_id,
            agent_id=agent_id,
            previous=str(previous),
            priority=priority.value,
        )
        return conversation


def record_csat(
    runtime: Runtime, conversation_id: int, score: int, *, comment: str | None = None
) -> CsatResponse:
    """Record a customer's satisfaction score (1–5)."""
    if not 1 <= score <= 5:
        raise ValueError("a CSAT score is between 1 and 5")
    with runtime.db.session() as session:
        get_conversation(session, conversation_id)
        response = CsatResponse(
            conversation_id=conversation_id, score=score, comment=comment, received_at=runtime.now()
        )
        session.add(response)
        events.record(
            session,
            events.CSAT_RECEIVED,
            at=runtime.now(),
            conversation_id=conversation_id,
            actor="customer",
            score=score,
        )
        return response


def add_follow_up(
    runtime: Runtime, conversation_id: int, due_at: datetime, note: str, *, agent_id: int | None
) -> FollowUp:
    """Promise to come back to the customer at ``due_at`` (the conversation reopens then)."""
    if not note.strip():
        raise ValueError("say what the follow-up is for")
    if due_at <= runtime.now():
        raise ValueError("a follow-up must be due in the future")
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        follow_up = FollowUp(
            conversation_id=conversation_id,
            due_at=due_at,
            note=note,
            owner_id=agent_id or conversation.assignee_id,
            created_at=runtime.now(),
        )
        session.add(follow_up)
        session.flush()
        events.record(
            session,
            events.NOTE_ADDED,
            at=runtime.now(),
            conversation_id=conversation_id,
            agent_id=agent_id,
            follow_up_id=follow_up.id,
            due_at=due_at.isoformat(),
        )
        return follow_up
