"""Instagram repeats, token expiry and the backfill of comments and Direct messages."""

from __future__ import annotations

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.types import InboundMessage, Visibility
from careline_facebook.emulator import LiveEmulator
from careline_facebook.emulator.live import assert_recovered
from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState

pytest_plugins = ["careline_instagram.testing"]


def channel_for(
    instagram_live: LiveEmulator, instagram_state: InstagramEmulatorState, **overrides: object
) -> InstagramChannel:
    return InstagramChannel(
        instagram_live.channel_config("ig_user_id", instagram_state.ig_user_id, **overrides),
        clock=instagram_state.clock,
    )


def parsed(channel: InstagramChannel, bodies: list[bytes]) -> list[InboundMessage]:
    return [m for body in bodies for m in channel.parse(body)]


def test_repeated_and_reordered_deliveries_keep_their_ids(
    instagram_live: LiveEmulator, instagram_state: InstagramEmulatorState
) -> None:

    channel = channel_for(instagram_live, instagram_state)
    instagram_live.control("webhook", url=instagram_live.sink_url, duplicates=1)
    instagram_live.control("hold")
    top = instagram_live.control("customer/comment", customer="ann", text="In stock?")
    reply = instagram_live.control(
        "customer/comment", customer="bo", text="+1", reply_to=top["comment_id"]
    )
    instagram_live.control("release", reverse=True)
    deliveries = instagram_live.take_deliveries()
    messages = parsed(channel, [d.body for d in deliveries])
    assert [m.external_id for m in messages] == [reply["comment_id"]] * 2 + [top["comment_id"]] * 2
    assert {m.thread_key for m in messages} == {f"{top['media_id']}/{top['comment_id']}"}
    assert deliveries[0].body == deliveries[1].body


def test_expired_token_then_backfill_recovers_comments_and_direct(
    instagram_live: LiveEmulator,
    instagram_state: InstagramEmulatorState,
    careline_clock: FrozenClock,
) -> None:
    channel = channel_for(instagram_live, instagram_state)
    old = instagram_live.control("customer/comment", customer="ann", text="Before the gap")
    sources = channel.poll_sources()
    assert sources == [
        f"conversations:{instagram_state.ig_user_id}",
        f"media:{instagram_state.ig_user_id}",
    ]
    cursors = {source: channel.poll(source, None).cursor for source in sources}

    careline_clock.advance(hours=3)
    instagram_live.control("tokens/expire", access_token=instagram_state.token)
    with pytest.raises(SendError) as caught:
        channel.send(
            OutboundMessage(
                channel="instagram",
                account=instagram_state.ig_user_id,
                text="Hi!",
                visibility=Visibility.PUBLIC,
                idempotency_key="k",
                in_reply_to=old["comment_id"],
            )
        )
    assert (caught.value.needs_reconnect, caught.value.transient) == (True, False)
    for source in sources:
        with pytest.raises(SendError) as polled:
            channel.poll(source, cursors[source])
        assert polled.value.needs_reconnect

    instagram_live.take_deliveries()
    instagram_live.stop_webhooks()
    gap_start = len(instagram_state.deliveries)
    instagram_live.control("customer/comment", customer="bo", text="Hello?")
    instagram_live.control(
        "customer/comment",
        customer="cy",
        text="Late reply to an old comment",
        reply_to=old["comment_id"],
    )
    instagram_live.control("customer/message", customer="ann", text="Answer me in private please")
    instagram_live.control("customer/story_mention", customer="dee", story_url="https://x/story")
    missed = [m for d in instagram_state.deliveries[gap_start:] for m in channel.parse(d.body)]
    assert len(missed) == 4

    token = instagram_live.control("tokens", account=instagram_state.ig_user_id)["access_token"]
    reconnected = channel_for(instagram_live, instagram_state, access_token=token)
    recovered = {
        m.external_id: m
        for source in sources
        for m in parsed(reconnected, list(reconnected.poll(source, cursors[source]).deliveries))
    }
    assert_recovered(missed, recovered.values())
