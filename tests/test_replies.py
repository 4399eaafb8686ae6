"""Replies: guideline findings, the send policy, the outbox — sent at most once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from careline import events, hookimpl, outbox, pipeline
from careline.channels import SendError
from careline.models import Conversation, Event, Message, OutboxItem
from careline.services import agents, replies
from careline.testing.channel import delivery
from careline.testing.channel import message as item
from careline.testing.databases import reset_database
from careline.testing.flow import deliver
from careline.types import Finding, Role, Severity, Visibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select


def receive(runtime, body):
    return deliver(runtime, "testchannel", body)


def conversation_with_message(runtime, *, visibility: str = "public") -> int:
    receive(runtime, delivery(item("m1", visibility=visibility)))
    pipeline.process_pending(runtime)
    with runtime.db.session() as session:
        return session.exec(select(Conversation)).one().id


class Guidelines:
    """A tiny guideline plugin for these tests: words in the draft decide the finding."""

    @hookimpl
    def careline_check_reply(self, draft):
        if "forbidden" in draft.text:
            return [Finding("banned", Severity.BLOCK, "do not say forbidden", (0, 9))]
        if "refund" in draft.text:
            return [Finding("legal", Severity.APPROVAL, "refund promises need approval")]
        return []


def test_reply_is_sent_once_and_recorded(careline_runtime, test_platform) -> None:
    runtime = careline_runtime(Guidelines())
    conversation_id = conversation_with_message(runtime)
    agent = agents.add_agent(runtime, "Jo Smith")
    outcome = replies.reply(runtime, conversation_id, "Sorry to hear that ^JS", agent_id=agent.id)
    assert outcome.status == replies.SENT
    assert [m.text for m in test_platform.sent] == ["Sorry to hear that ^JS"]
    assert test_platform.sent[0].in_reply_to == "m1"
    assert test_platform.sent[0].visibility is Visibility.PUBLIC
    with runtime.db.session() as session:
        message = session.get(Message, outcome.message_id)
        assert message.external_id == "out-1"
        assert message.delivery_state == "sent"
        conversation = session.get(Conversation, conversation_id)
        assert conversation.first_response_at is not None
        replied = session.exec(select(Event).where(Event.type == events.REPLIED)).one()
        assert replied.agent_id == agent.id
        assert replied.data == {"visibility": "public", "automated": False, "via": "careline"}
    assert outbox.drain(runtime).sent == 0


def test_blocking_finding_stops_the_reply(careline_runtime, test_platform) -> None:
    runtime = careline_runtime(Guidelines())
    conversation_id = conversation_with_message(runtime)
    outcome = replies.reply(runtime, conversation_id, "forbidden words", agent_id=None)
    assert outcome.status == replies.BLOCKED
    assert outcome.findings[0].rule == "banned"
    assert test_platform.sent == []
    with runtime.db.session() as session:
        assert session.exec(select(OutboxItem)).all() == []


def test_approval_finding_parks_the_reply_for_a_supervisor(careline_runtime, test_platform) -> None:
    runtime = careline_runtime(Guidelines())
    conversation_id = conversation_with_message(runtime)
    agent = agents.add_agent(runtime, "Ann Agent")
    boss = agents.add_agent(runtime, "Sue Visor", role=Role.SUPERVISOR)
    outcome = replies.reply(runtime, conversation_id, "We refund you", agent_id=agent.id)
    assert outcome.status == replies.HELD
    assert test_platform.sent == []
    assert [i.id for i in replies.pending_approvals(runtime)] == [outcome.outbox_id]
    with pytest.raises(replies.PermissionDenied):
        replies.review(runtime, outcome.outbox_id, supervisor_id=agent.id, approve=True)
    approved = replies.review(runtime, outcome.outbox_id, supervisor_id=boss.id, approve=True)
    assert approved.status == replies.SENT
    assert [m.text for m in test_platform.sent] == ["We refund you"]
    second = replies.reply(runtime, conversation_id, "Another refund", agent_id=agent.id)
    rejected = replies.review(
        runtime, second.outbox_id, supervisor_id=boss.id, approve=False, comment="no promises"
    )
    assert rejected.status == "rejected"
    assert len(test_platform.sent) == 1


def test_private_message_outside_the_window_is_refused_before_sending(
    careline_runtime, careline_clock, test_platform
) -> None:
    runtime = careline_runtime()
    conversation_id = conversation_with_message(runtime, visibility="private")
    careline_clock.advance(hours=30)
    tagged = replies.reply(runtime, conversation_id, "Human here", agent_id=None)
    assert tagged.status == replies.SENT
    assert test_platform.sent[-1].tag == "HUMAN_AGENT"
    bot = agents.add_agent(runtime, "Auto Bot", is_bot=True)
    refused = replies.reply(runtime, conversation_id, "Automated hello", agent_id=bot.id)
    assert refused.status == replies.REFUSED
    assert "human-written" in refused.reason
    careline_clock.advance(days=7)
    late = replies.reply(runtime, conversation_id, "Still there?", agent_id=None)
    assert late.status == replies.REFUSED
    assert "window closed" in late.reason
    assert len(test_platform.sent) == 1


def test_transient_errors_are_retried_with_backoff(
    careline_runtime, careline_clock, test_platform
) -> None:
    runtime = careline_runtime()
    conversation_id = conversation_with_message(runtime)
    test_platform.fail_next(SendError("429 too many", transient=True, retry_after=60), times=2)
    outcome = replies.reply(runtime, conversation_id, "Hello there", agent_id=None)
    assert outcome.status == replies.QUEUED
    assert outbox.drain(runtime).sent == 0  # not due yet
    careline_clock.advance(seconds=61)
    assert outbox.drain(runtime).retried == 1
    careline_clock.advance(seconds=61)
    assert outbox.drain(runtime).sent == 1
    assert [m.text for m in test_platform.sent] == ["Hello there"]


def test_definitive_errors_are_not_retried_and_shown(careline_runtime, test_platform) -> None:
    runtime = careline_runtime()
    conversation_id = conversation_with_message(runtime)
    test_platform.fail_next(SendError("duplicate content", transient=False))
    outcome = replies.reply(runtime, conversation_id, "Hello", agent_id=None)
    assert outcome.status == replies.FAILED
    assert "duplicate content" in outcome.reason
    with runtime.db.session() as session:
        message = session.get(Message, outcome.message_id)
        assert message.delivery_state == "failed"
        assert session.exec(select(Event).where(Event.type == events.REPLY_FAILED)).one()


def test_needs_reconnect_marks_the_channel(careline_runtime, test_platform) -> None:
    from careline.models import ChannelHealth

    runtime = careline_runtime()
    conversation_id = conversation_with_message(runtime)
    test_platform.fail_next(SendError("token expired", transient=False, needs_reconnect=True))
    replies.reply(runtime, conversation_id, "Hello", agent_id=None)
    with runtime.db.session() as session:
        health = session.exec(select(ChannelHealth)).one()
        assert health.state == "needs_reconnect"


def test_interrupted_send_is_never_repeated(
    careline_runtime, careline_clock, test_platform
) -> None:
    runtime = careline_runtime()
    conversation_id = conversation_with_message(runtime)
    runtime.settings.data["outbox"] = {"send_inline": False}
    runtime.settings._state.clear()
    outcome = replies.reply(runtime, conversation_id, "Hello", agent_id=None)
    with runtime.db.session() as session:
        outbox.claim_due(runtime, session, 10)  # a worker claims it, then dies
    careline_clock.advance(minutes=10)
    assert outbox.recover_interrupted(runtime) == 1
    assert outbox.drain(runtime).sent == 0
    assert test_platform.sent == []
    with runtime.db.session() as session:
        assert "interrupted" in session.get(Message, outcome.message_id).delivery_error


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    failures=st.lists(st.sampled_from(["transient", "definitive", "crash"]), max_size=5),
    drains=st.integers(1, 8),
)
def test_a_reply_is_sent_at_most_once_whatever_fails(
    careline_runtime, careline_clock, test_platform, failures, drains
) -> None:
    runtime = careline_runtime()
    reset_database(runtime.db.engine)
    test_platform.sent.clear()
    test_platform.failures.clear()
    conversation_id = conversation_with_message(runtime)
    for failure in failures:
        if failure == "crash":
            test_platform.fail_next(SendError("boom", transient=True))
        else:
            test_platform.fail_next(SendError(failure, transient=failure == "transient"))
    replies.reply(runtime, conversation_id, "Only once", agent_id=None)
    for _ in range(drains):
        careline_clock.advance(timedelta(hours=1))
        outbox.recover_interrupted(runtime)
        outbox.drain(runtime)
    assert len(test_platform.sent) <= 1
    with runtime.db.session() as session:
        replied = session.exec(select(Event).where(Event.type == events.REPLIED)).all()
        assert len(replied) == len(test_platform.sent)
