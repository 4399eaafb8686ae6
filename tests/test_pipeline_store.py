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


def _stored(connection: sa.Connection, table: sa.Table, names: tuple[str, ...]) -> tuple:
    return tuple(connection.execute(sa.select(*(table.c[n] for n in names))).one())


@given(conversation_rounds=changes(CONVERSATION_VALUES), identity_rounds=changes(IDENTITY_VALUES))
@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_database_holds_the_rows_as_the_batch_left_them(
    careline_runtime, conversation_rounds, identity_rounds
) -> None:
    runtime = careline_runtime()
    reset_database(runtime.db.engine)
    deliver(runtime, "testchannel", delivery(message("m1", author="u1", thread="t1")))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        store = BatchStore(session)
        wanted = Wanted()
        wanted.threads[("testchannel", "brand")].add("t1")
        wanted.authors["testchannel"].add("u1")
        store.prefetch(wanted)
        conversation = store.latest_conversation("testchannel", "brand", "t1")
        identity = store.identity("testchannel", "u1")
        assert conversation is not None and identity is not None
        for n in range(max(len(conversation_rounds), len(identity_rounds))):
            for name, value in (conversation_rounds[n : n + 1] or [{}])[0].items():
                if isinstance(value, list) and n % 2:
                    getattr(conversation, name)[:] = value  # in place
                else:
                    setattr(conversation, name, value)
            for name, value in (identity_rounds[n : n + 1] or [{}])[0].items():
                setattr(identity, name, value)
            store.conversation_changed(conversation)
            store.identity_changed(identity)
            store.flush()
        expected_conversation = tuple(getattr(conversation, n) for n in CONVERSATION_CHANGES)
        expected_identity = tuple(getattr(identity, n) for n in IDENTITY_CHANGES)
    with runtime.db.engine.connect() as connection:
        assert _stored(connection, CONVERSATION, CONVERSATION_CHANGES) == expected_conversation
        assert _stored(connection, IDENTITY, IDENTITY_CHANGES) == expected_identity
