"""``notes``: per agent, the internal notes written and the conversations touched in a period.

A conversation is *touched* by an agent when, in the period, the agent wrote a note on it or an
event of the audit log names the agent (a reply, an assignment, a status change, a tag, …).
Everything is counted in SQL; only one row per agent comes back to Python.
"""

from __future__ import annotations

from typing import Any, ClassVar

import sqlalchemy as sa
from careline.models import Agent, Conversation, Event, Note
from careline.reporting import Report, ReportParams
from careline.types import ReportParameter, ReportResult, ReportTable
from sqlalchemy.orm import Session

COLUMNS = ("agent", "notes", "conversations touched", "notes per conversation")


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table


def _scoped(
    statement: sa.Select[Any], conversation_id: Any, params: ReportParams
) -> sa.Select[Any]:
    """Add the channel and queue filters (through the conversation) when they are set."""
    if params.channel is None and params.queue is None:
        return statement
    conversation = _table(Conversation)
    statement = statement.join(conversation, conversation.c.id == conversation_id)
    if params.channel is not None:
        statement = statement.where(conversation.c.channel == params.channel)
    if params.queue is not None:
        statement = statement.where(conversation.c.queue == params.queue)
    return statement


def notes_by_agent(session: Session, params: ReportParams) -> dict[int, int]:
    """Notes written per agent in ``[since, until)``."""
    note = _table(Note)
    statement = (
        sa.select(note.c.agent_id, sa.func.count(note.c.id))
        .where(note.c.agent_id.is_not(None))
        .where(note.c.created_at >= params.since, note.c.created_at < params.until)
    )
    if params.agent_id is not None:
        statement = statement.where(note.c.agent_id == params.agent_id)
    statement = _scoped(statement, note.c.conversation_id, params).group_by(note.c.agent_id)
    return {int(agent): int(count) for agent, count in session.execute(statement)}


def touches(params: ReportParams) -> sa.Subquery:
    """``(agent_id, conversation_id)`` pairs of the period: notes written, events recorded."""
    note, event = _table(Note), _table(Event)
    from_notes = _scoped(
        sa.select(
            note.c.agent_id.label("agent_id"), note.c.conversation_id.label("conversation_id")
        )
        .where(note.c.agent_id.is_not(None))
        .where(note.c.created_at >= params.since, note.c.created_at < params.until),
        note.c.conversation_id,
        params,
    )
    from_events = _scoped(
        sa.select(
            event.c.agent_id.label("agent_id"), event.c.conversation_id.label("conversation_id")
        )
        .where(event.c.agent_id.is_not(None), event.c.conversation_id.is_not(None))
        .where(event.c.at >= params.since, event.c.at < params.until),
        event.c.conversation_id,
        params,
    )
    if params.agent_id is not None:
        from_notes = from_notes.where(note.c.agent_id == params.agent_id)
        from_events = from_events.where(event.c.agent_id == params.agent_id)
    return sa.union(from_notes, from_events).subquery("touches")


def touched_by_agent(session: Session, params: ReportParams) -> tuple[dict[int, int], int]:
    """Distinct conversations touched per agent, and by anyone, in the period."""
    pairs = touches(params)
    per_agent = sa.select(
        pairs.c.agent_id, sa.func.count(sa.distinct(pairs.c.conversation_id))
    ).group_by(pairs.c.agent_id)
    overall = sa.select(sa.func.count(sa.distinct(pairs.c.conversation_id)))
    counts = {int(agent): int(count) for agent, count in session.execute(per_agent)}
    return counts, int(session.execute(overall).scalar_one())


def agent_names(session: Session, agent_ids: set[int]) -> dict[int, str]:
    """The names of ``agent_ids``."""
    if not agent_ids:
        return {}
    agent = _table(Agent)
    statement = sa.select(agent.c.id, agent.c.name).where(agent.c.id.in_(sorted(agent_ids)))
    return {int(agent_id): str(name) for agent_id, name in session.execute(statement)}


class NotesReport(Report):
    """Internal notes written and conversations touched, per agent."""

    name: ClassVar[str] = "notes"
    title: ClassVar[str] = "Internal notes"
    description: ClassVar[str] = (
        "Per agent: internal notes written and conversations touched (a note or any event "
        "naming the agent) in the period."
    )
    parameters: ClassVar[tuple[ReportParameter, ...]] = (
        ReportParameter("channel", "Only conversations on this channel."),
        ReportParameter("queue", "Only conversations in this queue."),
        ReportParameter("agent", "Only this agent id."),
    )

    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the report for ``params`` with two grouped SQL queries."""
        notes = notes_by_agent(session, params)
        touched, conversations = touched_by_agent(session, params)
        agent_ids = set(notes) | set(touched)
        names = agent_names(session, agent_ids)
        rows = [
            (
                names.get(agent_id, f"agent {agent_id}"),
                notes.get(agent_id, 0),
                touched.get(agent_id, 0),
                round(notes.get(agent_id, 0) / touched[agent_id], 2)
                if touched.get(agent_id)
                else None,
            )
            for agent_id in agent_ids
        ]
        rows.sort(key=lambda row: (-row[1], -row[2], row[0].lower()))
        return ReportResult(
            name=self.name,
            title=self.title,
            parameters={
                "since": params.since.isoformat(),
                "until": params.until.isoformat(),
                "channel": params.channel,
                "queue": params.queue,
                "agent": params.agent_id,
            },
            figures={
                "notes": sum(notes.values()),
                "agents": len(agent_ids),
                "conversations touched": conversations,
            },
            tables=(ReportTable(title="Notes per agent", columns=COLUMNS, rows=tuple(rows)),),
        )
