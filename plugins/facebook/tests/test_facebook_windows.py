"""Messaging windows: the core's send policy with the Facebook manifest, and the emulator.

The policy (``careline.send_policy.decide``) must say *before* sending what Meta would answer:
24 h for ``RESPONSE``, 7 days for ``MESSAGE_TAG`` + ``HUMAN_AGENT`` (humans only), one
private reply per comment within 7 days.
"""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.send_policy import MESSAGE_TAG, RESPONSE, decide
from careline.types import Visibility
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    LiveEmulator,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytest_plugins = ["careline_facebook.testing"]


MANIFEST = FacebookChannel.manifest
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


# --- the policy with the manifest ----------------------------------------------------------------
def private(now_offset: timedelta, *, automated: bool = False):
    last = FrozenClock().now()
    return decide(
        MANIFEST,
        visibility=Visibility.PRIVATE,
        now=last + now_offset,
        last_inbound_at=last,
        automated=automated,
    )


def test_exactly_24_hours_is_still_inside_the_window() -> None:
    decision = private(timedelta(hours=24))
    assert (decision.allowed, decision.messaging_type, decision.tag) == (True, RESPONSE, None)


def test_one_second_after_24_hours_a_human_uses_the_tag() -> None:
    decision = private(timedelta(hours=24) + SECOND)
    assert (decision.allowed, decision.messaging_type, decision.tag) == (
        True,
        MESSAGE_TAG,
        "HUMAN_AGENT",
    )


def test_the_tag_is_for_humans_only() -> None:
    assert not private(timedelta(hours=30), automated=True).allowed
    assert private(timedelta(hours=3), automated=True).allowed


def test_exactly_7_days_is_the_last_moment_for_the_tag() -> None:
    assert private(7 * DAY).tag == "HUMAN_AGENT"
    late = private(7 * DAY + SECOND)
    assert not late.allowed
    assert "HUMAN_AGENT" in late.reason


def test_private_replies_to_a_comment_once_within_7_days() -> None:
    commented = FrozenClock().now()

    def reply(after: timedelta, *, already: bool = False):
        return decide(
            MANIFEST,
            visibility=Visibility.PRIVATE,
            now=commented + after,
            last_inbound_at=None,
            private_reply_to=commented,
            private_reply_already_sent=already,
        )

    assert reply(7 * DAY).allowed
    assert not reply(7 * DAY + SECOND).allowed
    assert not reply(DAY, already=True).allowed


def test_the_manifest_declares_meta_rules() -> None:
    assert MANIFEST.window is not None
    assert MANIFEST.window.standard == timedelta(hours=24)
    assert (MANIFEST.window.tag, MANIFEST.window.tag_window) == ("HUMAN_AGENT", 7 * DAY)
    assert MANIFEST.window.tag_humans_only
    assert MANIFEST.private_reply_to_public
    assert MANIFEST.private_reply_window == 7 * DAY
    assert MANIFEST.max_length[Visibility.PRIVATE] == 2000
    assert MANIFEST.max_length[Visibility.PUBLIC] == 8000


# --- against the emulator -------------------------------------------------------------------------


def dm(
    facebook_channel: FacebookChannel,
    psid: str,
    text: str,
    messaging_type: str | None,
    tag: str | None = None,
) -> OutboundMessage:
    return OutboundMessage(
        channel="facebook",
        account=facebook_channel.account_id or "",
        text=text,
        visibility=Visibility.PRIVATE,
        idempotency_key=f"{psid}-{text}",
        recipient_id=psid,
        messaging_type=messaging_type,
        tag=tag,
    )


def refused(facebook_channel: FacebookChannel, message: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as caught:
        facebook_channel.send(message)
    return caught.value


def test_a_dm_is_answered_inside_tagged_after_and_refused_at_8_days(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel, careline_clock: FrozenClock
) -> None:
    psid = facebook_live.control("customer/message", customer="Ann", text="My invoice is wrong")[
        "psid"
    ]
    assert facebook_channel.send(
        dm(facebook_channel, psid, "Looking into it", RESPONSE)
    ).external_id.startswith("m_")

    careline_clock.advance(hours=30)
    late = refused(facebook_channel, dm(facebook_channel, psid, "Fixed!", RESPONSE))
    assert (late.transient, late.needs_reconnect, late.code) == (False, False, "10/2018278")
    assert "window" in str(late)
    assert facebook_channel.send(
        dm(facebook_channel, psid, "Fixed!", MESSAGE_TAG, "HUMAN_AGENT")
    ).external_id

    careline_clock.advance(days=7)
    too_late = refused(
        facebook_channel, dm(facebook_channel, psid, "Anything else?", MESSAGE_TAG, "HUMAN_AGENT")
    )
    assert (too_late.transient, too_late.needs_reconnect, too_late.code) == (
        False,
        False,
        "10/2018278",
    )


def test_retired_tags_are_refused(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel
) -> None:
    psid = facebook_live.control("customer/message", customer="Ann", text="hi")["psid"]
    error = refused(
        facebook_channel,
        dm(facebook_channel, psid, "Your event starts soon", MESSAGE_TAG, "CONFIRMED_EVENT_UPDATE"),
    )
    assert (error.transient, error.code) == (False, "100")


def test_the_customer_writing_again_reopens_the_window(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel, careline_clock: FrozenClock
) -> None:
    psid = facebook_live.control("customer/message", customer="Ann", text="hi")["psid"]
    careline_clock.advance(days=3)
    assert (
        refused(facebook_channel, dm(facebook_channel, psid, "still there?", RESPONSE)).code
        == "10/2018278"
    )
    facebook_live.control("customer/message", customer="Ann", text="yes, still waiting")
    assert facebook_channel.send(dm(facebook_channel, psid, "still there?", RESPONSE)).external_id


def test_private_replies_once_per_comment_within_7_days(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel, careline_clock: FrozenClock
) -> None:
    first = facebook_live.control("customer/comment", customer="Ann", message="Broken on arrival")
    second = facebook_live.control("customer/comment", customer="Bo", message="Mine too")

    def private_reply(comment_id: str) -> OutboundMessage:
        return OutboundMessage(
            channel="facebook",
            account=facebook_channel.account_id or "",
            text="Please DM us your order",
            visibility=Visibility.PRIVATE,
            idempotency_key=comment_id,
            private_reply_to=comment_id,
        )

    careline_clock.advance(days=6)
    assert facebook_channel.send(private_reply(first["comment_id"])).external_id
    again = refused(facebook_channel, private_reply(first["comment_id"]))
    assert (again.transient, again.code) == (False, "10900")

    careline_clock.advance(days=1, seconds=1)
    late = refused(facebook_channel, private_reply(second["comment_id"]))
    assert (late.transient, late.code) == (False, "10/2018278")


def test_a_private_reply_does_not_open_the_window(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel
) -> None:
    comment = facebook_live.control("customer/comment", customer="Ann", message="Broken on arrival")
    sent = facebook_channel.send(
        OutboundMessage(
            channel="facebook",
            account=facebook_channel.account_id or "",
            text="Please DM us",
            visibility=Visibility.PRIVATE,
            idempotency_key="pr",
            private_reply_to=comment["comment_id"],
        )
    )
    psid = sent.raw["recipient_id"]
    assert (
        refused(facebook_channel, dm(facebook_channel, psid, "and?", RESPONSE)).code == "10/2018278"
    )
    facebook_live.control("customer/message", customer=psid, text="Order 4411")
    assert facebook_channel.send(
        dm(facebook_channel, psid, "Thanks, refund on its way", RESPONSE)
    ).external_id


_customers = itertools.count()


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(elapsed=st.integers(0, 9 * 86400), automated=st.booleans())
def test_the_policy_and_the_platform_agree(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    careline_clock: FrozenClock,
    elapsed: int,
    automated: bool,
) -> None:
    """Whatever the policy allows, the emulator accepts; what it refuses, Meta would too."""
    name = f"customer-{next(_customers)}"
    psid = facebook_live.control("customer/message", customer=name, text="hello")["psid"]
    written = careline_clock.now()
    careline_clock.advance(seconds=elapsed)
    decision = decide(
        MANIFEST,
        visibility=Visibility.PRIVATE,
        now=careline_clock.now(),
        last_inbound_at=written,
        automated=automated,
    )
    if decision.allowed:
        sent = facebook_channel.send(
            dm(facebook_channel, psid, "reply", decision.messaging_type, decision.tag)
        )
        assert sent.external_id
        return
    assert (
        refused(facebook_channel, dm(facebook_channel, psid, "reply", RESPONSE)).code
        == "10/2018278"
    )
    if elapsed > 7 * 86400:
        tagged = dm(facebook_channel, psid, "reply", MESSAGE_TAG, "HUMAN_AGENT")
        assert refused(facebook_channel, tagged).code == "10/2018278"
