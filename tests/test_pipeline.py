"""The inbound pipeline: exactly once, in the right conversation, losing nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from careline import events, pipeline
from careline.models import Contact, Conversation, Event, Message, MessageRevision, RawEvent
from careline.runtime import Runtime
from careline.testing.channel import delivery, message
from careline.testing.databases import reset_database
from careline.testing.flow import deliver
from careline.types import ConversationStatus
from careline.worker import Worker
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, func, select

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def item(message_id: str, *, minutes: int = 0, **extra: Any) -> dict[str, Any]:
    return message(message_id, at=T0 + timedelta(minutes=minutes), **extra)


def receive(runtime: Runtime, body: bytes) -> bool:
    return deliver(runtime, "testchannel", body)


def count(runtime: Runtime, model: Any, *where: Any) -> int:
    with runtime.db.session() as session:
        return int(session.exec(select(func.count()).select_from(model).where(*where)).one())


def test_a_message_opens_a_conversation_with_contact_and_events(careline_runtime) -> None:
    runtime = careline_runtime()
    assert receive(runtime, delivery(item("m1")))
    stats = pipeline.process_pending(runtime)
    assert (stats.raw_events, stats.messages, stats.failed) == (1, 1, 0)
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.status == ConversationStatus.NEW
        assert conversation.queue == pipeline.DEFAULT_QUEUE
        assert conversation.first_response_due is not None
        assert conversation.first_response_due > conversation.created_at
        types = {e.type for e in session.exec(select(Event)).all()}
    assert {events.MESSAGE_RECEIVED, events.CONVERSATION_OPENED, events.ROUTED} <= types
    assert count(runtime, Contact) == 1


def test_repeated_delivery_is_a_no_op(careline_runtime) -> None:
    runtime = careline_runtime()
    body = delivery(item("m1"), item("m2", minutes=1))
    assert receive(runtime, body)
    assert not receive(runtime, body)
    pipeline.process_pending(runtime)
    assert count(runtime, RawEvent) == 1
    assert count(runtime, Message) == 2


def test_same_message_in_different_deliveries_is_stored_once(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(runtime, delivery(item("m1")))
    receive(runtime, delivery(item("m1"), item("m2", minutes=2)))
    stats = pipeline.process_pending(runtime)
    assert stats.duplicates == 1
    assert count(runtime, Message) == 2
    assert count(runtime, Conversation) == 1


def test_direct_messages_thread_per_participant(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(
        runtime,
        delivery(
            item("d1", author="ann", thread=None, visibility="private"),
            item("d2", author="ann", thread=None, visibility="private", minutes=5),
            item("d3", author="bob", thread=None, visibility="private", minutes=6),
        ),
    )
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        keys = sorted(c.thread_key for c in session.exec(select(Conversation)).all())
    assert keys == ["dm:ann", "dm:bob"]


def test_bad_delivery_is_dead_lettered_and_replayable(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(runtime, b'{"messages": [{"id": "x"}]}')
    receive(runtime, delivery(item("m1")))
    stats = pipeline.process_pending(runtime)
    assert (stats.failed, stats.messages) == (1, 1)
    with runtime.db.session() as session:
        failed = session.exec(select(RawEvent).where(RawEvent.status == "failed")).one()
        assert "bad message" in (failed.error or "")
    assert pipeline.replay(runtime, ids=[failed.id]) == 1
    assert pipeline.process_pending(runtime).failed == 1  # still bad, still kept
    assert count(runtime, RawEvent) == 2
    with runtime.db.session() as session:
        tried = {raw.status: raw.attempts for raw in session.exec(select(RawEvent)).all()}
    assert tried == {"failed": 2, "done": 1}


def test_a_plugin_exception_dead_letters_without_stopping(careline_runtime) -> None:
    from careline import hookimpl

    class Exploding:
        @hookimpl
        def careline_enrich_message(self, message):
            if "explode" in message.text:
                raise RuntimeError("enricher crashed")

    runtime = careline_runtime(Exploding())
    receive(runtime, delivery(item("m1", text="please explode")))
    receive(runtime, delivery(item("m2", thread="t2")))
    stats = pipeline.process_pending(runtime)
    assert stats.failed == 1
    assert stats.messages == 1
    assert count(runtime, Message) == 1
    assert count(runtime, Conversation) == 1


def test_resolved_conversation_reopens_within_window_else_new(careline_runtime) -> None:
    from careline.services import conversations

    runtime = careline_runtime()
    receive(runtime, delivery(item("m1")))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        first = session.exec(select(Conversation)).one()
    conversations.resolve(runtime, first.id, agent_id=None)
    receive(runtime, delivery(item("m2", minutes=60)))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        reopened = session.get(Conversation, first.id)
        assert reopened.status == ConversationStatus.OPEN
        assert reopened.reopened_at == T0 + timedelta(minutes=60)
    conversations.resolve(runtime, first.id, agent_id=None)
    runtime.clock.advance(days=30)
    late = (T0 + timedelta(days=30)).isoformat()
    receive(runtime, delivery({**item("m3"), "created_at": late}))
    pipeline.process_pending(runtime)
    assert count(runtime, Conversation) == 2


def test_edits_keep_history_and_deletes_mark(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(runtime, delivery(item("m1", text="my email is ann@example.com")))
    receive(runtime, delivery(item("m1", text="edited text", kind="edit", minutes=1)))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        message = session.exec(select(Message)).one()
        assert message.text == "edited text"
        revision = session.exec(select(MessageRevision)).one()
        assert revision.text == "my email is ann@example.com"
    receive(runtime, delivery(item("m1", kind="delete", minutes=2)))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        message = session.exec(select(Message)).one()
        assert message.deleted_at is not None
        assert message.text == ""


def test_echo_counts_as_reply_not_as_customer_message(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(runtime, delivery(item("m1")))
    receive(
        runtime,
        delivery(item("e1", author="brand", direction="out", minutes=3, text="Sorry! DM us")),
    )
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.first_response_at == T0 + timedelta(minutes=3)
        replied = session.exec(select(Event).where(Event.type == events.REPLIED)).one()
        assert replied.data["via"] == "echo"
        inbound = session.exec(
            select(func.count()).select_from(Message).where(col(Message.direction) == "in")
        ).one()
    assert inbound == 1
    assert count(runtime, Contact) == 1


# --- properties -------------------------------------------------------------------------------
def _snapshot(runtime: Runtime) -> tuple[Any, ...]:
    with runtime.db.session() as session:
        messages = sorted(
            (m.external_id, m.text, m.direction) for m in session.exec(select(Message)).all()
        )
        conversations = sorted(
            (
                c.thread_key,
                tuple(
                    sorted(
                        m.external_id or ""
                        for m in session.exec(
                            select(Message).where(Message.conversation_id == c.id)
                        ).all()
                    )
                ),
            )
            for c in session.exec(select(Conversation)).all()
        )
    return tuple(messages), tuple(conversations)


message_items = st.lists(
    st.builds(
        lambda n, author, thread, minutes: item(
            f"m{n}", author=f"u{author}", thread=f"t{thread}", minutes=minutes
        ),
        st.integers(0, 12),
        st.integers(0, 2),
        st.integers(0, 3),
        st.integers(0, 120),
    ),
    min_size=1,
    max_size=12,
    unique_by=lambda i: i["id"],
)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(items=message_items, data=st.data())
def test_duplicates_and_order_do_not_change_the_outcome(careline_runtime, items, data) -> None:
    runtime = careline_runtime()
    reset_database(runtime.db.engine)
    ordered = sorted(items, key=lambda i: i["created_at"])
    for one in ordered:
        receive(runtime, delivery(one))
    pipeline.process_pending(runtime)
    expected = _snapshot(runtime)

    reset_database(runtime.db.engine)
    shuffled = data.draw(st.permutations(ordered))
    repeats = data.draw(st.lists(st.sampled_from(ordered), max_size=6))
    bundles = [delivery(one) for one in shuffled] + [
        json.dumps({"messages": [one], "repeat": n}).encode() for n, one in enumerate(repeats)
    ]
    for body in bundles:
        receive(runtime, body)
        pipeline.process_pending(runtime, batch_size=data.draw(st.integers(1, 4)))
    assert _snapshot(runtime) == expected


# --- replies filed under the post they answer ---------------------------------------------------
def conversation_of(runtime: Runtime) -> dict[str, int]:
    with runtime.db.session() as session:
        return {m.external_id or "": m.conversation_id for m in session.exec(select(Message))}


def reply_item(message_id: str, parent: str | None, *, minutes: int, out: bool = False) -> Any:
    """A public post the way X's webhook gives it: no thread, only the post it answers."""
    extra: dict[str, Any] = {"in_reply_to": parent} if parent else {}
    if out:
        extra["direction"] = "out"
    return item(
        message_id,
        thread=parent,
        minutes=minutes,
        author="brand" if out else "u1",
        **extra,
    )


def test_a_customer_answering_the_brands_reply_stays_in_the_conversation(careline_runtime):
    runtime = careline_runtime()
    receive(runtime, delivery(reply_item("p1", None, minutes=0)))
    receive(runtime, delivery(reply_item("r1", "p1", minutes=5, out=True)))
    receive(runtime, delivery(reply_item("c1", "r1", minutes=9)))
    pipeline.process_pending(runtime, batch_size=1)
    where = conversation_of(runtime)
    assert where["c1"] == where["r1"] == where["p1"]
    assert count(runtime, Conversation) == 1


def test_a_reply_to_a_reply_sent_from_careline_joins_its_conversation(
    careline_runtime, test_platform
) -> None:
    from careline.services import agents, replies

    runtime = careline_runtime()
    receive(runtime, delivery(reply_item("p1", None, minutes=0)))
    pipeline.process_pending(runtime)
    conversation_id = conversation_of(runtime)["p1"]
    agent = agents.add_agent(runtime, "Jo Smith")
    sent = replies.reply(runtime, conversation_id, "Sorry! DM us ^JS", agent_id=agent.id)
    assert sent.status == replies.SENT
    receive(runtime, delivery(reply_item("c1", "out-1", minutes=9)))
    pipeline.process_pending(runtime)
    assert conversation_of(runtime)["c1"] == conversation_id
    assert count(runtime, Conversation) == 1


def test_a_channel_that_names_the_thread_keeps_it(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(runtime, delivery(item("p1", thread="a")))
    receive(runtime, delivery(item("c1", thread="b", in_reply_to="p1", minutes=1)))
    pipeline.process_pending(runtime)
    where = conversation_of(runtime)
    assert where["c1"] != where["p1"]


def test_a_reply_whose_parent_is_unknown_is_filed_under_the_parent_id(careline_runtime) -> None:
    runtime = careline_runtime()
    receive(runtime, delivery(reply_item("c1", "gone", minutes=0)))
    receive(runtime, delivery(reply_item("c2", "gone", minutes=1)))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        assert [c.thread_key for c in session.exec(select(Conversation))] == ["gone"]


def test_a_reply_to_a_brand_post_careline_did_not_keep_is_filed_alike_in_any_batch(
    careline_runtime,
) -> None:
    # The brand answered a post careline never stored, so its echo is not kept either.
    threads = []
    for size in (1, 10):
        runtime = careline_runtime()
        reset_database(runtime.db.engine)
        receive(runtime, delivery(reply_item("e1", "gone", minutes=0, out=True)))
        receive(runtime, delivery(reply_item("c1", "e1", minutes=5)))
        pipeline.process_pending(runtime, batch_size=size)
        with runtime.db.session() as session:
            threads.append([c.thread_key for c in session.exec(select(Conversation))])
    assert threads == [["e1"], ["e1"]]


def test_a_public_reply_never_joins_a_private_conversation(careline_runtime, test_platform):
    from careline.services import agents, replies
    from careline.types import Visibility

    runtime = careline_runtime()
    receive(runtime, delivery(item("d1", thread=None, visibility="private")))
    pipeline.process_pending(runtime)
    private_id = conversation_of(runtime)["d1"]
    agent = agents.add_agent(runtime, "Jo Smith")
    sent = replies.reply(
        runtime, private_id, "See our post ^JS", agent_id=agent.id, visibility=Visibility.PUBLIC
    )
    assert sent.status == replies.SENT
    receive(runtime, delivery(reply_item("x1", "out-1", minutes=30)))
    pipeline.process_pending(runtime)
    assert conversation_of(runtime)["x1"] != private_id


@st.composite
def reply_trees(draw: st.DrawFn) -> list[tuple[str, str | None, bool]]:
    """Posts in the order they were written: (id, the earlier post answered or None, brand?)."""
    posts: list[tuple[str, str | None, bool]] = []
    for n in range(draw(st.integers(1, 10))):
        parent = draw(
            st.one_of(st.none(), st.sampled_from([p[0] for p in posts])) if posts else st.none()
        )
        posts.append((f"m{n}", parent, draw(st.booleans()) and parent is not None))
    return posts


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(posts=reply_trees(), data=st.data())
def test_every_post_in_a_reply_chain_lands_in_its_roots_conversation(
    careline_runtime, posts, data
) -> None:
    runtime = careline_runtime()
    reset_database(runtime.db.engine)
    root: dict[str, str] = {}
    for minutes, (post_id, parent, brand) in enumerate(posts):
        root[post_id] = root[parent] if parent else post_id
        receive(runtime, delivery(reply_item(post_id, parent, minutes=minutes, out=brand)))
        if data.draw(st.booleans()):
            pipeline.process_pending(runtime, batch_size=data.draw(st.integers(1, 4)))
    pipeline.process_pending(runtime, batch_size=data.draw(st.integers(1, 4)))
    where = conversation_of(runtime)
    for post_id, first in root.items():
        assert where[post_id] == where[first], (post_id, first)
    assert len(set(where.values())) == len(set(root.values()))


@st.composite
def posts_with_brand_roots(draw: st.DrawFn) -> list[tuple[str, str | None, bool]]:
    """Like :func:`reply_trees`, but the brand may also post first (careline keeps no such
    post: nobody asked anything) and answer posts careline never saw."""
    posts: list[tuple[str, str | None, bool]] = []
    for n in range(draw(st.integers(1, 10))):
        earlier = [p[0] for p in posts] + ["unseen"]
        parent = draw(st.one_of(st.none(), st.sampled_from(earlier)))
        posts.append((f"m{n}", parent, draw(st.booleans())))
    return posts


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(posts=posts_with_brand_roots(), sizes=st.lists(st.integers(1, 5), min_size=1, max_size=5))
def test_how_deliveries_are_batched_does_not_change_the_threads(
    careline_runtime, posts, sizes
) -> None:
    runtime = careline_runtime()
    outcomes = []
    for batch_sizes in ([1], sizes):
        reset_database(runtime.db.engine)
        for minutes, (post_id, parent, brand) in enumerate(posts):
            receive(runtime, delivery(reply_item(post_id, parent, minutes=minutes, out=brand)))
        for size in batch_sizes:
            pipeline.process_pending(runtime, batch_size=size, max_batches=1)
        pipeline.process_pending(runtime, batch_size=batch_sizes[-1])
        with runtime.db.session() as session:
            keys = {c.id: c.thread_key for c in session.exec(select(Conversation))}
            outcomes.append(
                sorted(
                    (m.external_id, keys[m.conversation_id]) for m in session.exec(select(Message))
                )
            )
    assert outcomes[0] == outcomes[1]


def test_processing_stops_between_batches_when_asked(careline_runtime) -> None:
    runtime = careline_runtime()
    for n in range(5):
        deliver(runtime, "testchannel", delivery(message(f"m{n}", thread=f"t{n}")))
    asked: list[bool] = []

    def stop() -> bool:
        asked.append(True)
        return len(asked) > 1  # after the first batch

    assert pipeline.process_pending(runtime, batch_size=2, stop=stop).raw_events == 2
    worker = Worker(runtime, poll=False)
    worker.stop()  # a worker shutting down takes no new batch
    assert worker.run_once(force=True)["processed"] == 0
    assert pipeline.process_pending(runtime, batch_size=2).raw_events == 3
