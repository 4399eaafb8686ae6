"""The notes report's SQL against a Python reference, on SQLite and PostgreSQL (hypothesis)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from careline.db import Database
from careline.models import Agent, Contact, Conversation, Event, Note
from careline.reporting import ReportParams
from careline.types import Visibility
from careline_notes_report.report import NotesReport
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AGENTS = ("Ana", "bo", "Cy")
CONVERSATIONS = (("twitter", "billing"), ("twitter", None), ("contactform", "billing"))


@dataclass(frozen=True)
class Row:
    agent: int | None  # index into AGENTS
    conversation: int | None  # index into CONVERSATIONS
    minute: int


def at(minute: int) -> datetime:
    return START + timedelta(minutes=minute)


rows = st.builds(
    Row,
    agent=st.none() | st.integers(0, len(AGENTS) - 1),
    conversation=st.integers(0, len(CONVERSATIONS) - 1),
    minute=st.integers(0, 12),
)
events = st.builds(
    Row,
    agent=st.none() | st.integers(0, len(AGENTS) - 1),
    conversation=st.none() | st.integers(0, len(CONVERSATIONS) - 1),
    minute=st.integers(0, 12),
)


def reference(
    notes: list[Row],
    logged: list[Row],
    since: int,
    until: int,
    channel: str | None,
    queue: str | None,
    agent: int | None,
) -> tuple[set[tuple[str, int, int]], dict[str, int]]:
    """The report computed the obvious way, over the generated rows."""

    def keep(row: Row) -> bool:
        if row.agent is None or row.conversation is None or not since <= row.minute < until:
            return False
        conv_channel, conv_queue = CONVERSATIONS[row.conversation]
        return (
            (channel is None or conv_channel == channel)
            and (queue is None or conv_queue == queue)
            and (agent is None or row.agent == agent)
        )

    kept_notes = [n for n in notes if keep(n)]
    touches = {(r.agent, r.conversation) for r in [*kept_notes, *filter(keep, logged)]}
    agents = {a for a, _ in touches}
    table = {
        (
            AGENTS[a],  # type: ignore[index]
            sum(1 for n in kept_notes if n.agent == a),
            len({c for b, c in touches if b == a}),
        )
        for a in agents
    }
    figures = {
        "notes": len(kept_notes),
        "agents": len(agents),
        "conversations touched": len({c for _, c in touches}),
    }
    return table, figures


def test_the_sql_matches_the_python_reference(careline_db: Database) -> None:
    with careline_db.session() as session:
        agent_ids = []
        for name in AGENTS:
            agent = Agent(name=name)
            session.add(agent)
            session.flush()
            agent_ids.append(agent.id)
        conversation_ids = []
        for index, (channel, queue) in enumerate(CONVERSATIONS):
            contact = Contact(name=f"customer {index}")
            session.add(contact)
            session.flush()
            conversation = Conversation(
                channel=channel,
                account="brand",
                thread_key=f"t{index}",
                visibility=Visibility.PRIVATE,
                queue=queue,
                contact_id=contact.id or 0,
                created_at=START,
                updated_at=START,
            )
            session.add(conversation)
            session.flush()
            conversation_ids.append(conversation.id)

    def agent_id(index: int | None) -> int | None:
        return None if index is None else agent_ids[index]

    def conversation_id(index: int | None) -> int | None:
        return None if index is None else conversation_ids[index]

    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        notes=st.lists(rows, max_size=12),
        logged=st.lists(events, max_size=12),
        window=st.tuples(st.integers(0, 12), st.integers(1, 13)).filter(lambda w: w[0] < w[1]),
        channel=st.sampled_from([None, "twitter", "contactform"]),
        queue=st.sampled_from([None, "billing"]),
        only_agent=st.none() | st.integers(0, len(AGENTS) - 1),
    )
    def check(
        notes: list[Row],
        logged: list[Row],
        window: tuple[int, int],
        channel: str | None,
        queue: str | None,
        only_agent: int | None,
    ) -> None:
        with careline_db.session() as session:
            session.execute(sa.delete(_table(Event)))
            session.execute(sa.delete(_table(Note)))
            for row in notes:
                session.add(
                    Note(
                        conversation_id=conversation_id(row.conversation) or 0,
                        agent_id=agent_id(row.agent),
                        text="n",
                        created_at=at(row.minute),
                    )
                )
            for row in logged:
                session.add(
                    Event(
                        conversation_id=conversation_id(row.conversation),
                        agent_id=agent_id(row.agent),
                        type="status_changed",
                        at=at(row.minute),
                    )
                )
        since, until = window
        params = ReportParams(
            since=at(since),
            until=at(until),
            channel=channel,
            queue=queue,
            agent_id=agent_id(only_agent),
        )
        with Session(careline_db.engine) as session:
            result = NotesReport().compute(session, params)
        expected_table, expected_figures = reference(
            notes, logged, since, until, channel, queue, only_agent
        )
        [table] = result.tables
        assert {row[:3] for row in table.rows} == expected_table
        assert len(table.rows) == len(expected_table)
        assert dict(result.figures) == expected_figures
        counts = [(row[1], row[2]) for row in table.rows]
        assert counts == sorted(counts, key=lambda c: (-c[0], -c[1]))

    check()


def _table(model: Any) -> sa.Table:
    table: sa.Table = model.__table__
    return table
