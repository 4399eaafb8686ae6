"""Assigning conversations to agents: by hand, or through the ``careline_assign`` hook."""

from __future__ import annotations

from typing import TYPE_CHECKING

from careline import events
from careline.models import Agent, Conversation
from careline.services.views import NotFoundError, agent_view, conversation_view
from careline.types import AgentView, ConversationStatus
from sqlalchemy import func
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

ACTIVE_STATUSES = (
    ConversationStatus.NEW,
    ConversationStatus.OPEN,
    ConversationStatus.PENDING,
    ConversationStatus.ESCALATED,
)


def candidates(session: Session) -> list[AgentView]:
    """Every enabled human agent with the number of active conversations they hold."""
    load = dict(
        session.exec(
            select(Conversation.assignee_id, func.count())
            .where(col(Conversation.assignee_id).is_not(None))
            .where(col(Conversation.status).in_(ACTIVE_STATUSES))
            .group_by(col(Conversation.assignee_id))
        ).all()
    )
    agents = session.exec(
        select(Agent).where(col(Agent.disabled).is_(False), col(Agent.is_bot).is_(False))
    ).all()
    return [agent_view(agent, int(load.get(agent.id, 0))) for agent in agents]


def assign(
    runtime: Runtime,
    session: Session,
    conversation: Conversation,
    agent_id: int | None,
    *,
    actor_id: int | None = None,
    by: str = "hand",
) -> None:
    """Give ``conversation`` to ``agent_id`` (``None`` unassigns), with an event."""
    now = runtime.now()
    if agent_id is not None:
        agent = session.get(Agent, agent_id)
        if agent is None or agent.disabled:
            raise NotFoundError(f"no enabled agent with id {agent_id}")
    previous = conversation.assignee_id
    if previous == agent_id:
        return
    conversation.assignee_id = agent_id
    conversation.assigned_at = now if agent_id is not None else None
    conversation.updated_at = now
    session.add(conversation)
    if agent_id is None:
        events.record(
            session,
            events.UNASSIGNED,
            at=now,
            conversation_id=conversation.id,
            agent_id=actor_id,
            previous=previous,
            by=by,
        )
    else:
        events.record(
            session,
            events.ASSIGNED,
            at=now,
            conversation_id=conversation.id,
            actor="system" if actor_id is None else f"agent:{actor_id}",
            assignee=agent_id,
            previous=previous,
            by=by,
        )


def auto_assign(runtime: Runtime, session: Session, conversation: Conversation) -> int | None:
    """Ask the ``careline_assign`` hook for an agent; assign and return the id, if any."""
    if conversation.assignee_id is not None or conversation.status not in ACTIVE_STATUSES:
        return None
    pool = candidates(session)
    if not pool:
        return None
    view = conversation_view(session, conversation, with_messages=False)
    chosen = runtime.pm.hook.careline_assign(
        conversation=view, candidates=pool, settings=runtime.settings
    )
    if chosen is None:
        return None
    eligible = {agent.id for agent in pool}
    if chosen not in eligible:
        raise ValueError(f"the assignment hook chose agent {chosen!r}, who is not a candidate")
    assign(runtime, session, conversation, int(chosen), by="rule")
    return int(chosen)
