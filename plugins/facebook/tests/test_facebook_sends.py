"""Sending over loopback: public replies, private replies, Messenger, hiding, refusals."""

from __future__ import annotations

import pytest
from careline.channels import OutboundMessage, SendError
from careline.types import Direction, Visibility
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    FacebookEmulatorState,
    LiveEmulator,
)

pytest_plugins = ["careline_facebook.testing"]


def reply(facebook_channel: FacebookChannel, text: str, **fields: str | None) -> OutboundMessage:
    visibility = Visibility.PUBLIC if fields.pop("public", "yes") else Visibility.PRIVATE
    return OutboundMessage(
        channel="facebook",
        account=facebook_channel.account_id or "",
        text=text,
        visibility=visibility,
        idempotency_key=text,
        **fields,
    )


def refused(facebook_channel: FacebookChannel, message: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as caught:
        facebook_channel.send(message)
    return caught.value


def test_a_public_reply_comes_back_as_an_echo_with_the_same_id(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    comment = facebook_live.control("customer/comment", customer="Ann", message="Parcel missing")
    [inbound] = facebook_channel.parse(facebook_live.take_deliveries()[-1].body)
    sent = facebook_channel.send(
        reply(
            facebook_channel,
            "So sorry Ann, checking",
            in_reply_to=inbound.external_id,
            thread_key=inbound.thread_key,
        )
    )
    [echo] = facebook_channel.parse(facebook_live.take_deliveries()[-1].body)
    assert echo.external_id == sent.external_id
    assert echo.direction is Direction.OUTBOUND
    assert echo.thread_key == inbound.thread_key
    assert facebook_state.comments[sent.external_id].parent_id == comment["comment_id"]


def test_a_reply_to_a_reply_stays_in_the_thread(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    top = facebook_live.control("customer/comment", customer="Ann", message="Parcel missing")
    nested = facebook_live.control(
        "customer/comment", customer="Bo", message="Same", reply_to=top["comment_id"]
    )
    facebook_live.take_deliveries()
    sent = facebook_channel.send(
        reply(facebook_channel, "Both checked", in_reply_to=nested["comment_id"])
    )
    [echo] = facebook_channel.parse(facebook_live.take_deliveries()[-1].body)
    assert echo.thread_key == f"{top['post_id']}/{top['comment_id']}"
    assert facebook_state.comments[sent.external_id].parent_id == top["comment_id"]


def test_the_thread_key_is_enough_to_find_the_comment(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    top = facebook_live.control("customer/comment", customer="Ann", message="Parcel missing")
    sent = facebook_channel.send(
        reply(facebook_channel, "On it", thread_key=f"{top['post_id']}/{top['comment_id']}")
    )
    assert facebook_state.comments[sent.external_id].parent_id == top["comment_id"]


def test_a_public_reply_needs_a_target(facebook_channel: FacebookChannel) -> None:
    error = refused(facebook_channel, reply(facebook_channel, "Hello?"))
    assert (error.transient, error.code) == (False, "no-target")


def test_a_private_reply_lands_in_messenger(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    comment = facebook_live.control(
        "customer/comment", customer="Ann", message="My card was charged twice"
    )
    facebook_live.take_deliveries()
    sent = facebook_channel.send(
        reply(
            facebook_channel,
            "Could you DM us the last 4 digits?",
            public=None,
            private_reply_to=comment["comment_id"],
        )
    )
    [echo] = facebook_channel.parse(facebook_live.take_deliveries()[-1].body)
    ann = facebook_state.customer("Ann")
    assert (echo.external_id, echo.participant_id) == (sent.external_id, ann.psid)
    assert echo.visibility is Visibility.PRIVATE
    assert echo.direction is Direction.OUTBOUND
    second = refused(
        facebook_channel,
        reply(facebook_channel, "Again", public=None, private_reply_to=comment["comment_id"]),
    )
    assert (second.transient, second.needs_reconnect, second.code) == (False, False, "10900")


def test_a_messenger_reply_defaults_to_response(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    psid = facebook_live.control("customer/message", customer="Ann", text="Hi")["psid"]
    sent = facebook_channel.send(
        reply(facebook_channel, "Hello Ann!", public=None, recipient_id=psid)
    )
    thread = facebook_state.messaging.threads[(facebook_state.page_id, psid)]
    assert thread.messages[-1].mid == sent.external_id


def test_messenger_text_over_2000_characters_is_refused(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel
) -> None:
    psid = facebook_live.control("customer/message", customer="Ann", text="Hi")["psid"]
    error = refused(
        facebook_channel, reply(facebook_channel, "x" * 2001, public=None, recipient_id=psid)
    )
    assert (error.transient, error.code) == (False, "100")
    assert (
        facebook_channel.count_length("x" * 2000)
        <= facebook_channel.manifest.max_length[Visibility.PRIVATE]
    )


def test_an_unavailable_person_is_definitive(
    facebook_live: LiveEmulator, facebook_channel: FacebookChannel
) -> None:
    psid = facebook_live.control("customer/message", customer="Ann", text="Hi")["psid"]
    facebook_live.control("customer/unavailable", customer="Ann")
    error = refused(
        facebook_channel, reply(facebook_channel, "Hello", public=None, recipient_id=psid)
    )
    assert (error.transient, error.needs_reconnect, error.code) == (False, False, "551/1545041")


def test_private_messages_need_a_recipient_and_tags_need_a_tag(
    facebook_channel: FacebookChannel,
) -> None:
    assert (
        refused(facebook_channel, reply(facebook_channel, "hi", public=None)).code == "no-recipient"
    )
    tagged = reply(
        facebook_channel, "hi", public=None, recipient_id="1", messaging_type="MESSAGE_TAG"
    )
    assert refused(facebook_channel, tagged).code == "no-tag"


def test_a_reply_for_another_page_is_refused(facebook_channel: FacebookChannel) -> None:
    message = OutboundMessage(
        channel="facebook",
        account="999",
        text="hi",
        visibility=Visibility.PUBLIC,
        idempotency_key="x",
        in_reply_to="1_2",
    )
    assert refused(facebook_channel, message).code == "wrong-account"


def test_hiding_a_comment(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    comment = facebook_live.control(
        "customer/comment", customer="Spammer", message="Cheap watches!!!"
    )
    facebook_live.take_deliveries()
    facebook_channel.hide(comment["comment_id"], account=facebook_state.page_id)
    assert facebook_state.comments[comment["comment_id"]].hidden
    [hide_delivery] = facebook_live.take_deliveries()
    assert facebook_channel.parse(hide_delivery.body) == []
    assert facebook_channel.manifest.hide


def test_hiding_an_unknown_comment_fails_definitively(facebook_channel: FacebookChannel) -> None:
    with pytest.raises(SendError) as caught:
        facebook_channel.hide("1_404", account=facebook_channel.account_id or "")
    assert not caught.value.transient


def test_check_connection_names_the_page(facebook_channel: FacebookChannel) -> None:
    assert facebook_channel.check_connection() == "Acme Care"


def test_a_visitor_post_is_answered_with_a_comment_under_it(
    facebook_live: LiveEmulator,
    facebook_channel: FacebookChannel,
    facebook_state: FacebookEmulatorState,
) -> None:
    facebook_live.control("customer/post", customer="Bo", message="Are you open on Sunday?")
    [post] = facebook_channel.parse(facebook_live.take_deliveries()[-1].body)
    sent = facebook_channel.send(
        reply(
            facebook_channel,
            "Yes, 10:00 to 16:00!",
            in_reply_to=post.external_id,
            thread_key=post.thread_key,
        )
    )
    comment = facebook_state.comments[sent.external_id]
    assert (comment.post_id, comment.parent_id) == (post.external_id, post.external_id)
