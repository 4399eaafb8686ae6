"""Parsing Account Activity deliveries (v1.1 shapes): documented payloads and properties."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from careline.channels import ParseError
from careline.types import Direction, MessageKind, Source, Visibility
from careline_twitter.channel import TwitterChannel
from hypothesis import given, settings
from hypothesis import strategies as st

BRAND = "1096512346753417216"
CUSTOMER = "1181234567890123456"
OTHER_BRAND = "1200000000000000001"
CHANNEL = TwitterChannel({})

# Shapes as X documents them for Account Activity (v1.1 objects; ids beyond 2^53).
MENTION = {
    "for_user_id": BRAND,
    "user_has_blocked": "false",
    "tweet_create_events": [
        {
            "created_at": "Fri Dec 13 04:48:09 +0000 2019",
            "id": 1205364937337581569,
            "id_str": "1205364937337581569",
            "text": "@acmecare my parcel has been stuck in Leeds for a week, order 88123",
            "truncated": False,
            "in_reply_to_status_id": None,
            "in_reply_to_status_id_str": None,
            "in_reply_to_user_id": 1096512346753417216,
            "in_reply_to_user_id_str": BRAND,
            "in_reply_to_screen_name": "acmecare",
            "user": {
                "id": 1181234567890123456,
                "id_str": CUSTOMER,
                "name": "Priya S.",
                "screen_name": "priya_s",
                "followers_count": 1432,
                "verified": False,
            },
            "entities": {
                "hashtags": [],
                "urls": [],
                "user_mentions": [{"screen_name": "acmecare", "id_str": BRAND, "indices": [0, 9]}],
            },
            "lang": "en",
            "timestamp_ms": "1576212489660",
        }
    ],
}

LONG_REPLY = {
    "for_user_id": BRAND,
    "user_has_blocked": True,
    "tweet_create_events": [
        {
            "created_at": "Fri Dec 13 05:01:00 +0000 2019",
            "id": 1205368170000000000,
            "id_str": "1205368170000000001",
            "text": "@acmecare still nothing. I have called three times and every time…",
            "truncated": True,
            "extended_tweet": {
                "full_text": "@acmecare still nothing. I have called three times and every time "
                "I am told it will come tomorrow. This is the third tomorrow. I need it "
                "for my daughter's birthday on Saturday. Can someone actually look?"
            },
            "in_reply_to_status_id": 1205364937337581569,
            "in_reply_to_status_id_str": "1205364937337581569",
            "in_reply_to_user_id_str": BRAND,
            "user": {"id_str": CUSTOMER, "screen_name": "priya_s", "name": "Priya S."},
            "lang": "und",
        }
    ],
}

DIRECT_MESSAGE = {
    "for_user_id": BRAND,
    "direct_message_events": [
        {
            "type": "message_create",
            "id": "1206000000000000001",
            "created_timestamp": "1516403560557",
            "message_create": {
                "target": {"recipient_id": BRAND},
                "sender_id": CUSTOMER,
                "message_data": {"text": "My email is priya@example.com", "entities": {}},
            },
        }
    ],
    "users": {
        CUSTOMER: {
            "id": CUSTOMER,
            "screen_name": "priya_s",
            "name": "Priya S.",
            "followers_count": 1432,
        },
        BRAND: {"id": BRAND, "screen_name": "acmecare", "name": "Acme Care", "followers_count": 0},
    },
}

DELETION = {
    "for_user_id": BRAND,
    "tweet_delete_events": [
        {
            "status": {"id": "1205364937337581569", "user_id": CUSTOMER},
            "timestamp_ms": "1576213000000",
        }
    ],
}


def _parse(document: Any) -> list[Any]:
    return CHANNEL.parse(json.dumps(document).encode())


def test_a_mention_is_an_owned_public_customer_message() -> None:
    [message] = _parse(MENTION)
    assert message.channel == "twitter"
    assert message.account == BRAND
    assert message.external_id == "1205364937337581569"
    assert message.direction is Direction.INBOUND
    assert message.visibility is Visibility.PUBLIC
    assert message.source is Source.OWNED
    assert message.thread_key == "1205364937337581569"  # a root post is its own conversation
    assert message.in_reply_to is None
    assert message.created_at == datetime(2019, 12, 13, 4, 48, 9, tzinfo=UTC)
    assert message.language == "en"
    assert message.author.handle == "priya_s"
    assert message.author.followers == 1432
    assert message.raw["user_has_blocked"] is False
    assert message.raw["retweet"] is False
    assert message.raw["conversation_id_known"] is True


def test_a_long_reply_uses_the_full_text_and_threads_under_the_post_it_answers() -> None:
    [message] = _parse(LONG_REPLY)
    assert message.text.endswith("Can someone actually look?")
    assert message.external_id == "1205368170000000001"  # id_str beats the numeric id
    assert message.in_reply_to == "1205364937337581569"
    assert message.thread_key == "1205364937337581569"
    assert message.raw["conversation_id_known"] is False
    assert message.language is None  # "und"
    assert message.raw["user_has_blocked"] is True


def test_a_customer_dm_opens_a_private_thread_with_the_customer() -> None:
    [message] = _parse(DIRECT_MESSAGE)
    assert message.visibility is Visibility.PRIVATE
    assert message.direction is Direction.INBOUND
    assert message.participant_id == CUSTOMER
    assert message.thread_key == f"{BRAND}-{CUSTOMER}"
    assert message.opens_window is True
    assert message.author.handle == "priya_s"
    assert message.created_at == datetime(2018, 1, 19, 23, 12, 40, 557000, tzinfo=UTC)


def test_the_brands_own_dm_is_an_echo_to_the_customer() -> None:
    event = json.loads(json.dumps(DIRECT_MESSAGE))
    create = event["direct_message_events"][0]["message_create"]
    create["sender_id"], create["target"]["recipient_id"] = BRAND, CUSTOMER
    [message] = _parse(event)
    assert message.direction is Direction.OUTBOUND
    assert message.participant_id == CUSTOMER
    assert message.opens_window is False


def test_the_brands_own_post_is_an_outbound_echo() -> None:
    reply = json.loads(json.dumps(MENTION))
    tweet = reply["tweet_create_events"][0]
    tweet["user"] = {"id_str": BRAND, "screen_name": "acmecare", "name": "Acme Care"}
    tweet["in_reply_to_status_id_str"] = "1205364937337581569"
    del reply["user_has_blocked"]
    [message] = _parse(reply)
    assert message.direction is Direction.OUTBOUND
    assert message.in_reply_to == "1205364937337581569"


def test_a_deletion_marks_the_post_deleted() -> None:
    [message] = _parse(DELETION)
    assert message.kind is MessageKind.DELETE
    assert message.external_id == "1205364937337581569"
    assert message.author.external_id == CUSTOMER
    assert message.direction is Direction.INBOUND


def test_each_brand_account_gets_its_own_delivery() -> None:
    other = json.loads(json.dumps(MENTION))
    other["for_user_id"] = OTHER_BRAND
    assert {m.account for m in _parse(MENTION) + _parse(other)} == {BRAND, OTHER_BRAND}


@pytest.mark.parametrize(
    "event",
    [
        "favorite_events",
        "follow_events",
        "block_events",
        "direct_message_indicate_typing_events",
        "direct_message_mark_read_events",
    ],
)
def test_events_without_a_message_are_ignored(event: str) -> None:
    assert _parse({"for_user_id": BRAND, event: [{"created_timestamp": "1516403560557"}]}) == []


def test_retweets_are_parsed_but_marked() -> None:
    retweet = json.loads(json.dumps(MENTION))
    retweet["tweet_create_events"][0]["text"] = "RT @acmecare: Our winter sale starts today"
    [by_text] = _parse(retweet)
    retweet["tweet_create_events"][0]["text"] = "Our winter sale starts today"
    retweet["tweet_create_events"][0]["retweeted_status"] = {"id_str": "1205000000000000000"}
    [by_object] = _parse(retweet)
    assert by_text.raw["retweet"] and by_object.raw["retweet"]


def test_a_numeric_only_id_beyond_2_53_stays_exact() -> None:
    body = (
        b'{"for_user_id":"1096512346753417216","tweet_create_events":[{"id":1205364937337581569,'
        b'"text":"@acmecare hello","user":{"id":1181234567890123456,"screen_name":"priya_s"},'
        b'"created_at":"Fri Dec 13 04:48:09 +0000 2019"}]}'
    )
    [message] = CHANNEL.parse(body)
    assert message.external_id == "1205364937337581569"
    assert message.author.external_id == "1181234567890123456"


def test_a_float_id_is_refused_rather_than_rounded() -> None:
    body = b'{"for_user_id":"1","tweet_create_events":[{"id":1.2053649373375816e18,"text":"x","user":{"id_str":"2"}}]}'
    with pytest.raises(ParseError, match="not an X id"):
        CHANNEL.parse(body)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"not json",
        b"[]",
        b'{"something":"else"}',
        b'{"for_user_id":"abc"}',
        b'{"for_user_id":"1","tweet_create_events":{}}',
        b'{"for_user_id":"1","tweet_create_events":[{"id_str":"5"}]}',
        b'{"for_user_id":"1","user_has_blocked":"maybe"}',
        b'{"for_user_id":"1","tweet_delete_events":[{"status":{"id":"5"}}]}',
        b"\xff\xfe",
    ],
)
def test_malformed_deliveries_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        CHANNEL.parse(body)


def test_delivery_key_is_stable_per_event_and_differs_between_events() -> None:
    body = json.dumps(MENTION).encode()
    reordered = json.dumps(MENTION, indent=2, sort_keys=True).encode()
    assert CHANNEL.delivery_key(body) == CHANNEL.delivery_key(reordered)
    assert CHANNEL.delivery_key(body) != CHANNEL.delivery_key(json.dumps(LONG_REPLY).encode())
    assert CHANNEL.delivery_key(b"garbage") == CHANNEL.delivery_key(b"garbage")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=25,
)
activity_like = st.fixed_dictionaries(
    {"for_user_id": st.one_of(st.just(BRAND), json_values)},
    optional={
        "tweet_create_events": st.lists(
            st.dictionaries(
                st.sampled_from(
                    [
                        "id",
                        "id_str",
                        "text",
                        "user",
                        "created_at",
                        "extended_tweet",
                        "in_reply_to_status_id_str",
                        "lang",
                        "timestamp_ms",
                    ]
                ),
                json_values,
            ),
            max_size=2,
        )
        | json_values,
        "direct_message_events": st.lists(
            st.fixed_dictionaries(
                {"type": st.just("message_create")},
                optional={
                    "id": json_values,
                    "message_create": json_values,
                    "created_timestamp": json_values,
                },
            ),
            max_size=2,
        ),
        "tweet_delete_events": json_values,
        "user_has_blocked": json_values,
        "users": json_values,
    },
)


@settings(max_examples=300)
@given(document=st.one_of(json_values, activity_like))
def test_parsing_arbitrary_json_only_raises_parse_error(document: Any) -> None:
    body = json.dumps(document).encode()
    with contextlib.suppress(ParseError):
        for message in CHANNEL.parse(body):
            assert message.external_id.isdigit()
            assert message.created_at.tzinfo is not None
    CHANNEL.delivery_key(body)


@given(
    real_id=st.integers(min_value=2**53, max_value=2**63 - 1),
    numeric=st.one_of(
        st.integers(min_value=0, max_value=2**63 - 1), st.floats(allow_nan=False), st.none()
    ),
)
def test_id_str_beats_the_numeric_id(real_id: int, numeric: Any) -> None:
    tweet = {
        "id": numeric,
        "id_str": str(real_id),
        "text": "@acmecare hi",
        "user": {"id": 1.5e18, "id_str": CUSTOMER},
        "created_at": "Fri Dec 13 04:48:09 +0000 2019",
    }
    [message] = _parse({"for_user_id": BRAND, "tweet_create_events": [tweet]})
    assert message.external_id == str(real_id)
    assert message.author.external_id == CUSTOMER


def test_an_edited_post_is_an_edit_of_the_first_version() -> None:
    edited = json.loads(json.dumps(MENTION))
    tweet = edited["tweet_create_events"][0]
    tweet.update(
        id_str="1205364999999999999",
        text="@acmecare my parcel has been stuck in Leeds for a week, order 88124 (typo)",
        edit_history={
            "initial_tweet_id": "1205364937337581569",
            "edit_tweet_ids": ["1205364937337581569", "1205364999999999999"],
        },
    )
    [message] = _parse(edited)
    assert message.kind is MessageKind.EDIT
    assert message.external_id == "1205364937337581569"
    assert message.raw["post_id"] == "1205364999999999999"
    assert message.text.endswith("(typo)")
