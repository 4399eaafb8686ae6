"""Assigning conversations to agents: by hand, or through the ``careline_assign`` hook."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from careline import events
from careline.models import Agent, Conversation
from careline.services.views import NotFoundError, agent_view, conversation_view
from careline.types import AgentView, ConversationStatus, ConversationView
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


def enabled_agents(session: Session) -> Sequence[Agent]:
    """Every enabled human agent (who may be given conversations)."""
    return session.exec(
        select(Agent).where(col(Agent.disabled).is_(False), col(Agent.is_bot).is_(False))
    ).all()


def agent_loads(session: Session) -> dict[int, int]:
    """How many active conversations each agent holds (agents holding none are absent)."""
    rows = session.exec(
        select(Conversation.assignee_id, func.count())
        .where(col(Conversation.assignee_id).is_not(None))
        .where(col(Conversation.status).in_(ACTIVE_STATUSES))
        .group_by(col(Conversation.assignee_id))
    ).all()
    return {int(agent_id): int(count) for agent_id, count in rows if agent_id is not None}


def candidates(session: Session, now: datetime | None = None) -> list[AgentView]:
    """Every enabled human agent with their active conversations and whether they are on shift."""
    return AgentPool.count(session, enabled_agents(session), now=now).agents


def holder(assignee_id: int | None, status: str) -> int | None:
    """The agent whose load a conversation counts in (its assignee while it is active)."""
    return assignee_id if assignee_id is not None and status in ACTIVE_STATUSES else None


class AgentPool:
    """The candidates of :func:`candidates`, read once and kept current by the caller.

    The pipeline asks for an agent for many conversations in one transaction; instead of
    counting every agent's load again for each, it reads the pool once and reports each change
    of a conversation's holder (:func:`holder`) with :meth:`moved`.
    """

    def __init__(self, agents: list[AgentView]) -> None:
        self._agents = agents
        self._index = {agent.id: n for n, agent in enumerate(agents)}

    @classmethod
    def count(
        cls, session: Session, agents: Sequence[Agent], *, now: datetime | None = None
    ) -> AgentPool:
        """``agents`` with their current loads (no query when there is no agent)."""
        if not agents:
            return cls([])
        loads = agent_loads(session)
        return cls([agent_view(agent, loads.get(agent.id or 0, 0), now=now) for agent in agents])

    @property
    def agents(self) -> list[AgentView]:
        """The candidates with their current loads (do not modify)."""
        return self._agents

    def moved(self, before: int | None, after: int | None) -> None:
        """A conversation counted in ``before``'s load now counts in ``after``'s."""
        if before == after:
            return
        for agent_id, change in ((before, -1), (after, 1)):
            position = self._index.get(agent_id) if agent_id is not None else None
            if position is not None:
                agent = self._agents[position]
                self._agents[position] = replace(
                    agent, open_conversations=agent.open_conversations + change
                )


def choose(runtime: Runtime, view: ConversationView, pool: Sequence[AgentView]) -> int | None:
    """Ask the ``careline_assign`` hook to pick among ``pool`` (which must not be empty)."""
    chosen = runtime.pm.hook.careline_assign(
        conversation=view, candidates=pool, settings=runtime.settings
    )
    if chosen is None:
        return None
    if chosen not in {agent.id for agent in pool}:
        raise ValueError(f"the assignment hook chose agent {chosen!r}, who is not a candidate")
    return int(chosen)


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
    pool = candidates(session, runtime.now())
    if not pool:
        return None
    view = conversation_view(session, conversation, with_messages=False)
    chosen = choose(runtime, view, pool)
    if chosen is None:
        return None
    assign(runtime, session, conversation, chosen, by="rule")
    return chosen
