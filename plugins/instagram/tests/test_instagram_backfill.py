"""Instagram repeats, token expiry and the backfill of comments and Direct messages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.types import InboundMessage, Visibility
from careline_facebook.emulator import EmulatorServers, LiveEmulator, serve_emulator
from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState, create_emulator


@pytest.fixture(scope="module")
def servers() -> Iterator[EmulatorServers]:
    with serve_emulator(create_emulator()) as running:
        yield running


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def state(clock: FrozenClock) -> InstagramEmulatorState:
    return InstagramEmulatorState(clock=clock)


@pytest.fixture
def live(servers: EmulatorServers, state: InstagramEmulatorState) -> LiveEmulator:
    return servers.attach(state)


def channel_for(
    live: LiveEmulator, state: InstagramEmulatorState, **overrides: object
) -> InstagramChannel:
    return InstagramChannel(
        live.channel_config("ig_user_id", state.ig_user_id, **overrides), clock=state.clock
    )


def parsed(channel: InstagramChannel, bodies: list[bytes]) -> list[InboundMessage]:
    return [m for body in bodies for m in channel.parse(body)]


def test_repeated_and_reordered_deliveries_keep_their_ids(
    live: LiveEmulator, state: InstagramEmulatorState
) -> None:
    channel = channel_for(live, state)
    live.control("webhook", url=live.sink_url, duplicates=1)
    live.control("hold")
    top = live.control("customer/comment", customer="ann", text="In stock?")
    reply = live.control("customer/comment", customer="bo", text="+1", reply_to=top["comment_id"])
    live.control("release", reverse=True)
    deliveries = live.take_deliveries()
    messages = parsed(channel, [d.body for d in deliveries])
    assert [m.external_id for m in messages] == [reply["comment_id"]] * 2 + [top["comment_id"]] * 2
    assert {m.thread_key for m in messages} == {f"{top['media_id']}/{top['comment_id']}"}
    assert deliveries[0].body == deliveries[1].body


def test_expired_token_then_backfill_recovers_comments_and_direct(
    live: LiveEmulator, state: InstagramEmulatorState, clock: FrozenClock
) -> None:
    channel = channel_for(live, state)
    old = live.control("customer/comment", customer="ann", text="Before the gap")
    sources = channel.poll_sources()
    assert sources == [f"conversations:{state.ig_user_id}", f"media:{state.ig_user_id}"]
    cursors = {source: channel.poll(source, None).cursor for source in sources}

    clock.advance(hours=3)
    live.control("tokens/expire", access_token=state.token)
    with pytest.raises(SendError) as caught:
        channel.send(
            OutboundMessage(
                channel="instagram",
                account=state.ig_user_id,
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

    live.take_deliveries()
    live.stop_webhooks()
    gap_start = len(state.deliveries)
    live.control("customer/comment", customer="bo", text="Hello?")
    live.control(
        "customer/comment",
        customer="cy",
        text="Late reply to an old comment",
        reply_to=old["comment_id"],
    )
    live.control("customer/message", customer="ann", text="Answer me in private please")
    live.control("customer/story_mention", customer="dee", story_url="https://x/story")
    missed = [m for d in state.deliveries[gap_start:] for m in channel.parse(d.body)]
    assert len(missed) == 4

    token = live.control("tokens", account=state.ig_user_id)["access_token"]
    reconnected = channel_for(live, state, access_token=token)
    recovered = {
        m.external_id: m
        for source in sources
        for m in parsed(reconnected, list(reconnected.poll(source, cursors[source]).deliveries))
    }
    for message in missed:
        again = recovered[message.external_id]
        assert (again.thread_key, again.direction, again.participant_id, again.text) == (
            message.thread_key,
            message.direction,
            message.participant_id,
            message.text,
        )
