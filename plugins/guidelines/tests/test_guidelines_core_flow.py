"""The plugin inside the core's reply flow: blocked, held for approval, duplicate after sending."""

from __future__ import annotations

from datetime import timedelta

import pytest
from careline.models import Agent, Contact, Conversation, Identity, Message
from careline.services import replies
from careline.types import Direction, Visibility
from sqlmodel import select


@pytest.fixture
def conversation_id(careline_db, careline_settings):
    """Anna's public conversation on the test channel, assigned to Jane (^JS)."""
    now = careline_settings.clock.now()
    with careline_db.session() as session:
        contact = Contact(name="Anna Schmidt", created_at=now)
        session.add(contact)
        session.flush()
        session.add(
            Identity(
                contact_id=contact.id, channel="testchannel", external_id="u1", handle="anna_s"
            )
        )
        session.add(Agent(name="jane", initials="JS"))
        conversation = Conversation(
            channel="testchannel",
            account="brand",
            thread_key="t1",
            visibility=Visibility.PUBLIC,
            contact_id=contact.id,
            created_at=now,
            updated_at=now,
            last_inbound_at=now,
        )
        session.add(conversation)
        session.flush()
        session.add(
            Message(
                conversation_id=conversation.id,
                channel="testchannel",
                account="brand",
                external_id="m1",
                direction=Direction.INBOUND,
                visibility=Visibility.PUBLIC,
                text="my parcel never came",
                created_at=now - timedelta(minutes=3),
                author_external_id="u1",
            )
        )
        return conversation.id


def agent_id(careline_db):
    with careline_db.session() as session:
        return session.exec(select(Agent).where(Agent.name == "jane")).one().id


def test_personal_data_blocks_the_reply(careline_runtime, careline_db, conversation_id):
    runtime = careline_runtime("careline-guidelines", "careline-insights")
    outcome = replies.reply(
        runtime, conversation_id, "Hi Anna, mail jane@acme.com ^JS", agent_id=agent_id(careline_db)
    )
    assert outcome.status == replies.BLOCKED
    assert "e-mail address" in outcome.reason
    assert outcome.outbox_id is None


def test_legal_phrase_holds_the_reply_for_a_supervisor(
    careline_runtime, careline_db, conversation_id
):
    runtime = careline_runtime("careline-guidelines", "careline-insights")
    outcome = replies.reply(
        runtime,
        conversation_id,
        "Hi Anna, this was our fault, sorry. ^JS",
        agent_id=agent_id(careline_db),
    )
    assert outcome.status == replies.HELD
    assert [item.id for item in replies.pending_approvals(runtime)] == [outcome.outbox_id]


def test_a_sent_reply_cannot_be_sent_again_the_same_day(
    careline_runtime, careline_db, conversation_id, test_platform
):
    runtime = careline_runtime("careline-guidelines", "careline-insights")
    text = "Hi Anna, so sorry! Please send us a DM with your order number. ^JS"
    first = replies.reply(runtime, conversation_id, text, agent_id=agent_id(careline_db))
    assert first.status == replies.SENT, first.reason
    assert [m.text for m in test_platform.sent] == [text]
    again = replies.reply(runtime, conversation_id, text, agent_id=agent_id(careline_db))
    assert again.status == replies.BLOCKED
    assert "already sent" in again.reason
    runtime.settings.clock.advance(hours=25)
    assert (
        replies.preview(runtime, conversation_id, text, agent_id=agent_id(careline_db)).status
        != replies.BLOCKED
    )


def test_configuration_from_careline_toml_tables(careline_runtime, careline_db, conversation_id):
    runtime = careline_runtime(
        "careline-guidelines",
        "careline-insights",
        config={
            "guidelines": {
                "rules": {"required_elements": {"require_signature": True, "severity": "block"}}
            }
        },
    )
    outcome = replies.preview(
        runtime, conversation_id, "Hi Anna, on its way.", agent_id=agent_id(careline_db)
    )
    assert outcome.status == replies.BLOCKED
    assert '"^JS"' in outcome.reason
