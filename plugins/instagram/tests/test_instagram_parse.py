"""Parsing Instagram deliveries: documented payloads, emulator output, properties."""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from careline.channels import ParseError
from careline.types import Direction, MessageKind, Visibility
from careline_facebook.emulator import LiveEmulator
from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState
from hypothesis import given, settings
from hypothesis import strategies as st

pytest_plugins = ["careline_instagram.testing"]

ACCOUNT = "17841400008460056"
MEDIA = "17887498072083520"
COMMENT = "17865799348089039"
ENTRY_TIME = 1701413571


def changes(field: str, value: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "object": "instagram",
            "entry": [
                {"id": ACCOUNT, "time": ENTRY_TIME, "changes": [{"field": field, "value": value}]}
            ],
        }
    ).encode()


def direct(
    message: dict[str, Any], *, sender: str = "1234567890123456", recipient: str = ACCOUNT
) -> bytes:

    event = {
        "sender": {"id": sender},
        "recipient": {"id": recipient},
        "timestamp": 1701413571000,
        "message": message,
    }
    return json.dumps(
        {
            "object": "instagram",
            "entry": [{"id": ACCOUNT, "time": 1701413571000, "messaging": [event]}],
        }
    ).encode()


# The comment value documented in the platform notes.
DOCUMENTED_COMMENT = {
    "id": COMMENT,
    "text": "Is the blue one back in stock?",
    "from": {"id": "1234567890123456", "username": "ann.example"},
    "media": {"id": MEDIA, "media_product_type": "FEED"},
}


@pytest.fixture
def channel() -> InstagramChannel:
    return InstagramChannel({"ig_user_id": ACCOUNT, "access_token": "t", "app_secret": "s"})


def test_the_documented_comment(channel: InstagramChannel) -> None:
    [message] = channel.parse(changes("comments", DOCUMENTED_COMMENT))
    assert message.external_id == COMMENT
    assert message.text == "Is the blue one back in stock?"
    assert (message.author.external_id, message.author.handle) == (
        "1234567890123456",
        "ann.example",
    )
    assert message.thread_key == f"{MEDIA}/{COMMENT}"
    assert message.in_reply_to == MEDIA
    assert message.created_at == datetime.fromtimestamp(ENTRY_TIME, UTC)
    assert (message.visibility, message.direction) == (Visibility.PUBLIC, Direction.INBOUND)


def test_a_reply_threads_under_the_top_level_comment(channel: InstagramChannel) -> None:
    reply = {**DOCUMENTED_COMMENT, "id": "17865799348000002", "parent_id": COMMENT}
    [message] = channel.parse(changes("comments", reply))
    assert (message.thread_key, message.in_reply_to) == (f"{MEDIA}/{COMMENT}", COMMENT)


def test_the_brands_own_comment_is_an_echo(channel: InstagramChannel) -> None:
    own = {
        **DOCUMENTED_COMMENT,
        "from": {"id": ACCOUNT, "username": "acme.care"},
        "parent_id": COMMENT,
        "id": "17865799348000003",
    }
    [message] = channel.parse(changes("comments", own))
    assert message.direction is Direction.OUTBOUND


def test_live_comments_are_comments(channel: InstagramChannel) -> None:
    [message] = channel.parse(changes("live_comments", DOCUMENTED_COMMENT))
    assert message.external_id == COMMENT


def test_other_fields_carry_nothing(channel: InstagramChannel) -> None:
    assert channel.parse(changes("story_insights", {"media_id": MEDIA, "reach": 4})) == []


def test_a_direct_message(channel: InstagramChannel) -> None:
    [message] = channel.parse(direct({"mid": "aWdfZAG1faXRlbTo", "text": "Do you ship to Oslo?"}))
    assert (message.external_id, message.participant_id) == ("aWdfZAG1faXRlbTo", "1234567890123456")
    assert message.visibility is Visibility.PRIVATE
    assert message.opens_window


def test_a_story_mention_opens_the_window(channel: InstagramChannel) -> None:
    body = direct(
        {
            "mid": "m_story",
            "attachments": [
                {"type": "story_mention", "payload": {"url": "https://lookaside.example/story"}}
            ],
        }
    )
    [message] = channel.parse(body)
    assert message.attachments == ("https://lookaside.example/story",)
    assert message.opens_window
    assert message.direction is Direction.INBOUND


def test_a_story_reply_points_at_the_story(channel: InstagramChannel) -> None:
    body = direct(
        {
            "mid": "m_reply",
            "text": "Love this!",
            "reply_to": {
                "story": {"id": "17900000000000001", "url": "https://lookaside.example/s1"}
            },
        }
    )
    [message] = channel.parse(body)
    assert message.in_reply_to == "17900000000000001"
    assert message.attachments == ("https://lookaside.example/s1",)


def test_an_unsent_message_is_a_removal(channel: InstagramChannel) -> None:
    [message] = channel.parse(direct({"mid": "m_gone", "is_deleted": True}))
    assert (message.kind, message.external_id) == (MessageKind.DELETE, "m_gone")
    assert not message.opens_window


def test_a_direct_echo_is_outbound(channel: InstagramChannel) -> None:
    body = direct(
        {"mid": "m_echo", "text": "We do!", "is_echo": True},
        sender=ACCOUNT,
        recipient="1234567890123456",
    )
    [message] = channel.parse(body)
    assert (message.direction, message.participant_id) == (Direction.OUTBOUND, "1234567890123456")


@pytest.mark.parametrize(
    "body",
    [
        b'{"object": "page", "entry": []}',
        changes("comments", {"id": COMMENT, "text": "no media"}),
        changes("comments", {"media": {"id": MEDIA}, "text": "no id"}),
        changes("mentions", {"comment_id": COMMENT}),
        b"\xff\xfe",
    ],
    ids=["page-object", "no-media", "no-id", "mention-without-media", "bytes"],
)
def test_malformed_deliveries_raise_parse_error(channel: InstagramChannel, body: bytes) -> None:
    with pytest.raises(ParseError):
        channel.parse(body)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=120)
@given(
    field=st.sampled_from(["comments", "live_comments", "other"]),
    value=st.dictionaries(
        st.sampled_from(["id", "text", "from", "media", "parent_id", "timestamp"]),
        json_values,
        max_size=6,
    ),
    message=st.dictionaries(
        st.sampled_from(["mid", "text", "attachments", "reply_to", "is_echo", "is_deleted"]),
        json_values,
        max_size=6,
    ),
)
def test_instagram_shaped_noise_only_raises_parse_error(
    field: str, value: dict[str, Any], message: dict[str, Any]
) -> None:
    channel = InstagramChannel({})
    for body in (changes(field, value), direct(message)):
        with contextlib.suppress(ParseError):
            channel.parse(body)


# --- emulator output -----------------------------------------------------------------------------


def test_every_emulated_delivery_parses(instagram_live: LiveEmulator) -> None:
    state = instagram_live.state
    assert isinstance(state, InstagramEmulatorState)
    channel = InstagramChannel(instagram_live.channel_config("ig_user_id", state.ig_user_id))
    top = instagram_live.control("customer/comment", customer="ann", text="In stock?")
    reply = instagram_live.control(
        "customer/comment", customer="bo", text="+1", reply_to=top["comment_id"]
    )
    dm = instagram_live.control(
        "customer/message", customer="ann", text="Size M?", image_url="https://x/m.jpg"
    )
    story = instagram_live.control(
        "customer/story_mention", customer="cy", story_url="https://x/story"
    )
    instagram_live.control("customer/unsend", customer="ann", mid=dm["mid"])
    deliveries = instagram_live.take_deliveries()
    assert all(channel.verify_webhook(d) for d in deliveries)
    parsed = [m for d in deliveries for m in channel.parse(d.body)]
    thread = f"{top['media_id']}/{top['comment_id']}"
    assert [(m.kind, m.external_id, m.thread_key) for m in parsed] == [
        (MessageKind.MESSAGE, top["comment_id"], thread),
        (MessageKind.MESSAGE, reply["comment_id"], thread),
        (MessageKind.MESSAGE, dm["mid"], None),
        (MessageKind.MESSAGE, story["mid"], None),
        (MessageKind.DELETE, dm["mid"], None),
    ]
    assert parsed[2].attachments == ("https://x/m.jpg",)
    assert parsed[3].attachments == ("https://x/story",)
    assert parsed[3].participant_id == story["igsid"]
