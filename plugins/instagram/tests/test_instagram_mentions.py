"""Mentions: the text is fetched while parsing, failures dead-letter, answers go where asked."""

from __future__ import annotations

import pytest
from careline.channels import OutboundMessage, ParseError
from careline.types import Direction, Source, Visibility
from careline_facebook.emulator import LiveEmulator
from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState
from careline_instagram.mentions import MentionFetchError, mention_thread, parse_mention_thread
from hypothesis import given
from hypothesis import strategies as st

pytest_plugins = ["careline_instagram.testing"]


def test_a_comment_mention_arrives_with_its_text(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:

    mention = instagram_live.control(
        "customer/mention", customer="cy.example", text="@acme.care my lamp arrived broken"
    )
    [delivery] = instagram_live.take_deliveries()
    assert "broken" not in delivery.body.decode()  # the delivery carries ids only
    [message] = instagram_channel.parse(delivery.body)
    assert message.text == "@acme.care my lamp arrived broken"
    assert message.external_id == mention["comment_id"]
    assert (message.author.handle, message.author.external_id) == (
        "cy.example",
        "username:cy.example",
    )
    assert message.thread_key == f"mention:{mention['media_id']}/{mention['comment_id']}"
    assert (message.visibility, message.source, message.direction) == (
        Visibility.PUBLIC,
        Source.OWNED,
        Direction.INBOUND,
    )
    assert message.created_at == instagram_state.now()


def test_a_caption_mention_arrives_with_the_caption(
    instagram_live: LiveEmulator, instagram_channel: InstagramChannel
) -> None:
    mention = instagram_live.control(
        "customer/mention", customer="dee", text="Sunday with my @acme.care mug", in_caption=True
    )
    [message] = instagram_channel.parse(instagram_live.take_deliveries()[-1].body)
    assert message.text == "Sunday with my @acme.care mug"
    assert message.external_id == mention["media_id"]
    assert message.thread_key == f"mention:{mention['media_id']}"


def test_an_expired_token_dead_letters_the_mention(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    instagram_live.control("customer/mention", customer="cy", text="@acme.care hello?")
    delivery = instagram_live.take_deliveries()[-1]
    instagram_live.control("tokens/expire", access_token=instagram_state.token)
    with pytest.raises(MentionFetchError) as caught:
        instagram_channel.parse(delivery.body)
    assert isinstance(caught.value, ParseError)
    assert caught.value.needs_reconnect
    assert "careline events replay" in str(caught.value)
    fresh = instagram_live.control("tokens", account=instagram_state.ig_user_id)["access_token"]
    replayed = InstagramChannel(
        instagram_live.channel_config("ig_user_id", instagram_state.ig_user_id, access_token=fresh)
    ).parse(delivery.body)
    assert replayed[0].text == "@acme.care hello?"


def test_a_rate_limited_fetch_is_marked_transient(
    instagram_live: LiveEmulator, instagram_channel: InstagramChannel
) -> None:
    instagram_live.control("customer/mention", customer="cy", text="@acme.care hello?")
    delivery = instagram_live.take_deliveries()[-1]
    instagram_live.control("fail", code=4)
    with pytest.raises(MentionFetchError) as caught:
        instagram_channel.parse(delivery.body)
    assert caught.value.transient
    assert instagram_channel.parse(delivery.body)[0].text == "@acme.care hello?"


def test_answering_a_mention_posts_where_it_was_made(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    mention = instagram_live.control(
        "customer/mention", customer="cy", text="@acme.care broken lamp"
    )
    [message] = instagram_channel.parse(instagram_live.take_deliveries()[-1].body)
    sent = instagram_channel.send(
        OutboundMessage(
            channel="instagram",
            account=instagram_state.ig_user_id,
            text="So sorry! Please DM us your order number.",
            visibility=Visibility.PUBLIC,
            idempotency_key="m1",
            in_reply_to=message.external_id,
            thread_key=message.thread_key,
        )
    )
    answer = instagram_state.comments[sent.external_id]
    assert (answer.media_id, answer.parent_id, answer.author) == (
        mention["media_id"],
        mention["comment_id"],
        instagram_state.ig_user_id,
    )
    assert ("POST", f"/v21.0/{instagram_state.ig_user_id}/mentions") in instagram_state.requests


def test_answering_a_caption_mention_comments_on_the_media(
    instagram_live: LiveEmulator,
    instagram_channel: InstagramChannel,
    instagram_state: InstagramEmulatorState,
) -> None:
    mention = instagram_live.control(
        "customer/mention", customer="dee", text="My @acme.care mug", in_caption=True
    )
    sent = instagram_channel.send(
        OutboundMessage(
            channel="instagram",
            account=instagram_state.ig_user_id,
            text="Looks great!",
            visibility=Visibility.PUBLIC,
            idempotency_key="m2",
            thread_key=mention_thread(mention["media_id"], None),
        )
    )
    answer = instagram_state.comments[sent.external_id]
    assert (answer.media_id, answer.parent_id) == (mention["media_id"], None)


@given(
    media=st.from_regex(r"[0-9]{5,17}", fullmatch=True),
    comment=st.none() | st.from_regex(r"[0-9]{5,17}", fullmatch=True),
)
def test_mention_threads_round_trip(media: str, comment: str | None) -> None:
    assert parse_mention_thread(mention_thread(media, comment)) == (media, comment)
    assert parse_mention_thread(f"{media}/{comment}") is None
