"""The X channel inside careline's real worker and pipeline, on SQLite and PostgreSQL.

Polls and webhook deliveries from the emulator are stored as raw events and processed by the
core, so these tests check what a user sees: one message per post whichever way it came,
threads by conversation, the brand's replies from X's own app recorded as answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from careline.clock import FrozenClock
from careline.models import ChannelCursor, Conversation, Message
from careline.pipeline import process_pending
from careline.testing.flow import deliver
from careline.worker import poll_channels
from careline_twitter.emulator import EmulatorState, create_emulator, serve_in_thread
from sqlmodel import select

CONFIG_PREFIX = "X_PIPELINE"


@pytest.fixture
def x(
    careline_clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[EmulatorState, dict[str, Any]]]:
    state = EmulatorState(clock=careline_clock)
    state.add_brand("acmecare", "Acme Care")
    state.add_customer("priya_s", "Priya S.", followers=1432)
    with serve_in_thread(create_emulator(state)) as url:
        for name, value in state.environment(CONFIG_PREFIX).items():
            monkeypatch.setenv(name, value)
        yield (
            state,
            {
                "twitter": state.channel_config(
                    url, env_prefix=CONFIG_PREFIX, searches=[{"query": "acme -from:acmecare"}]
                )
            },
        )


def _messages(runtime: Any) -> list[Message]:
    with runtime.db.session() as session:
        return list(session.exec(select(Message).order_by(Message.id)).all())


def _conversations(runtime: Any) -> list[Conversation]:
    with runtime.db.session() as session:
        return list(session.exec(select(Conversation).order_by(Conversation.id)).all())


def test_polled_mentions_become_threaded_customer_messages(
    x: tuple[EmulatorState, dict[str, Any]], careline_runtime: Any, careline_clock: FrozenClock
) -> None:
    state, config = x
    runtime = careline_runtime("careline-twitter", config=config)
    first = state.customer_posts("priya_s", "@acmecare my router keeps dropping the connection")
    assert poll_channels(runtime).errors == []
    process_pending(runtime)
    careline_clock.advance(minutes=3)
    follow_up = state.customer_posts(
        "priya_s", "@acmecare it happened again just now", in_reply_to=first.id
    )
    stats = poll_channels(runtime)
    process_pending(runtime)
    messages = _messages(runtime)
    assert [m.external_id for m in messages] == [first.id, follow_up.id]
    [conversation] = _conversations(runtime)
    assert conversation.thread_key == first.id
    assert stats.stored >= 1
    with runtime.db.session() as session:
        cursors = {c.source: c.cursor for c in session.exec(select(ChannelCursor)).all()}
    assert cursors[f"mentions:{state.user('acmecare').id}"] == follow_up.id
    assert poll_channels(runtime).stored == 0  # nothing new: nothing stored


def test_a_post_arriving_by_webhook_and_by_poll_is_stored_once(
    x: tuple[EmulatorState, dict[str, Any]], careline_runtime: Any
) -> None:
    state, config = x
    runtime = careline_runtime("careline-twitter", config=config)
    post = state.customer_posts("priya_s", "@acmecare acme charged me twice for order 4471")
    deliver(runtime, "twitter", state.deliveries[-1].body)
    deliver(runtime, "twitter", state.deliveries[-1].body)
    poll_channels(runtime)  # the same post also comes from mentions and from the search
    process_pending(runtime)
    assert [m.external_id for m in _messages(runtime)] == [post.id]


def test_a_reply_sent_from_x_itself_counts_as_the_brands_answer(
    x: tuple[EmulatorState, dict[str, Any]], careline_runtime: Any, careline_clock: FrozenClock
) -> None:
    state, config = x
    runtime = careline_runtime("careline-twitter", config=config)
    mention = state.customer_posts("priya_s", "@acmecare no hot water since Monday")
    poll_channels(runtime)
    process_pending(runtime)
    careline_clock.advance(minutes=10)
    reply = state.create_post(
        state.user("acmecare").id,
        "@priya_s Sorry Priya! An engineer will call you today.",
        in_reply_to=mention.id,
    )
    poll_channels(runtime)
    process_pending(runtime)
    stored = {m.external_id: m for m in _messages(runtime)}
    assert stored[reply.id].direction == "out"
    assert stored[reply.id].conversation_id == stored[mention.id].conversation_id
    [conversation] = _conversations(runtime)
    assert conversation.first_response_at is not None


def test_dms_and_their_echoes_share_one_private_conversation(
    x: tuple[EmulatorState, dict[str, Any]], careline_runtime: Any
) -> None:
    state, config = x
    runtime = careline_runtime("careline-twitter", config=config)
    question = state.customer_sends_dm("priya_s", "acmecare", "Can you change my delivery address?")
    answer = state.create_dm(
        state.user("acmecare").id, state.user("priya_s").id, "Yes, what is the new one?"
    )
    for delivery in state.deliveries:
        deliver(runtime, "twitter", delivery.body)
    poll_channels(runtime)
    process_pending(runtime)
    messages = _messages(runtime)
    assert [(m.external_id, m.direction) for m in messages] == [
        (question.id, "in"),
        (answer.id, "out"),
    ]
    [conversation] = _conversations(runtime)
    assert conversation.visibility == "private"
    assert conversation.participant_id == state.user("priya_s").id


def test_webhook_only_the_brands_reply_from_x_joins_the_customers_conversation(
    x: tuple[EmulatorState, dict[str, Any]], careline_runtime: Any, careline_clock: FrozenClock
) -> None:
    state, config = x
    runtime = careline_runtime("careline-twitter", config=config)
    mention = state.customer_posts("priya_s", "@acmecare the app crashes when I pay")
    careline_clock.advance(minutes=4)
    reply = state.create_post(
        state.user("acmecare").id, "@priya_s Which phone do you use?", in_reply_to=mention.id
    )
    for delivery in state.deliveries:
        deliver(runtime, "twitter", delivery.body)
    process_pending(runtime)
    stored = {m.external_id: m for m in _messages(runtime)}
    assert stored[reply.id].direction == "out"
    assert stored[reply.id].conversation_id == stored[mention.id].conversation_id


def test_an_edited_mention_updates_the_stored_message(
    x: tuple[EmulatorState, dict[str, Any]], careline_runtime: Any
) -> None:
    state, config = x
    runtime = careline_runtime("careline-twitter", config=config)
    mention = state.customer_posts("priya_s", "@acmecare order 4417 is missing")
    poll_channels(runtime)
    process_pending(runtime)
    edited = state.edit_post(mention.id, "@acmecare order 4471 is missing (sorry, typo)")
    deliver(runtime, "twitter", state.deliveries[-1].body)
    poll_channels(runtime)
    process_pending(runtime)
    [message] = _messages(runtime)
    assert message.external_id == mention.id
    assert message.text == edited.text
    assert message.edited_at is not None
