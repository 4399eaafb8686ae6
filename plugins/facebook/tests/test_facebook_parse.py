"""Parsing Facebook deliveries: documented literal payloads, emulator output, properties."""

from __future__ import annotations

import contextlib
import json
import random
from datetime import UTC, datetime
from typing import Any

import pytest
from careline.channels import ParseError
from careline.types import Direction, MessageKind, Visibility
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    FacebookEmulatorState,
    LiveEmulator,
)
from hypothesis import given, settings
from hypothesis import strategies as st

pytest_plugins = ["careline_facebook.testing"]


PAGE = "370873143344730"
POST = f"{PAGE}_690891113073877"
COMMENT = "690891113073877_759878495960329"

# The comment delivery quoted in the platform notes (a real delivery).
DOCUMENTED_COMMENT = {
    "from": {"id": "6780462125377510", "name": "Ann Example"},
    "post": {
        "status_type": "added_video",
        "is_published": True,
        "updated_time": "2023-12-01T06:52:51+0000",
        "permalink_url": "https://www.facebook.com/370873143344730/posts/690891113073877",
        "id": POST,
    },
    "message": "My order #4411 never arrived",
    "post_id": POST,
    "comment_id": COMMENT,
    "created_time": 1701413571,
    "item": "comment",
    "parent_id": POST,
    "verb": "add",
}


def feed(value: dict[str, Any], *, page: str = PAGE) -> bytes:
    return json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": page, "time": 1701413572, "changes": [{"field": "feed", "value": value}]}
            ],
        }
    ).encode()


def messaging(*events: dict[str, Any], key: str = "messaging") -> bytes:
    return json.dumps(
        {"object": "page", "entry": [{"id": PAGE, "time": 1701413571000, key: list(events)}]}
    ).encode()


@pytest.fixture
def channel() -> FacebookChannel:
    return FacebookChannel({"page_id": PAGE, "access_token": "t", "app_secret": "s"})


# --- Page feed ---------------------------------------------------------------------------------
def test_the_documented_comment_delivery(channel: FacebookChannel) -> None:
    [message] = channel.parse(feed(DOCUMENTED_COMMENT))
    assert message.external_id == COMMENT
    assert message.account == PAGE
    assert message.text == "My order #4411 never arrived"
    assert message.author.external_id == "6780462125377510"
    assert message.author.display_name == "Ann Example"
    assert message.created_at == datetime(2023, 12, 1, 6, 52, 51, tzinfo=UTC)
    assert message.visibility is Visibility.PUBLIC
    assert message.direction is Direction.INBOUND
    assert message.thread_key == f"{POST}/{COMMENT}"
    assert message.in_reply_to == POST


def test_a_reply_threads_under_its_top_level_comment(channel: FacebookChannel) -> None:
    reply = {**DOCUMENTED_COMMENT, "comment_id": "690891113073877_1", "parent_id": COMMENT}
    [message] = channel.parse(feed(reply))
    assert message.thread_key == f"{POST}/{COMMENT}"
    assert message.in_reply_to == COMMENT


def test_the_pages_own_comment_is_an_echo(channel: FacebookChannel) -> None:
    own = {
        **DOCUMENTED_COMMENT,
        "from": {"id": PAGE, "name": "Acme"},
        "parent_id": COMMENT,
        "comment_id": "690891113073877_2",
    }
    [message] = channel.parse(feed(own))
    assert message.direction is Direction.OUTBOUND
    assert message.thread_key == f"{POST}/{COMMENT}"


@pytest.mark.parametrize(
    ("verb", "kind"), [("edited", MessageKind.EDIT), ("remove", MessageKind.DELETE)]
)
def test_edits_and_removals(channel: FacebookChannel, verb: str, kind: MessageKind) -> None:
    [message] = channel.parse(feed({**DOCUMENTED_COMMENT, "verb": verb}))
    assert message.kind is kind
    assert message.external_id == COMMENT


@pytest.mark.parametrize(
    "value",
    [
        {**DOCUMENTED_COMMENT, "verb": "hide"},
        {**DOCUMENTED_COMMENT, "verb": "unhide"},
        {
            "item": "reaction",
            "verb": "add",
            "post_id": POST,
            "reaction_type": "like",
            "from": {"id": "1"},
            "created_time": 1701413571,
        },
        {"item": "like", "verb": "add", "post_id": POST, "created_time": 1701413571},
    ],
    ids=["hide", "unhide", "reaction", "like"],
)
def test_hides_reactions_and_likes_carry_nothing(
    channel: FacebookChannel, value: dict[str, Any]
) -> None:
    assert channel.parse(feed(value)) == []


def test_a_visitor_post_is_its_own_thread(channel: FacebookChannel) -> None:
    value = {
        "from": {"id": "42", "name": "Bo"},
        "post_id": f"{PAGE}_77",
        "created_time": 1701413571,
        "item": "status",
        "verb": "add",
        "published": 1,
        "message": "Your shop is closed?",
    }
    [message] = channel.parse(feed(value))
    assert (message.external_id, message.thread_key) == (f"{PAGE}_77", f"{PAGE}_77")
    assert message.direction is Direction.INBOUND


def test_a_comment_without_author_still_arrives(channel: FacebookChannel) -> None:
    anonymous = {k: v for k, v in DOCUMENTED_COMMENT.items() if k != "from"}
    [message] = channel.parse(feed(anonymous))
    assert message.author.external_id == f"anonymous:{COMMENT}"
    assert message.direction is Direction.INBOUND


def test_photo_comments_carry_the_photo(channel: FacebookChannel) -> None:
    photo = {**DOCUMENTED_COMMENT, "photo": "https://scontent.example/receipt.jpg"}
    [message] = channel.parse(feed(photo))
    assert message.attachments == ("https://scontent.example/receipt.jpg",)


def test_other_fields_are_skipped(channel: FacebookChannel) -> None:
    body = json.dumps(
        {
            "object": "page",
            "entry": [
                {"id": PAGE, "time": 1, "changes": [{"field": "ratings", "value": {"rating": 5}}]}
            ],
        }
    ).encode()
    assert channel.parse(body) == []


# --- Messenger ---------------------------------------------------------------------------------
def test_a_messenger_message_with_an_attachment_and_a_reply(channel: FacebookChannel) -> None:
    event = {
        "sender": {"id": "2451"},
        "recipient": {"id": PAGE},
        "timestamp": 1701413571000,
        "message": {
            "mid": "m_AbC",
            "text": "Here is the receipt",
            "attachments": [
                {"type": "image", "payload": {"url": "https://x/r.png"}},
                {"type": "fallback", "payload": None},
            ],
            "reply_to": {"mid": "m_prev"},
        },
    }
    [message] = channel.parse(messaging(event))
    assert message.external_id == "m_AbC"
    assert message.visibility is Visibility.PRIVATE
    assert message.participant_id == "2451"
    assert message.attachments == ("https://x/r.png",)
    assert message.in_reply_to == "m_prev"
    assert message.opens_window
    assert message.created_at == datetime(2023, 12, 1, 6, 52, 51, tzinfo=UTC)


def test_a_messenger_echo_is_outbound_to_the_customer(channel: FacebookChannel) -> None:
    event = {
        "sender": {"id": PAGE},
        "recipient": {"id": "2451"},
        "timestamp": 1701413571000,
        "message": {"mid": "m_echo", "text": "Hello!", "is_echo": True, "app_id": 1},
    }
    [message] = channel.parse(messaging(event))
    assert message.direction is Direction.OUTBOUND
    assert message.participant_id == "2451"
    assert not message.opens_window


def test_a_postback_is_a_message_with_the_button_title(channel: FacebookChannel) -> None:
    event = {
        "sender": {"id": "2451"},
        "recipient": {"id": PAGE},
        "timestamp": 1701413571000,
        "postback": {"title": "Talk to a human", "payload": "HUMAN"},
    }
    [message] = channel.parse(messaging(event))
    assert message.text == "Talk to a human"
    assert message.external_id == "postback:2451:1701413571000"


def test_standby_events_are_read_like_messaging(channel: FacebookChannel) -> None:
    event = {
        "sender": {"id": "2451"},
        "recipient": {"id": PAGE},
        "timestamp": 1701413571000,
        "message": {"mid": "m_standby", "text": "still there?"},
    }
    [message] = channel.parse(messaging(event, key="standby"))
    assert message.external_id == "m_standby"


def test_message_edits(channel: FacebookChannel) -> None:
    event = {
        "sender": {"id": "2451"},
        "recipient": {"id": PAGE},
        "timestamp": 1701413571000,
        "message_edit": {"mid": "m_AbC", "text": "Here is the right receipt", "num_edit": 1},
    }
    [message] = channel.parse(messaging(event))
    assert (message.kind, message.external_id) == (MessageKind.EDIT, "m_AbC")


@pytest.mark.parametrize(
    "event",
    [
        {"delivery": {"mids": ["m_1"], "watermark": 1701413571000}},
        {"read": {"watermark": 1701413571000}},
        {"reaction": {"mid": "m_1", "action": "react", "emoji": "❤"}},
    ],
    ids=["delivery", "read", "reaction"],
)
def test_delivery_read_and_reaction_events_are_skipped(
    channel: FacebookChannel, event: dict[str, Any]
) -> None:
    full = {
        "sender": {"id": "2451"},
        "recipient": {"id": PAGE},
        "timestamp": 1701413571000,
        **event,
    }
    assert channel.parse(messaging(full)) == []


# --- malformed --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        b'{"object": "instagram", "entry": []}',
        b'{"object": "page", "entry": {}}',
        b'{"object": "page", "entry": [{"time": 1}]}',
        json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": PAGE,
                        "changes": [{"field": "feed", "value": {"item": "comment", "verb": "add"}}],
                    }
                ],
            }
        ).encode(),
        json.dumps(
            {
                "object": "page",
                "entry": [
                    {
                        "id": PAGE,
                        "changes": [
                            {
                                "field": "feed",
                                "value": {**DOCUMENTED_COMMENT, "created_time": "yesterday"},
                            }
                        ],
                    }
                ],
            }
        ).encode(),
        messaging({"recipient": {"id": PAGE}, "message": {"mid": "m"}}),
    ],
    ids=["text", "list", "instagram", "entry-object", "no-id", "no-ids", "bad-time", "no-sender"],
)
def test_malformed_deliveries_raise_parse_error(channel: FacebookChannel, body: bytes) -> None:
    with pytest.raises(ParseError):
        channel.parse(body)


def test_an_empty_entry_list_carries_nothing(channel: FacebookChannel) -> None:
    assert channel.parse(b'{"object": "page", "entry": []}') == []


# --- properties --------------------------------------------------------------------------------
ids = st.from_regex(r"[1-9][0-9]{5,15}", fullmatch=True)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)
feed_keys = st.sampled_from(
    [
        "from",
        "post_id",
        "comment_id",
        "parent_id",
        "created_time",
        "item",
        "verb",
        "message",
        "photo",
        "post",
    ]
)
event_keys = st.sampled_from(
    ["sender", "recipient", "timestamp", "message", "postback", "message_edit", "standby"]
)


@settings(max_examples=150)
@given(
    value=st.dictionaries(feed_keys, json_values | ids, max_size=8),
    event=st.dictionaries(event_keys, json_values, max_size=5),
    entry_extra=st.dictionaries(
        st.sampled_from(["id", "time", "changes", "messaging"]), json_values
    ),
)
def test_envelope_shaped_noise_only_raises_parse_error(
    value: dict[str, Any], event: dict[str, Any], entry_extra: dict[str, Any]
) -> None:
    channel = FacebookChannel({})
    for body in (
        feed(value),
        messaging(event),
        json.dumps({"object": "page", "entry": [{"id": PAGE, **entry_extra}]}).encode(),
    ):
        with contextlib.suppress(ParseError):
            channel.parse(body)


@settings(max_examples=100)
@given(
    post=ids,
    comment=ids,
    parent=st.none() | ids,
    author=ids,
    text=st.text(max_size=50),
    seconds=st.integers(1_000_000_000, 4_000_000_000),
    seed=st.integers(),
)
def test_comment_ids_and_threads_do_not_depend_on_key_order(
    post: str, comment: str, parent: str | None, author: str, text: str, seconds: int, seed: int
) -> None:
    post_id, comment_id = f"{PAGE}_{post}", f"{post}_{comment}"
    parent_id = f"{post}_{parent}" if parent else post_id
    value = {
        "from": {"id": author},
        "post_id": post_id,
        "comment_id": comment_id,
        "parent_id": parent_id,
        "created_time": seconds,
        "item": "comment",
        "verb": "add",
        "message": text,
    }
    shuffled = list(value.items())
    random.Random(seed).shuffle(shuffled)
    channel = FacebookChannel({})
    [first] = channel.parse(feed(value))
    [second] = channel.parse(feed(dict(shuffled)))
    assert first == second
    assert first.external_id == comment_id
    assert first.thread_key == f"{post_id}/{parent_id if parent else comment_id}"
    assert first.created_at == datetime.fromtimestamp(seconds, UTC)
    assert first.direction is (Direction.OUTBOUND if author == PAGE else Direction.INBOUND)


@settings(max_examples=60)
@given(seconds=st.integers(1_000_000_000, 4_000_000_000))
def test_seconds_and_milliseconds_give_the_same_time(seconds: int) -> None:
    channel = FacebookChannel({})
    base = {"sender": {"id": "1"}, "recipient": {"id": PAGE}, "message": {"mid": "m_1"}}
    [in_ms] = channel.parse(messaging({**base, "timestamp": seconds * 1000}))
    [in_s] = channel.parse(messaging({**base, "timestamp": seconds}))
    assert in_ms.created_at == in_s.created_at


# --- what the emulator delivers ----------------------------------------------------------------


def test_every_emulated_delivery_parses(facebook_live: LiveEmulator) -> None:
    state = facebook_live.state
    assert isinstance(state, FacebookEmulatorState)
    channel = FacebookChannel(facebook_live.channel_config("page_id", state.page_id))
    comment = facebook_live.control(
        "customer/comment",
        customer="Ann",
        message="Where is my parcel?",
        photo="https://x/parcel.jpg",
    )
    reply = facebook_live.control(
        "customer/comment", customer="Cy", message="Same here", reply_to=comment["comment_id"]
    )
    facebook_live.control(
        "customer/edit", comment_id=comment["comment_id"], message="Where is parcel 12?"
    )
    facebook_live.control("customer/remove", comment_id=reply["comment_id"])
    visitor = facebook_live.control(
        "customer/post", customer="Bo", message="Are you open on Sunday?"
    )
    dm = facebook_live.control(
        "customer/message", customer="Ann", text="Order 12", image_url="https://x/i.png"
    )
    facebook_live.control(
        "customer/postback", customer="Ann", title="Talk to a human", payload="HUMAN"
    )
    deliveries = facebook_live.take_deliveries()
    assert all(channel.verify_webhook(d) for d in deliveries)
    parsed = [m for d in deliveries for m in channel.parse(d.body)]
    summary = [(m.kind, m.direction, m.external_id, m.thread_key) for m in parsed]
    thread = f"{comment['post_id']}/{comment['comment_id']}"
    page_post = comment["post_id"]
    assert summary == [
        (MessageKind.MESSAGE, Direction.OUTBOUND, page_post, page_post),
        (MessageKind.MESSAGE, Direction.INBOUND, comment["comment_id"], thread),
        (MessageKind.MESSAGE, Direction.INBOUND, reply["comment_id"], thread),
        (MessageKind.EDIT, Direction.INBOUND, comment["comment_id"], thread),
        (MessageKind.DELETE, Direction.INBOUND, reply["comment_id"], thread),
        (MessageKind.MESSAGE, Direction.INBOUND, visitor["post_id"], visitor["post_id"]),
        (MessageKind.MESSAGE, Direction.INBOUND, dm["mid"], None),
        (MessageKind.MESSAGE, Direction.INBOUND, parsed[-1].external_id, None),
    ]
    assert parsed[1].attachments == ("https://x/parcel.jpg",)
    assert parsed[3].text == "Where is parcel 12?"
    assert parsed[6].participant_id == dm["psid"]
    assert parsed[6].attachments == ("https://x/i.png",)
    assert parsed[7].text == "Talk to a human"
