"""Batching: raw events handled in batches of any size end exactly as handled one at a time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest.mock import patch

import pytest
import sqlalchemy as sa
from careline import hookimpl, pipeline
from careline.clock import FrozenClock
from careline.models import (
    Contact,
    Conversation,
    Escalation,
    Event,
    Identity,
    Message,
    MessageRevision,
    Notice,
    RawEvent,
)
from careline.notifications import NotificationSender
from careline.pipeline_batch import BatchRun
from careline.runtime import Runtime
from careline.services import agents
from careline.testing.channel import delivery, message
from careline.testing.databases import reset_database
from careline.testing.flow import deliver
from careline.types import (
    ConversationStatus,
    Enrichment,
    EscalationRequest,
    Priority,
    RoutingDecision,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Outbox(NotificationSender):
    name = "outbox"

    def deliver(self, notification):
        pass


class Rules:
    """Hooks that make every step of the pipeline do something, and sometimes fail."""

    @hookimpl
    def careline_notification_senders(self):
        return [Outbox()]

    @hookimpl
    def careline_enrich_message(self, message):
        if "explode" in message.text:
            raise RuntimeError("enricher crashed")
        return Enrichment(
            sentiment=-0.5 if "angry" in message.text else 0.25,
            language="en",
            topics=("order",) if "order" in message.text else (),
            topic_scores={"order": 0.5},
            tags=("vip",) if (message.author.followers or 0) > 1000 else (),
        )

    @hookimpl
    def careline_route(self, conversation, message):
        if message.text.startswith("RT"):
            return RoutingDecision(ignore_reason="retweet", rule="retweets")
        if "refund" in message.text:
            return RoutingDecision(queue="billing", priority=Priority.HIGH, tags=("money",))
        return None

    @hookimpl
    def careline_escalate_on_message(self, conversation, message):
        requests = []
        if "lawyer" in message.text:
            requests.append(
                EscalationRequest("legal", "legal threat", "legal", raise_priority=Priority.URGENT)
            )
        if conversation.previous_conversations >= 2:
            requests.append(EscalationRequest("leads", "repeat", "repeat", reassign_queue="leads"))
        if "heads-up" in message.text:  # notifies the assignee, leaves the status alone
            requests.append(EscalationRequest("assignee", "heads-up", "heads_up"))
        return requests

    @hookimpl
    def careline_escalate_on_status(self, conversation, old_status, new_status):
        return [EscalationRequest("supervisor", f"{old_status} → {new_status}", "reopened")]

    @hookimpl
    def careline_assign(self, conversation, candidates):
        free = [agent for agent in candidates if agent.open_conversations < 2]
        return min(free, key=lambda a: (a.open_conversations, a.id)).id if free else None


TEXTS = [
    "my order never arrived",
    "angry about the refund",
    "my lawyer will call",
    "RT @brand nice",
    "please explode",
    "thanks",
    "heads-up: order late",
]


@st.composite
def raw_events(draw: st.DrawFn) -> list[bytes]:
    """Deliveries of customer messages, echoes, edits, deletes, repeats and bad bodies."""
    bodies: list[bytes] = []
    seen: list[dict[str, Any]] = []
    minutes = 0
    for n in range(draw(st.integers(1, 14))):
        items = []
        for k in range(draw(st.sampled_from([1, 1, 2, 3]))):
            minutes += draw(st.sampled_from([0, 1, 30, 600]))
            at = T0 + timedelta(minutes=minutes)
            kind = draw(
                st.sampled_from(["in", "in", "in", "dm", "echo", "edit", "delete", "again"])
            )
            if kind in ("edit", "delete", "again") and seen:
                earlier = draw(st.sampled_from(seen))
                if kind == "again":
                    items.append(earlier)
                else:
                    text = draw(st.sampled_from(TEXTS))
                    items.append(
                        {**earlier, "kind": kind, "text": text, "created_at": at.isoformat()}
                    )
                continue
            author = f"u{draw(st.integers(0, 3))}"
            item = message(
                f"m{n}-{k}",
                author=author,
                thread=f"t{draw(st.integers(0, 2))}",
                at=at,
                text=draw(st.sampled_from(TEXTS)),
                visibility="private" if kind == "dm" else "public",
            )
            item["author"]["followers"] = draw(st.sampled_from([10, 5000]))
            if kind == "echo":
                item.update(direction="out", author={"id": "brand", "handle": "@brand"})
            else:
                seen.append(item)
            items.append(item)
        if draw(st.integers(0, 12)) == 0:
            bodies.append(json.dumps({"messages": [{"id": f"bad{n}"}]}).encode())
        else:
            bodies.append(json.dumps({"messages": items, "n": n}).encode())
    return bodies


def _ranks(connection: sa.Connection, table: sa.Table) -> dict[int, int]:
    ids = connection.execute(sa.select(table.c.id).order_by(table.c.id)).scalars()
    return {found: rank for rank, found in enumerate(ids)}


def snapshot(runtime: Runtime) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the pipeline writes, with ids replaced by their rank (PostgreSQL sequences
    may skip numbers)."""
    tables = {
        model.__name__: model.__table__
        for model in (
            Contact,
            Identity,
            Conversation,
            Message,
            MessageRevision,
            Event,
            Escalation,
            Notice,
            RawEvent,
        )
    }
    references = {
        "contact_id": "Contact",
        "merged_into_id": "Contact",
        "conversation_id": "Conversation",
        "message_id": "Message",
        "raw_event_id": "RawEvent",
    }
    with runtime.db.engine.connect() as connection:
        ranks = {name: _ranks(connection, table) for name, table in tables.items()}
        result = {}
        for name, table in tables.items():
            rows = []
            for row in connection.execute(sa.select(table).order_by(table.c.id)):
                values = dict(row._mapping)
                if name == "Notice":  # the texts name the conversation by id
                    stored, rank = (
                        values["conversation_id"],
                        ranks["Conversation"][values["conversation_id"]],
                    )
                    values["body"] = values["body"].replace(f"#{stored} ", f"#r{rank} ")
                    url = values["payload"]["url"].replace(
                        f"/conversations/{stored}", f"/conversations/r{rank}"
                    )
                    values["payload"] = {**values["payload"], "url": url}
                values["id"] = ranks[name][values["id"]]
                for column, target in references.items():
                    if values.get(column) is not None:
                        values[column] = ranks[target][values[column]]
                if name == "Event" and "escalation_id" in values["data"]:
                    data = dict(values["data"])
                    data["escalation_id"] = ranks["Escalation"][data["escalation_id"]]
                    values["data"] = data
                if name == "Notice":
                    data = dict(values["payload"]["data"])
                    data["escalation_id"] = ranks["Escalation"][data["escalation_id"]]
                    values["payload"] = {**values["payload"], "data": data}
                rows.append(tuple(sorted((k, repr(v)) for k, v in values.items())))
            result[name] = rows
    return result


def run(runtime: Runtime, bodies: list[bytes], sizes: list[int]) -> dict[str, Any]:
    reset_database(runtime.db.engine)
    agents.add_agent(runtime, "Ann Agent")
    agents.add_agent(runtime, "Bob Agent")
    for body in bodies:
        deliver(runtime, "testchannel", body)
    rounds = 0
    while pipeline.process_pending(
        runtime, batch_size=sizes[rounds % len(sizes)], max_batches=1
    ).raw_events:
        rounds += 1
    return snapshot(runtime)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bodies=raw_events(), sizes=st.lists(st.integers(2, 8), min_size=1, max_size=5))
def test_batches_of_any_size_equal_one_at_a_time(careline_runtime, bodies, sizes) -> None:
    """One at a time, escalations are opened by the escalation service itself: the batch's own
    way of opening them must not drift from it."""
    runtime = careline_runtime(Rules())
    with patch.object(BatchRun, "escalate_in_batch", False):
        alone = run(runtime, bodies, [1])
    assert run(runtime, bodies, sizes) == alone
    assert alone["RawEvent"]  # every body was stored and processed


def test_a_heads_up_escalation_leaves_the_status_alone_in_a_batch_too(careline_runtime) -> None:
    runtime = careline_runtime(Rules())
    bodies = [
        delivery(message(f"m{n}", author=f"u{n}", text="heads-up: order late")) for n in range(3)
    ]
    with patch.object(BatchRun, "escalate_in_batch", False):
        alone = run(runtime, bodies, [1])
    assert run(runtime, bodies, [3]) == alone
    with runtime.db.session() as session:
        statuses = {c.status for c in session.exec(select(Conversation))}
    assert ConversationStatus.ESCALATED not in statuses


class Interloper:
    """Plays another worker: while the batch threads its first message, it commits the identity
    (and contact) of that message's author in its own transaction."""

    def __init__(self, url: str) -> None:
        self.engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
        self.done = False

    @hookimpl
    def careline_enrich_message(self, message):
        if self.done:
            return None
        self.done = True
        contacts, identities = Contact.__table__, Identity.__table__
        with self.engine.begin() as connection:
            contact_id = connection.execute(
                contacts.insert()
                .values(name="by the other worker", attributes={}, created_at=T0)
                .returning(contacts.c.id)
            ).scalar_one()
            connection.execute(
                identities.insert().values(
                    contact_id=contact_id,
                    channel=message.channel,
                    external_id=message.author.external_id,
                    verified=False,
                )
            )
        return None


def test_a_conflicting_worker_costs_a_retry_not_a_message(
    careline_runtime, careline_database_url
) -> None:
    if not careline_database_url.startswith("postgresql"):
        pytest.skip("another worker writing meanwhile needs PostgreSQL")
    interloper = Interloper(careline_database_url)
    runtime = careline_runtime(interloper)
    for n in range(3):
        deliver(runtime, "testchannel", delivery(message(f"m{n}", author="u9", thread=f"t{n}")))
    stats = pipeline.process_pending(runtime)
    interloper.engine.dispose()
    assert (stats.raw_events, stats.messages, stats.failed) == (3, 3, 0)
    with runtime.db.session() as session:
        contacts = session.exec(select(Contact)).all()
        assert [c.name for c in contacts] == ["by the other worker"]
        assert len(session.exec(select(Identity)).all()) == 1
        conversations = session.exec(select(Conversation)).all()
        assert {c.contact_id for c in conversations} == {contacts[0].id}


def test_lookups_bind_their_values_as_one_parameter(careline_runtime) -> None:
    """A batch's lookups bind their values as one parameter, so their text is the same whatever
    the batch's size. On PostgreSQL an array (``= ANY``): psycopg prepares a statement from its
    fifth run, and the generic plan of ``IN ($1, …, $500)`` compared every row of the channel
    with the whole list — each batch got slower as the tables grew. On SQLite a JSON array
    (``json_each``): writing out ``IN (?, …, ?)`` for every run cost more than the lookups."""
    runtime = careline_runtime()
    statements: dict[str, list[int]] = {}

    def seen(_conn, _cursor, statement, parameters, _context, _many) -> None:
        if statement.lstrip().startswith("SELECT") and "FOR UPDATE" not in statement:
            statements.setdefault(statement, []).append(len(parameters or ()))

    for n in range(12):
        deliver(runtime, "testchannel", delivery(message(f"m{n}", author=f"u{n}", thread="t")))
    sa.event.listen(runtime.db.engine, "before_cursor_execute", seen)
    try:
        pipeline.process_pending(runtime, batch_size=3, max_batches=1)
        pipeline.process_pending(runtime, batch_size=9)
    finally:
        sa.event.remove(runtime.db.engine, "before_cursor_execute", seen)
    lookups = {sql: sizes for sql, sizes in statements.items() if "message.external_id" in sql}
    assert len(lookups) == 1, list(lookups)
    assert all(len(set(sizes)) == 1 and max(sizes) <= 3 for sizes in statements.values())


class TickingClock(FrozenClock):
    """A clock that moves a second each time it is read."""

    def now(self) -> datetime:
        return self.advance(seconds=1)


def test_a_batch_happens_at_one_time(careline_runtime) -> None:
    """A batch reads the clock once: its messages are received, its contacts created and its
    raw events processed at that time, however often the steps between would have read it."""
    runtime = careline_runtime(Rules())
    agents.add_agent(runtime, "Ann Agent")
    agents.add_agent(runtime, "Bob Agent")
    runtime.settings.clock = TickingClock(T0)
    for n in range(4):
        deliver(runtime, "testchannel", delivery(message(f"m{n}", author=f"u{n}", thread=f"t{n}")))
    delivered = runtime.settings.clock.now()
    pipeline.process_pending(runtime, batch_size=2)
    with runtime.db.session() as session:
        messages = session.exec(select(Message)).all()
        received = {m.conversation_id: m.received_at for m in messages}
        created = {c.created_at for c in session.exec(select(Contact))}
        assigned = {c.id: c.assigned_at for c in session.exec(select(Conversation))}
        processed = [r.processed_at for r in session.exec(select(RawEvent).order_by(RawEvent.id))]
    assert len(messages) == 4
    batches = sorted(set(received.values()))
    assert len(batches) == 2 and batches[0] > delivered
    assert created == set(batches)
    assert assigned == received
    assert processed == [batches[0], batches[0], batches[1], batches[1]]
