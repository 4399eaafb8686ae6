"""window: private messages only inside the channel's window; tags only for humans."""

from __future__ import annotations

from datetime import timedelta

from careline.types import Severity, Visibility


def window(findings):
    return [f for f in findings if f.rule == "window"]


def private_conversation(make_conversation, careline_clock, hours_ago):
    return make_conversation(
        visibility=Visibility.PRIVATE,
        last_inbound_at=careline_clock.now() - timedelta(hours=hours_ago),
    )


def test_private_message_inside_the_window_passes(check, make_conversation, careline_clock):
    conversation = private_conversation(make_conversation, careline_clock, 3)
    assert (
        window(check("Hi Anna ^JS", conversation=conversation, visibility=Visibility.PRIVATE)) == []
    )


def test_after_the_window_a_human_reply_goes_with_the_tag(check, make_conversation, careline_clock):
    conversation = private_conversation(make_conversation, careline_clock, 48)
    [finding] = window(
        check("Hi Anna ^JS", conversation=conversation, visibility=Visibility.PRIVATE)
    )
    assert finding.severity is Severity.WARN
    assert finding.message.startswith(
        "Will be sent with the HUMAN_AGENT tag (window closed 1 day ago"
    )


def test_automated_reply_cannot_use_the_human_tag(check, make_conversation, careline_clock):
    conversation = private_conversation(make_conversation, careline_clock, 48)
    findings = window(
        check(
            "Hi Anna",
            conversation=conversation,
            visibility=Visibility.PRIVATE,
            automated=True,
            agent=None,
        )
    )
    assert [f.severity for f in findings] == [Severity.BLOCK]
    assert "human-written replies only" in findings[0].message


def test_after_the_tag_window_nothing_can_be_sent(check, make_conversation, careline_clock):
    conversation = private_conversation(make_conversation, careline_clock, 24 * 9)
    [finding] = window(
        check("Hi Anna ^JS", conversation=conversation, visibility=Visibility.PRIVATE)
    )
    assert finding.severity is Severity.BLOCK
    assert "reply publicly or wait for the customer to write again" in finding.message


def test_public_replies_are_always_possible_here(check, make_conversation, careline_clock):
    conversation = make_conversation(last_inbound_at=careline_clock.now() - timedelta(days=30))
    assert window(check("Hi Anna ^JS", conversation=conversation)) == []


def test_private_reply_to_a_public_comment_has_its_own_window(
    check, make_conversation, careline_clock
):
    conversation = make_conversation("my parcel is late")  # comment made an hour ago
    assert (
        window(check("Hi Anna ^JS", conversation=conversation, visibility=Visibility.PRIVATE)) == []
    )
    careline_clock.advance(days=8)
    [finding] = window(
        check("Hi Anna ^JS", conversation=conversation, visibility=Visibility.PRIVATE)
    )
    assert "private replies are possible for 7 days after the comment" in finding.message


def test_severities_are_configurable(check, make_conversation, careline_clock):
    conversation = private_conversation(make_conversation, careline_clock, 48)
    config = {"rules": {"window": {"tag_severity": "approval"}}}
    findings = window(
        check("Hi ^JS", conversation=conversation, visibility=Visibility.PRIVATE, config=config)
    )
    assert [f.severity for f in findings] == [Severity.APPROVAL]
