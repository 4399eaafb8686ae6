"""Sending on Instagram over loopback: replies, private replies, Direct windows, hiding."""

from __future__ import annotations

from datetime import timedelta

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.send_policy import MESSAGE_TAG, RESPONSE, decide
from careline.types import Direction, Visibility
from careline_facebook.emulator import LiveEmulator
from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState

pytest_plugins = ["careline_instagram.testing"]

MANIFEST = InstagramChannel.manifest


def outbound(
    instagram_state: InstagramEmulatorState, text: str, visibility: Visibility, **fields: str | None
) -> OutboundMessage:

    return OutboundMessage(
        channel="instagram",
        account=instagram_state.ig_user_id,
        text=text,
        visibility=visibility,
        idempotency_key=text,
        **fields,
    )


def refused(instagram_channel: InstagramChannel, message: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as caught:
        instagram_channel.send(message)
    return caught.value


def test_the_manifest_declares_instagram_limits() -> None:
    assert MANIFEST.max_length == {Visibility.PUBLIC: 2200, Visibility.PRIVATE: 1000}
    assert MANIFEST.window is not None
    assert (MANIFEST.window.standard, MANIFEST.window.tag, MANIFEST.window.tag_window) == (
        timedelta(hours=24),
        "HUMAN_AGENT",
        timedelta(days=7),
    )
    assert MANIFEST.private_reply_to_public
    assert MANIFEST.private_reply_window == timedelta(days=7)


def test_a_reply_to_a_reply_goes_under_the_top_level_comment(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    top = instagram_live.control("customer/comment", customer="ann", text="In stock?")
    nested = instagram_live.control(
        "customer/comment", customer="bo", text="+1", reply_to=top["comment_id"]
    )
    instagram_live.take_deliveries()
    thread = f"{top['media_id']}/{top['comment_id']}"
    sent = instagram_channel.send(
        outbound(
            instagram_state,
            "Back on Friday!",
            Visibility.PUBLIC,
            in_reply_to=nested["comment_id"],
            thread_key=thread,
        )
    )
    assert instagram_state.comments[sent.external_id].parent_id == top["comment_id"]
    [echo] = instagram_channel.parse(instagram_live.take_deliveries()[-1].body)
    assert (echo.external_id, echo.direction, echo.thread_key) == (
        sent.external_id,
        Direction.OUTBOUND,
        thread,
    )


def test_comments_over_2200_characters_are_refused(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    top = instagram_live.control("customer/comment", customer="ann", text="In stock?")
    error = refused(
        instagram_channel,
        outbound(instagram_state, "x" * 2201, Visibility.PUBLIC, in_reply_to=top["comment_id"]),
    )
    assert (error.transient, error.code) == (False, "100")


def test_private_reply_once_and_then_only_when_the_customer_writes(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    top = instagram_live.control("customer/comment", customer="ann", text="Price?")
    sent = instagram_channel.send(
        outbound(
            instagram_state,
            "Sent you the price list",
            Visibility.PRIVATE,
            private_reply_to=top["comment_id"],
        )
    )
    igsid = sent.raw["recipient_id"]
    assert igsid == instagram_state.person("ann").igsid
    again = refused(
        instagram_channel,
        outbound(instagram_state, "again", Visibility.PRIVATE, private_reply_to=top["comment_id"]),
    )
    assert again.code == "10900"
    follow_up = outbound(
        instagram_state,
        "Did it help?",
        Visibility.PRIVATE,
        recipient_id=igsid,
        messaging_type=RESPONSE,
    )
    assert refused(instagram_channel, follow_up).code == "10/2018278"
    instagram_live.control("customer/message", customer="ann", text="Yes thanks, ordering now")
    assert instagram_channel.send(follow_up).external_id


def test_direct_windows_inside_tagged_and_closed(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
    careline_clock: FrozenClock,
) -> None:
    igsid = instagram_live.control("customer/message", customer="bo", text="Where is my parcel?")[
        "igsid"
    ]
    written = careline_clock.now()

    def send_as_policy_says(text: str) -> str:
        decision = decide(
            MANIFEST,
            visibility=Visibility.PRIVATE,
            now=careline_clock.now(),
            last_inbound_at=written,
        )
        assert decision.allowed, decision.reason
        instagram_channel.send(
            outbound(
                instagram_state,
                text,
                Visibility.PRIVATE,
                recipient_id=igsid,
                messaging_type=decision.messaging_type,
                tag=decision.tag,
            )
        )
        return decision.messaging_type or ""

    assert send_as_policy_says("On its way!") == RESPONSE
    careline_clock.advance(hours=30)
    assert (
        refused(
            instagram_channel,
            outbound(
                instagram_state,
                "late",
                Visibility.PRIVATE,
                recipient_id=igsid,
                messaging_type=RESPONSE,
            ),
        ).code
        == "10/2018278"
    )
    assert send_as_policy_says("Delivered today") == MESSAGE_TAG
    careline_clock.advance(days=7)
    assert not decide(
        MANIFEST, visibility=Visibility.PRIVATE, now=careline_clock.now(), last_inbound_at=written
    ).allowed
    closed = refused(
        instagram_channel,
        outbound(
            instagram_state,
            "hello?",
            Visibility.PRIVATE,
            recipient_id=igsid,
            messaging_type=MESSAGE_TAG,
            tag="HUMAN_AGENT",
        ),
    )
    assert (closed.transient, closed.needs_reconnect, closed.code) == (False, False, "10/2018278")


def test_a_story_mention_opens_the_window(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    igsid = instagram_live.control(
        "customer/story_mention", customer="cy", story_url="https://x/s"
    )["igsid"]
    assert instagram_channel.send(
        outbound(
            instagram_state,
            "Thanks for the shout-out!",
            Visibility.PRIVATE,
            recipient_id=igsid,
            messaging_type=RESPONSE,
        )
    ).external_id


def test_direct_over_1000_characters_is_refused(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    igsid = instagram_live.control("customer/message", customer="bo", text="hi")["igsid"]
    error = refused(
        instagram_channel,
        outbound(instagram_state, "x" * 1001, Visibility.PRIVATE, recipient_id=igsid),
    )
    assert (error.transient, error.code) == (False, "100")


def test_hiding_a_comment(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    spam = instagram_live.control("customer/comment", customer="spam.bot", text="Free followers!!!")
    instagram_channel.hide(spam["comment_id"], account=instagram_state.ig_user_id)
    assert instagram_state.comments[spam["comment_id"]].hidden


def test_check_connection_names_the_account(instagram_channel: InstagramChannel) -> None:
    assert instagram_channel.check_connection() == "acme.care"
