"""Parsing polled API v2 pages (mentions, search, own posts, DM events) and the poll cursor."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from careline.channels import ChannelError, ParseError
from careline.types import Direction, MessageKind, Source, Visibility
from careline_twitter.channel import TwitterChannel
from careline_twitter.cursor import PollCursor
from careline_twitter.envelope import Feed, PollContext, wrap_page
from hypothesis import given, settings
from hypothesis import strategies as st

BRAND = "1096512346753417216"
CUSTOMER = "1181234567890123456"
CHANNEL = TwitterChannel({})

MENTIONS_PAGE = {
    "data": [
        {
            "id": "1745678901234567891",
            "text": "@acmecare @priya_s same here, my refund never arrived",
            "author_id": "1300000000000000007",
            "conversation_id": "1745678901234567890",
            "created_at": "2024-01-15T10:31:00.000Z",
            "in_reply_to_user_id": CUSTOMER,
            "lang": "en",
            "referenced_tweets": [{"type": "replied_to", "id": "1745678901234567890"}],
            "edit_history_tweet_ids": ["1745678901234567891"],
        },
        {
            "id": "1745678901234567890",
            "text": "@acmecare ich warte seit 3 Wochen auf meine Bestellung",
            "note_tweet": {
                "text": "@acmecare ich warte seit 3 Wochen auf meine Bestellung 4471. " * 6
            },
            "author_id": CUSTOMER,
            "conversation_id": "1745678901234567890",
            "created_at": "2024-01-15T10:30:00.000Z",
            "lang": "de",
            "attachments": {"media_keys": ["3_1745678901234567000"]},
            "edit_history_tweet_ids": ["1745678901234567890"],
        },
    ],
    "includes": {
        "users": [
            {
                "id": CUSTOMER,
                "name": "Priya S.",
                "username": "priya_s",
                "verified": True,
                "public_metrics": {"followers_count": 1432, "following_count": 10},
            },
            {"id": "1300000000000000007", "name": "Tom", "username": "tom_w"},
        ],
        "media": [
            {
                "media_key": "3_1745678901234567000",
                "type": "photo",
                "url": "https://pbs.twimg.com/media/box.jpg",
            }
        ],
    },
    "meta": {
        "newest_id": "1745678901234567891",
        "oldest_id": "1745678901234567890",
        "result_count": 2,
    },
}

SEARCH_PAGE = {
    "data": [
        {
            "id": "1745678901234569999",
            "text": "RT @someone: acme delivery is a joke",
            "author_id": "1300000000000000009",
            "conversation_id": "1745678901234569999",
            "created_at": "2024-01-15T11:00:00.000Z",
            "lang": "und",
            "referenced_tweets": [{"type": "retweeted", "id": "1745678901234560000"}],
        }
    ],
    "meta": {
        "newest_id": "1745678901234569999",
        "oldest_id": "1745678901234569999",
        "result_count": 1,
    },
}

DM_PAGE = {
    "data": [
        {
            "id": "1745679999999999999",
            "event_type": "MessageCreate",
            "text": "Thanks, we have sent you a replacement.",
            "sender_id": BRAND,
            "dm_conversation_id": f"{BRAND}-{CUSTOMER}",
            "created_at": "2024-01-15T12:00:00.000Z",
        },
        {
            "id": "1745679999999999998",
            "event_type": "MessageCreate",
            "text": "Order 4471, postcode LS1 4AP",
            "sender_id": CUSTOMER,
            "dm_conversation_id": f"{BRAND}-{CUSTOMER}",
            "created_at": "2024-01-15T11:58:00.000Z",
        },
        {
            "id": "1745679999999999997",
            "event_type": "ParticipantsJoin",
            "dm_conversation_id": f"{BRAND}-{CUSTOMER}",
        },
    ],
    "includes": {"users": [{"id": CUSTOMER, "name": "Priya S.", "username": "priya_s"}]},
    "meta": {"result_count": 3},
}


def _polled(feed: Feed, page: Any, source: str | None = None, account: str = BRAND) -> bytes:
    context = PollContext(feed, account, source or f"{feed}:{account}")
    return wrap_page(context, json.dumps(page).encode())


def test_mentions_page_gives_owned_messages_threaded_by_conversation() -> None:
    reply, root = CHANNEL.parse(_polled(Feed.MENTIONS, MENTIONS_PAGE))
    assert [reply.external_id, root.external_id] == ["1745678901234567891", "1745678901234567890"]
    assert {reply.thread_key, root.thread_key} == {"1745678901234567890"}
    assert reply.in_reply_to == "1745678901234567890"
    assert root.source is Source.OWNED and root.direction is Direction.INBOUND
    assert root.author.followers == 1432 and root.author.verified
    assert root.author.handle == "priya_s"
    assert root.language == "de"
    assert root.text.count("4471") == 6  # the long post's full text (note_tweet)
    assert root.attachments == ("https://pbs.twimg.com/media/box.jpg",)
    assert root.created_at == datetime(2024, 1, 15, 10, 30, tzinfo=UTC)
    assert reply.author.followers is None  # no public_metrics for this user in includes


def test_search_results_are_earned_and_retweets_are_marked() -> None:
    [message] = CHANNEL.parse(_polled(Feed.SEARCH, SEARCH_PAGE, source="search:0"))
    assert message.source is Source.EARNED
    assert message.raw["retweet"] is True
    assert message.raw["source"] == "search:0"
    assert message.language is None


def test_own_posts_are_outbound_echoes() -> None:
    own = {"data": [{**MENTIONS_PAGE["data"][0], "author_id": BRAND}]}
    [message] = CHANNEL.parse(_polled(Feed.POSTS, own))
    assert message.direction is Direction.OUTBOUND
    assert message.thread_key == "1745678901234567890"


def test_dm_events_thread_with_the_customer_and_skip_membership_events() -> None:
    echo, customer = CHANNEL.parse(_polled(Feed.DMS, DM_PAGE))
    assert customer.direction is Direction.INBOUND
    assert customer.participant_id == CUSTOMER
    assert customer.visibility is Visibility.PRIVATE
    assert customer.author.handle == "priya_s"
    assert customer.opens_window
    assert echo.direction is Direction.OUTBOUND
    assert echo.participant_id == CUSTOMER
    assert echo.thread_key == customer.thread_key == f"{BRAND}-{CUSTOMER}"


def test_an_empty_page_has_nothing() -> None:
    assert CHANNEL.parse(_polled(Feed.MENTIONS, {"meta": {"result_count": 0}})) == []


def test_the_envelope_keeps_the_api_body_byte_for_byte() -> None:
    page = b'{"data":[],"meta":{"result_count":0}}'
    wrapped = wrap_page(PollContext(Feed.MENTIONS, BRAND, f"mentions:{BRAND}"), page)
    assert page in wrapped
    assert json.loads(wrapped)["careline_x_poll"]["account"] == BRAND


@pytest.mark.parametrize(
    "body",
    [
        b'{"careline_x_poll":{"feed":"timeline","account":"1","source":"x"},"page":{}}',
        b'{"careline_x_poll":{"feed":"mentions","account":"me","source":"x"},"page":{}}',
        b'{"careline_x_poll":{"feed":"mentions","account":"1","source":"x"},"page":[]}',
        b'{"careline_x_poll":{"feed":"mentions","account":"1","source":"x"},"page":{"data":[{"id":"5"}]}}',
        b'{"careline_x_poll":{"feed":"mentions","account":"1","source":"x"},"page":{"data":[{"id":"5","author_id":"6","created_at":"yesterday"}]}}',
    ],
)
def test_malformed_polled_pages_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        CHANNEL.parse(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
post_like = st.dictionaries(
    st.sampled_from(
        [
            "id",
            "text",
            "author_id",
            "conversation_id",
            "created_at",
            "lang",
            "referenced_tweets",
            "note_tweet",
            "attachments",
            "event_type",
            "sender_id",
            "dm_conversation_id",
            "participant_ids",
        ]
    ),
    json_values
    | st.sampled_from([BRAND, CUSTOMER, "2024-01-15T10:30:00.000Z", f"{BRAND}-{CUSTOMER}"]),
)


@settings(max_examples=200)
@given(
    feed=st.sampled_from(list(Feed)),
    page=st.fixed_dictionaries(
        {},
        optional={
            "data": st.lists(post_like, max_size=3) | json_values,
            "includes": json_values,
            "meta": json_values,
        },
    ),
)
def test_parsing_arbitrary_pages_only_raises_parse_error(feed: Feed, page: Any) -> None:
    with contextlib.suppress(ParseError):
        for message in CHANNEL.parse(_polled(feed, page)):
            assert message.account == BRAND


ids = st.integers(min_value=1, max_value=2**63 - 1).map(str)
cursors = st.one_of(
    st.builds(PollCursor, newest_id=st.none() | ids),
    st.builds(
        PollCursor,
        newest_id=ids,
        since_id=st.none() | ids,
        next_token=st.text(min_size=1, max_size=40).filter(lambda t: t.strip() == t),
    ),
)


@given(cursors)
def test_poll_cursor_round_trips(cursor: PollCursor) -> None:
    assert PollCursor.decode(cursor.encode()) == cursor


@pytest.mark.parametrize("stored", ["abc", "1;2", "x;1;tok", "1.5e18"])
def test_a_foreign_cursor_is_refused(stored: str) -> None:
    with pytest.raises(ChannelError):
        PollCursor.decode(stored)


def test_an_edited_post_in_a_page_is_an_edit_of_the_first_version() -> None:
    post = {
        **MENTIONS_PAGE["data"][0],
        "id": "1745678901234567999",
        "edit_history_tweet_ids": ["1745678901234567891", "1745678901234567999"],
    }
    [message] = CHANNEL.parse(_polled(Feed.MENTIONS, {"data": [post]}))
    assert message.kind is MessageKind.EDIT
    assert message.external_id == "1745678901234567891"
    assert message.raw["post_id"] == "1745678901234567999"
