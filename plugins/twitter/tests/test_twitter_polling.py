"""Polling a live X emulator over loopback: mentions, search, own posts, DMs, cursors."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from careline.channels import ChannelError, SendError
from careline.clock import FrozenClock
from careline.types import Direction, InboundMessage, Source, Visibility
from careline_twitter.channel import TwitterChannel
from careline_twitter.cursor import PollCursor
from careline_twitter.emulator import EmulatorState, create_emulator, serve_in_thread
from careline_twitter.tokens import TokenVault


@pytest.fixture
def x() -> Iterator[tuple[EmulatorState, str]]:
    state = EmulatorState()
    state.add_brand("acmecare", "Acme Care")
    state.add_customer("priya_s", "Priya S.", followers=1432)
    state.add_customer("tom_w", "Tom W.", followers=12, verified=True)
    with serve_in_thread(create_emulator(state)) as url:
        yield state, url


def _channel(state: EmulatorState, url: str, **overrides: Any) -> TwitterChannel:
    return TwitterChannel(state.channel_config(url, **overrides), vault=TokenVault())


def _brand(state: EmulatorState) -> str:
    return state.user("acmecare").id


def _drain(
    channel: TwitterChannel, source: str, cursor: str | None
) -> tuple[list[InboundMessage], str | None, int]:
    messages: list[InboundMessage] = []
    pages = 0
    while True:
        page = channel.poll(source, cursor)
        pages += 1
        cursor = page.cursor
        for delivery in page.deliveries:
            messages.extend(channel.parse(delivery))
        if not page.more:
            return messages, cursor, pages


def _queries(state: EmulatorState, path: str) -> list[dict[str, list[str]]]:
    found = []
    for line in state.requests:
        split = urlsplit(line.split(" ", 1)[1])
        if split.path == path:
            found.append(parse_qs(split.query))
    return found


def test_poll_sources_follow_the_configuration(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    brand = _brand(state)
    channel = _channel(state, url, searches=[{"query": "acme"}], poll_own_posts=False)
    assert channel.poll_sources() == [f"mentions:{brand}", f"dms:{brand}", "search:0"]
    with pytest.raises(ChannelError):
        channel.poll("search:3", None)
    with pytest.raises(ChannelError):
        channel.poll("mentions:999", None)


def test_first_poll_takes_the_newest_page_and_remembers_the_newest_id(
    x: tuple[EmulatorState, str],
) -> None:
    state, url = x
    posts = [state.customer_posts("priya_s", f"@acmecare problem number {n}") for n in range(14)]
    channel = _channel(state, url, max_results=10)
    messages, cursor, pages = _drain(channel, f"mentions:{_brand(state)}", None)
    assert pages == 1
    assert [m.external_id for m in messages] == [p.id for p in reversed(posts)][:10]
    assert cursor == posts[-1].id


def test_mentions_walk_every_page_since_the_cursor(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    source = f"mentions:{_brand(state)}"
    channel = _channel(state, url, max_results=10)
    before = state.customer_posts("tom_w", "@acmecare old complaint")
    _, cursor, _ = _drain(channel, source, None)
    assert cursor == before.id
    new = [state.customer_posts("priya_s", f"@acmecare still waiting, day {n}") for n in range(25)]
    messages, cursor, pages = _drain(channel, source, cursor)
    assert pages == 3
    assert sorted(m.external_id for m in messages) == sorted(p.id for p in new)
    assert cursor == new[-1].id
    queries = _queries(state, f"/2/users/{_brand(state)}/mentions")[-3:]
    assert all(q["since_id"] == [before.id] for q in queries)
    assert "pagination_token" not in queries[0] and "pagination_token" in queries[1]
    assert queries[0]["expansions"] == ["author_id,attachments.media_keys"]
    assert "public_metrics" in queries[0]["user.fields"][0]
    assert {m.author.followers for m in messages} == {1432}
    latest = state.customer_posts("tom_w", "@acmecare hello?")
    messages, cursor, pages = _drain(channel, source, cursor)
    assert [m.external_id for m in messages] == [latest.id] and pages == 1


def test_an_interrupted_walk_resumes_from_the_stored_cursor(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    source = f"mentions:{_brand(state)}"
    first = _channel(state, url, max_results=10)
    _, cursor, _ = _drain(first, source, None)
    state.customer_posts("tom_w", "@acmecare first")
    _, cursor, _ = _drain(first, source, cursor)
    new = [state.customer_posts("priya_s", f"@acmecare again {n}") for n in range(15)]
    page = first.poll(source, cursor)
    assert page.more and PollCursor.decode(page.cursor).walking
    seen = [m.external_id for d in page.deliveries for m in first.parse(d)]
    restarted = _channel(state, url, max_results=10)  # a new process, same stored cursor
    rest, final, _ = _drain(restarted, source, page.cursor)
    assert sorted(seen + [m.external_id for m in rest]) == sorted(p.id for p in new)
    assert final == new[-1].id


def test_search_results_are_earned_listening(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    about = state.customer_posts("priya_s", "Acme lost my parcel again, third time this month")
    state.customer_posts("tom_w", "RT @priya_s: Acme lost my parcel again", retweet_of=about.id)
    state.customer_posts("tom_w", "lovely weather today")
    brand = state.user("acmecare").id
    state.create_post(brand, "Acme winter hours: we answer 8-20 every day")
    channel = _channel(state, url, searches=[{"query": "acme -from:acmecare -is:retweet"}])
    messages, cursor, _ = _drain(channel, "search:0", None)
    assert [m.external_id for m in messages] == [about.id]
    assert messages[0].source is Source.EARNED
    assert messages[0].account == brand
    assert cursor == about.id
    assert _queries(state, "/2/tweets/search/recent")[0]["query"] == [
        "acme -from:acmecare -is:retweet"
    ]


def test_own_posts_feed_records_replies_sent_from_x_itself(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    mention = state.customer_posts("priya_s", "@acmecare where is my order?")
    reply = state.create_post(
        _brand(state), "@priya_s Sorry! Please DM us the order number.", in_reply_to=mention.id
    )
    messages, _, _ = _drain(_channel(state, url), f"posts:{_brand(state)}", None)
    assert [m.external_id for m in messages] == [reply.id]
    assert messages[0].direction is Direction.OUTBOUND
    assert messages[0].thread_key == mention.id
    assert messages[0].in_reply_to == mention.id


def test_dms_are_read_newest_first_until_what_was_seen(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    brand = _brand(state)
    source = f"dms:{brand}"
    channel = _channel(state, url, max_results=10)
    state.customer_sends_dm("priya_s", "acmecare", "hello?")
    _, cursor, _ = _drain(channel, source, None)
    customer = state.user("priya_s")
    new = [state.customer_sends_dm("priya_s", "acmecare", f"detail {n}") for n in range(12)]
    answer = state.create_dm(brand, customer.id, "Thanks Priya, we are on it.")
    messages, cursor, pages = _drain(channel, source, cursor)
    assert pages == 2
    ids = {m.external_id for m in messages}
    assert {m.id for m in new} | {answer.id} <= ids
    echo = next(m for m in messages if m.external_id == answer.id)
    assert echo.direction is Direction.OUTBOUND and echo.participant_id == customer.id
    assert all(m.visibility is Visibility.PRIVATE for m in messages)
    assert cursor == answer.id
    assert _drain(channel, source, cursor)[0] == []


def test_webhook_and_poll_give_the_same_external_ids(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    brand = _brand(state)
    channel = _channel(state, url)
    mention = state.customer_posts("priya_s", "@acmecare my card was charged twice")
    dm = state.customer_sends_dm("priya_s", "acmecare", "Card ending 4242")
    pushed = [m for d in state.deliveries for m in channel.parse(d.body)]
    polled = (
        _drain(channel, f"mentions:{brand}", None)[0] + _drain(channel, f"dms:{brand}", None)[0]
    )
    assert {m.external_id for m in pushed} == {m.external_id for m in polled} == {mention.id, dm.id}
    by_id = {m.external_id: m for m in polled}
    for message in pushed:
        twin = by_id[message.external_id]
        assert (message.thread_key, message.participant_id, message.author.external_id) == (
            twin.thread_key,
            twin.participant_id,
            twin.author.external_id,
        )


def test_polling_with_bad_credentials_needs_reconnect(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    channel = _channel(state, url, bearer_token="not-the-token")
    with pytest.raises(SendError) as caught:
        channel.poll(f"mentions:{_brand(state)}", None)
    assert caught.value.needs_reconnect and not caught.value.transient


def test_polling_rate_limited_waits_until_the_reset(x: tuple[EmulatorState, str]) -> None:
    state, url = x
    state.fail_next("GET /2/users/:id/mentions", 429, reset_in=120)
    channel = _channel(state, url)
    with pytest.raises(SendError) as caught:
        channel.poll(f"mentions:{_brand(state)}", None)
    assert caught.value.transient
    assert caught.value.retry_after is not None and 100 <= caught.value.retry_after <= 121
    with pytest.raises(SendError, match="used up"):
        channel.poll(f"mentions:{_brand(state)}", None)  # not sent: the limit is known to be spent


def test_a_search_cursor_older_than_seven_days_starts_again() -> None:
    clock = FrozenClock(datetime.now(UTC))
    state = EmulatorState(clock=clock)
    state.add_brand("acmecare")
    state.add_customer("priya_s")
    with serve_in_thread(create_emulator(state)) as url:
        channel = TwitterChannel(
            state.channel_config(url, searches=[{"query": "acme"}]), clock=clock, vault=TokenVault()
        )
        old = state.customer_posts("priya_s", "acme forgot my order")
        _, cursor, _ = _drain(channel, "search:0", None)
        assert cursor == old.id
        clock.advance(days=8)
        refused = httpx.get(
            f"{url}/2/tweets/search/recent",
            params={"query": "acme", "since_id": old.id},
            headers={"authorization": f"Bearer {state.bearer_token}"},
        )
        assert refused.status_code == 400 and "since_id" in refused.text  # what X does
        new = state.customer_posts("priya_s", "acme forgot my order again")
        messages, cursor, _ = _drain(channel, "search:0", cursor)
    assert [m.external_id for m in messages] == [new.id]
    assert cursor == new.id
