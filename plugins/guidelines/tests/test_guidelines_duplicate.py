"""duplicate: the same text already sent on the channel within 24 hours (real databases)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from careline.models import Contact, Conversation, Message
from careline.types import Direction, Severity, Visibility

SENT = "Hi Anna, we're on it and will update you shortly. ^JS"


@pytest.fixture
def stored(careline_db, careline_settings):
    """A contact, conversation 1 on the test channel, and a reply the brand sent an hour ago."""
    now = careline_settings.clock.now()

    def add_reply(
        text=SENT, *, ago=timedelta(hours=1), channel="testchannel", account="brand", **fields
    ):
        with careline_db.session() as session:
            contact = Contact(name="Anna Schmidt", created_at=now)
            session.add(contact)
            session.flush()
            conversation = Conversation(
                channel=channel,
                account=account,
                thread_key=f"thread-{contact.id}",
                visibility=Visibility.PUBLIC,
                contact_id=contact.id,
                created_at=now - timedelta(days=2),
                updated_at=now,
            )
            session.add(conversation)
            session.flush()
            session.add(
                Message(
                    conversation_id=conversation.id,
                    channel=channel,
                    account=account,
                    direction=Direction.OUTBOUND,
                    visibility=Visibility.PUBLIC,
                    text=text,
                    created_at=now - ago,
                    **fields,
                )
            )
            return conversation.id

    return add_reply


def duplicates(check, careline_settings, text, **kwargs):
    careline_settings.data["guidelines"] = {}
    return [f for f in check(text, settings=careline_settings, **kwargs) if f.rule == "duplicate"]


def test_same_text_sent_on_the_channel_today_is_blocked(check, careline_settings, stored):
    conversation_id = stored()
    [finding] = duplicates(
        check, careline_settings, "hi anna,  WE'RE on it and will update you\nshortly. ^js"
    )
    assert finding.severity is Severity.BLOCK
    assert f"conversation #{conversation_id}" in finding.message
    assert "Mon 05 Jan 08:00 UTC" in finding.message


def test_different_text_passes(check, careline_settings, stored):
    stored()
    assert duplicates(check, careline_settings, SENT.replace("shortly", "within the hour")) == []


def test_older_than_the_window_passes(check, careline_settings, stored):
    stored(ago=timedelta(hours=24, seconds=1))
    assert duplicates(check, careline_settings, SENT) == []


def test_window_is_configurable(check, careline_settings, stored):
    stored(ago=timedelta(hours=30))
    careline_settings.data["guidelines"] = {"rules": {"duplicate": {"window": "2d"}}}
    found = [f for f in check(SENT, settings=careline_settings) if f.rule == "duplicate"]
    assert len(found) == 1


def test_other_channels_accounts_and_failed_sends_do_not_count(check, careline_settings, stored):
    stored(channel="facebook")
    stored(account="other-brand")
    stored(delivery_state="failed")
    stored(delivery_state="rejected")
    assert duplicates(check, careline_settings, SENT) == []


def test_customer_messages_do_not_count(check, careline_settings, careline_db, stored):
    conversation_id = stored("something else")
    with careline_db.session() as session:
        session.add(
            Message(
                conversation_id=conversation_id,
                channel="testchannel",
                account="brand",
                direction=Direction.INBOUND,
                visibility=Visibility.PUBLIC,
                text=SENT,
                created_at=careline_settings.clock.now(),
            )
        )
    assert duplicates(check, careline_settings, SENT) == []


def test_visibilities_are_configurable(check, careline_settings, stored):
    stored()
    careline_settings.data["guidelines"] = {"rules": {"duplicate": {"visibilities": ["public"]}}}
    found = check(SENT, settings=careline_settings, visibility=Visibility.PRIVATE)
    assert [f for f in found if f.rule == "duplicate"] == []
