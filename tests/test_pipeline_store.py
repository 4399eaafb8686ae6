"""A batch writes back what it changed of the rows it read: the database then holds the rows as
the batch left them, however often it changed and flushed them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from careline import pipeline
from careline.pipeline_store import (
    CONVERSATION,
    CONVERSATION_CHANGES,
    IDENTITY,
    IDENTITY_CHANGES,
    BatchStore,
    ConversationRow,
    Wanted,
)
from careline.testing.channel import delivery, message
from careline.testing.databases import reset_database
from careline.testing.flow import deliver
from careline.types import ConversationStatus, Priority, Source, Visibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TIMES = st.none() | st.integers(0, 10**6).map(lambda s: T0 + timedelta(seconds=s, microseconds=s))
TEXTS = st.none() | st.sampled_from(["general", "billing", "é ✓", ""])
WORDS = st.lists(st.sampled_from(["a", "b", "c"]), max_size=3)

CONVERSATION_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "channel": st.sampled_from(["testchannel", "other"]),
    "account": st.sampled_from(["brand", "brand2"]),
    "thread_key": st.sampled_from(["t1", "t2", "dm:u1"]),
    "participant_id": TEXTS,
    "visibility": st.sampled_from(Visibility),
    "source": st.sampled_from(Source),
    "status": st.sampled_from(ConversationStatus),
    "priority": st.sampled_from(Priority),
    "queue": TEXTS,
    "language": TEXTS,
    "sentiment": st.none() | st.floats(-1, 1),
    "topic": TEXTS,
    "topic_score": st.none() | st.floats(0, 1),
    "tags": WORDS,
    "ignore_reason": TEXTS,
    "suggest_private": st.booleans(),
    "created_at": TIMES.filter(lambda at: at is not None),
    "updated_at": TIMES.filter(lambda at: at is not None),
    "sla_warned": WORDS,
    **{
        name: TIMES
        for name in (
            "last_inbound_at",
            "last_outbound_at",
            "awaiting_reply_since",
            "first_response_at",
            "first_response_due",
            "next_response_due",
            "resolution_due",
            "resolved_at",
            "reopened_at",
            "assigned_at",
        )
    },
}
"""New values for every column a batch may change but the references (other rows' ids)."""

IDENTITY_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "handle": TEXTS,
    "display_name": TEXTS,
    "followers": st.none() | st.integers(0, 10**9),
    "verified": st.booleans(),
    "updated_at": TIMES,
    "external_id": st.sampled_from(["u1", "u1-renamed"]),
}


@st.composite
def changes(draw: st.DrawFn, values: dict[str, st.SearchStrategy[Any]]) -> list[dict[str, Any]]:
    """Rounds of changes, each flushed: new values, and lists changed in place."""
    rounds = []
    for _ in range(draw(st.integers(1, 3))):
        names = draw(st.lists(st.sampled_from(sorted(values)), unique=True, max_size=6))
        rounds.append({name: draw(values[name]) for name in names})
    return rounds


def _stored(connection: sa.Connection, table: sa.Table, row_id: int, names: tuple) -> tuple:
    query = sa.select(*(table.c[n] for n in names)).where(table.c.id == row_id)
    return tuple(connection.execute(query).one())


def _change(row: Any, round_: dict[str, Any], in_place: bool) -> None:
    for name, value in round_.items():
        if isinstance(value, list) and in_place:
            getattr(row, name)[:] = value
        else:
            setattr(row, name, value)


def _read(store: BatchStore, threads: list[str], authors: list[str]) -> None:
    wanted = Wanted()
    wanted.threads[("testchannel", "brand")].update(threads)
    wanted.authors["testchannel"].update(authors)
    store.prefetch(wanted)


@given(
    rounds=st.lists(changes(CONVERSATION_VALUES), min_size=3, max_size=3),
    identity_rounds=changes(IDENTITY_VALUES),
)
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_database_holds_the_rows_as_the_batch_left_them(
    careline_runtime, rounds, identity_rounds
) -> None:
    """Two stored conversations and one the batch opens (written at the first flush), each
    changed in its own rounds — new values, lists changed in place — with a flush after each
    round; and an identity likewise."""
    runtime = careline_runtime()
    reset_database(runtime.db.engine)
    for n in (1, 2):
        deliver(runtime, "testchannel", delivery(message(f"m{n}", author="u1", thread=f"t{n}")))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        store = BatchStore(session)
        _read(store, ["t1", "t2"], ["u1"])
        stored = [store.latest_conversation("testchannel", "brand", key) for key in ("t1", "t2")]
        identity = store.identity("testchannel", "u1")
        assert stored[0] is not None and stored[1] is not None and identity is not None
        opened = store.add_conversation(
            ConversationRow.opened(
                channel="testchannel",
                account="brand",
                thread_key="t3",
                visibility=Visibility.PUBLIC,
                contact_id=identity.contact_id,
                created_at=T0,
                updated_at=T0,
            )
        )
        conversations = [stored[0], stored[1], opened]
        for n in range(max(map(len, [*rounds, identity_rounds]))):
            for conversation, its_rounds in zip(conversations, rounds, strict=True):
                if n < len(its_rounds):
                    _change(conversation, its_rounds[n], in_place=n % 2 == 1)
                    store.conversation_changed(conversation)
            if n < len(identity_rounds):
                _change(identity, identity_rounds[n], in_place=False)
                store.identity_changed(identity)
            store.flush()
        expected = {
            c.id: tuple(getattr(c, name) for name in CONVERSATION_CHANGES) for c in conversations
        }
        expected_identity = tuple(getattr(identity, name) for name in IDENTITY_CHANGES)
    with runtime.db.engine.connect() as connection:
        for conversation_id, values in expected.items():
            assert (
                _stored(connection, CONVERSATION, conversation_id, CONVERSATION_CHANGES) == values
            )
        assert _stored(connection, IDENTITY, identity.id, IDENTITY_CHANGES) == expected_identity


def test_an_update_sets_what_changed_on_sqlite_and_every_column_on_postgresql(
    careline_runtime, careline_database_url
) -> None:
    """On SQLite an ``UPDATE`` sets only the columns a row changed (SQLite rewrites every index
    on a column it sets); on PostgreSQL, which compares values itself, one ``UPDATE`` in id order
    sets every column, so that workers lock rows in the same order."""
    runtime = careline_runtime()
    for n in (1, 2):
        deliver(runtime, "testchannel", delivery(message(f"m{n}", author=f"u{n}", thread=f"t{n}")))
    pipeline.process_pending(runtime)
    updates: list[tuple[str, int]] = []

    def seen(_conn, _cursor, statement, parameters, _context, many) -> None:
        if statement.startswith("UPDATE conversation"):
            updates.append((statement, len(parameters) if many else 1))

    with runtime.db.session() as session:
        store = BatchStore(session)
        _read(store, ["t1", "t2"], [])
        first = store.latest_conversation("testchannel", "brand", "t1")
        second = store.latest_conversation("testchannel", "brand", "t2")
        assert first is not None and second is not None
        first.queue = "billing"
        second.status = ConversationStatus.PENDING
        second.tags[:] = ["vip"]  # changed in place
        for conversation in (first, second):
            store.conversation_changed(conversation)
        sa.event.listen(runtime.db.engine, "before_cursor_execute", seen)
        try:
            store.flush()
        finally:
            sa.event.remove(runtime.db.engine, "before_cursor_execute", seen)
    set_clauses = [statement.split(" SET ")[1].split(" WHERE ")[0] for statement, _ in updates]
    if careline_database_url.startswith("sqlite"):
        assert sorted(set_clauses) == ["queue=?", "status=?, tags=?"]
    else:
        assert len(updates) == 1 and updates[0][1] == 2
        assert set_clauses[0].count("=") == len(CONVERSATION_CHANGES)
