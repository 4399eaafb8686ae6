"""Repeated and out-of-order deliveries, token expiry, and the backfill that closes the gap."""

from __future__ import annotations

import json

import pytest
from careline.channels import ChannelError, OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.types import Direction, InboundMessage, Visibility
from careline_facebook.backfill import PollCursor
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    FacebookEmulatorState,
    LiveEmulator,
)
from careline_facebook.emulator.live import assert_recovered

pytest_plugins = ["careline_facebook.testing"]


def channel_for(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState, **overrides: object
) -> FacebookChannel:

    return FacebookChannel(
        facebook_live.channel_config("page_id", facebook_state.page_id, **overrides),
        clock=facebook_state.clock,
    )


def ids(messages: list[InboundMessage]) -> list[str]:
    return [m.external_id for m in messages]


def parsed(channel: FacebookChannel, bodies: list[bytes]) -> list[InboundMessage]:
    return [m for body in bodies for m in channel.parse(body)]


# --- repeats and disorder ----------------------------------------------------------------------
def test_a_duplicated_delivery_gives_the_same_external_ids(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    facebook_live.control("webhook", url=facebook_live.sink_url, duplicates=1)
    facebook_live.control("customer/comment", customer="Ann", message="Refund?")
    facebook_live.control("customer/message", customer="Ann", text="Refund please")
    deliveries = facebook_live.take_deliveries()
    assert len(deliveries) == 2 * 3  # the Page's first post, the comment, the message
    assert deliveries[2].body == deliveries[3].body
    first = ids(channel.parse(deliveries[2].body) + channel.parse(deliveries[4].body))
    repeat = ids(channel.parse(deliveries[3].body) + channel.parse(deliveries[5].body))
    assert first == repeat
    assert channel.delivery_key(deliveries[2].body) == channel.delivery_key(deliveries[3].body)


def test_a_batched_repeat_has_other_bytes_but_the_same_objects(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    facebook_live.control("customer/comment", customer="Ann", message="Refund?")
    facebook_live.control("customer/message", customer="Ann", text="Refund please")
    originals = facebook_live.take_deliveries()[-2:]
    facebook_live.control("redeliver", last=2, reverse=True, batched=True)
    [batch] = facebook_live.take_deliveries()
    assert channel.verify_webhook(batch)
    assert batch.body not in {d.body for d in originals}
    assert sorted(ids(channel.parse(batch.body))) == sorted(
        ids(parsed(channel, [d.body for d in originals]))
    )


def test_a_reply_arriving_before_its_comment_threads_the_same(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    facebook_state.latest_post()
    facebook_live.take_deliveries()
    facebook_live.control("hold")
    top = facebook_live.control("customer/comment", customer="Ann", message="Broken lid")
    facebook_live.control(
        "customer/comment", customer="Bo", message="Mine too", reply_to=top["comment_id"]
    )
    facebook_live.control("release", reverse=True)
    reply_first, comment_later = facebook_live.take_deliveries()
    [reply] = channel.parse(reply_first.body)
    [comment] = channel.parse(comment_later.body)
    assert comment.external_id == top["comment_id"]
    assert reply.thread_key == comment.thread_key == f"{top['post_id']}/{top['comment_id']}"


# --- the gap: expired token, missed webhooks, backfill ------------------------------------------
def test_expired_token_then_backfill_recovers_the_gap_with_webhook_ids(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState, careline_clock: FrozenClock
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    facebook_live.control("customer/comment", customer="Ann", message="Before the gap")
    sources = channel.poll_sources()
    assert sources == [f"conversations:{facebook_state.page_id}", f"feed:{facebook_state.page_id}"]
    cursors = {source: channel.poll(source, None).cursor for source in sources}

    careline_clock.advance(hours=1)
    facebook_live.control("tokens/expire", access_token=facebook_state.page_token)
    comment = facebook_live.control("customer/comment", customer="Ann", message="Hello??")
    with pytest.raises(SendError) as caught:
        channel.send(
            OutboundMessage(
                channel="facebook",
                account=facebook_state.page_id,
                text="Sorry!",
                visibility=Visibility.PUBLIC,
                idempotency_key="k",
                in_reply_to=comment["comment_id"],
            )
        )
    assert (caught.value.needs_reconnect, caught.value.transient) == (True, False)
    assert caught.value.code == "190/463"
    with pytest.raises(SendError) as polled:
        channel.poll(sources[1], cursors[sources[1]])
    assert polled.value.needs_reconnect
    assert not channel.is_healthy(careline_clock.now())

    # While careline is disconnected its webhook receiver is down too: nothing arrives.
    facebook_live.take_deliveries()
    facebook_live.stop_webhooks()
    gap_start = len(facebook_state.deliveries)
    careline_clock.advance(minutes=30)
    facebook_live.control("customer/comment", customer="Bo", message="Anyone there?")
    facebook_live.control(
        "customer/comment", customer="Ann", message="Still waiting", reply_to=comment["comment_id"]
    )
    facebook_live.control("customer/post", customer="Cy", message="Shop closed today?")
    facebook_live.control("customer/message", customer="Ann", text="Please answer in private")
    facebook_live.control("customer/message", customer="Dee", text="Where is order 99?")
    missed = [m for d in facebook_state.deliveries[gap_start:] for m in channel.parse(d.body)]
    assert facebook_live.take_deliveries() == []

    # The admin reconnects: a new token, a new channel object, the stored cursors.
    new_token = facebook_live.control("tokens", account=facebook_state.page_id)["access_token"]
    reconnected = channel_for(facebook_live, facebook_state, access_token=new_token)
    assert reconnected.is_healthy(careline_clock.now())
    recovered = []
    for source in sources:
        page = reconnected.poll(source, cursors[source])
        assert not page.more
        recovered += parsed(reconnected, list(page.deliveries))
    assert_recovered(missed, recovered)
    assert comment["comment_id"] in ids(recovered)  # the one answered with the expired token


def test_a_second_poll_brings_nothing_new(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    facebook_live.control("customer/comment", customer="Ann", message="Hi")
    facebook_live.control("customer/message", customer="Ann", text="Hi")
    for source in channel.poll_sources():
        first = channel.poll(source, None)
        second = channel.poll(source, first.cursor)
        seen = set(ids(parsed(channel, list(first.deliveries))))
        assert set(ids(parsed(channel, list(second.deliveries)))) <= seen
        assert [channel.delivery_key(b) for b in second.deliveries] == [
            channel.delivery_key(b) for b in first.deliveries
        ]


def test_old_items_are_left_behind_once_newer_ones_arrive(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState, careline_clock: FrozenClock
) -> None:
    """Each poll re-reads only a short overlap before the newest item it has seen."""
    channel = channel_for(facebook_live, facebook_state)
    source = f"feed:{facebook_state.page_id}"
    first = facebook_live.control("customer/comment", customer="Ann", message="Hi")
    cursor = channel.poll(source, None).cursor
    careline_clock.advance(hours=2)
    second = facebook_live.control("customer/comment", customer="Bo", message="Later")
    page = channel.poll(source, cursor)
    assert second["comment_id"] in ids(parsed(channel, list(page.deliveries)))
    careline_clock.advance(hours=2)
    third = facebook_live.control("customer/comment", customer="Cy", message="Even later")
    latest = ids(parsed(channel, list(channel.poll(source, page.cursor).deliveries)))
    assert third["comment_id"] in latest
    assert first["comment_id"] not in latest
    assert (
        PollCursor.decode(page.cursor, default_since=0).since
        > PollCursor.decode(cursor, default_since=0).since
    )


def test_conversations_page_across_polls(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState, careline_clock: FrozenClock
) -> None:
    channel = channel_for(facebook_live, facebook_state, backfill_max_pages=1)
    for number in range(30):
        facebook_live.control("customer/message", customer=f"c{number}", text=f"message {number}")
        careline_clock.advance(seconds=10)
    source = f"conversations:{facebook_state.page_id}"
    cursor, collected, polls = None, [], 0
    while True:
        page = channel.poll(source, cursor)
        polls += 1
        collected += parsed(channel, list(page.deliveries))
        cursor = page.cursor
        if not page.more:
            break
    assert polls == 2
    assert len(set(ids(collected))) == 30
    assert all(m.direction is Direction.INBOUND for m in collected)


def test_many_comments_on_one_post_are_all_collected(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState, careline_clock: FrozenClock
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    post = facebook_state.latest_post()
    for number in range(130):
        facebook_state.customer_comment(
            facebook_state.add_customer(f"c{number}"), f"comment {number}", post_id=post.id
        )
        careline_clock.advance(seconds=1)
    page = channel.poll(f"feed:{facebook_state.page_id}", None)
    comments = [m for m in parsed(channel, list(page.deliveries)) if m.external_id != post.id]
    assert len({m.external_id for m in comments}) == 130


def test_unknown_sources_and_cursors(
    facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
) -> None:
    channel = channel_for(facebook_live, facebook_state)
    with pytest.raises(ChannelError):
        channel.poll("feed:someone-else", None)
    page = channel.poll(f"feed:{facebook_state.page_id}", "not a cursor")
    assert json.loads(page.cursor or "")["since"]
