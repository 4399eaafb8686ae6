"""Sending over loopback: public replies, private replies, Messenger, hiding, refusals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from careline.channels import OutboundMessage, SendError
from careline.clock import FrozenClock
from careline.types import Direction, Visibility
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    EmulatorServers,
    FacebookEmulatorState,
    LiveEmulator,
    create_emulator,
    serve_emulator,
)


@pytest.fixture(scope="module")
def servers() -> Iterator[EmulatorServers]:
    with serve_emulator(create_emulator()) as running:
        yield running


@pytest.fixture
def state() -> FacebookEmulatorState:
    return FacebookEmulatorState(clock=FrozenClock())


@pytest.fixture
def live(servers: EmulatorServers, state: FacebookEmulatorState) -> LiveEmulator:
    return servers.attach(state)


@pytest.fixture
def channel(live: LiveEmulator, state: FacebookEmulatorState) -> FacebookChannel:
    return FacebookChannel(live.channel_config("page_id", state.page_id), clock=state.clock)


def reply(channel: FacebookChannel, text: str, **fields: str | None) -> OutboundMessage:
    visibility = Visibility.PUBLIC if fields.pop("public", "yes") else Visibility.PRIVATE
    return OutboundMessage(
        channel="facebook",
        account=channel.account_id or "",
        text=text,
        visibility=visibility,
        idempotency_key=text,
        **fields,
    )


def refused(channel: FacebookChannel, message: OutboundMessage) -> SendError:
    with pytest.raises(SendError) as caught:
        channel.send(message)
    return caught.value


def test_a_public_reply_comes_back_as_an_echo_with_the_same_id(
    live: LiveEmulator, channel: FacebookChannel, state: FacebookEmulatorState
) -> None:
    comment = live.control("customer/comment", customer="Ann", message="Parcel missing")
    [inbound] = channel.parse(live.take_deliveries()[-1].body)
    sent = channel.send(
        reply(
            channel,
            "So sorry Ann, checking",
            in_reply_to=inbound.external_id,
            thread_key=inbound.thread_key,
        )
    )
    [echo] = channel.parse(live.take_deliveries()[-1].body)
    assert echo.external_id == sent.external_id
    assert echo.direction is Direction.OUTBOUND
    assert echo.thread_key == inbound.thread_key
    assert state.comments[sent.external_id].parent_id == comment["comment_id"]


def test_a_reply_to_a_reply_stays_in_the_thread(
    live: LiveEmulator, channel: FacebookChannel, state: FacebookEmulatorState
) -> None:
    top = live.control("customer/comment", customer="Ann", message="Parcel missing")
    nested = live.control(
        "customer/comment", customer="Bo", message="Same", reply_to=top["comment_id"]
    )
    live.take_deliveries()
    sent = channel.send(reply(channel, "Both checked", in_reply_to=nested["comment_id"]))
    [echo] = channel.parse(live.take_deliveries()[-1].body)
    assert echo.thread_key == f"{top['post_id']}/{top['comment_id']}"
    assert state.comments[sent.external_id].parent_id == top["comment_id"]


def test_the_thread_key_is_enough_to_find_the_comment(
    live: LiveEmulator, channel: FacebookChannel, state: FacebookEmulatorState
) -> None:
    top = live.control("customer/comment", customer="Ann", message="Parcel missing")
    sent = channel.send(reply(channel, "On it", thread_key=f"{top['post_id']}/{top['comment_id']}"))
    assert state.comments[sent.external_id].parent_id == top["comment_id"]


def test_a_public_reply_needs_a_target(channel: FacebookChannel) -> None:
    error = refused(channel, reply(channel, "Hello?"))
    assert (error.transient, error.code) == (False, "no-target")


def test_a_private_reply_lands_in_messenger(
    live: LiveEmulator, channel: FacebookChannel, state: FacebookEmulatorState
) -> None:
    comment = live.control("customer/comment", customer="Ann", message="My card was charged twice")
    live.take_deliveries()
    sent = channel.send(
        reply(
            channel,
            "Could you DM us the last 4 digits?",
            public=None,
            private_reply_to=comment["comment_id"],
        )
    )
    [echo] = channel.parse(live.take_deliveries()[-1].body)
    ann = state.customer("Ann")
    assert (echo.external_id, echo.participant_id) == (sent.external_id, ann.psid)
    assert echo.visibility is Visibility.PRIVATE
    assert echo.direction is Direction.OUTBOUND
    second = refused(
        channel, reply(channel, "Again", public=None, private_reply_to=comment["comment_id"])
    )
    assert (second.transient, second.needs_reconnect, second.code) == (False, False, "10900")


def test_a_messenger_reply_defaults_to_response(
    live: LiveEmulator, channel: FacebookChannel, state: FacebookEmulatorState
) -> None:
    psid = live.control("customer/message", customer="Ann", text="Hi")["psid"]
    sent = channel.send(reply(channel, "Hello Ann!", public=None, recipient_id=psid))
    thread = state.messaging.threads[(state.page_id, psid)]
    assert thread.messages[-1].mid == sent.external_id


def test_messenger_text_over_2000_characters_is_refused(
    live: LiveEmulator, channel: FacebookChannel
) -> None:
    psid = live.control("customer/message", customer="Ann", text="Hi")["psid"]
    error = refused(channel, reply(channel, "x" * 2001, public=None, recipient_id=psid))
    assert (error.transient, error.code) == (False, "100")
    assert channel.count_length("x" * 2000) <= channel.manifest.max_length[Visibility.PRIVATE]


def test_an_unavailable_person_is_definitive(live: LiveEmulator, channel: FacebookChannel) -> None:
    psid = live.control("customer/message", customer="Ann", text="Hi")["psid"]
    live.control("customer/unavailable", customer="Ann")
    error = refused(channel, reply(channel, "Hello", public=None, recipient_id=psid))
    assert (error.transient, error.needs_reconnect, error.code) == (False, False, "551/1545041")


def test_private_messages_need_a_recipient_and_tags_need_a_tag(channel: FacebookChannel) -> None:
    assert refused(channel, reply(channel, "hi", public=None)).code == "no-recipient"
    tagged = reply(channel, "hi", public=None, recipient_id="1", messaging_type="MESSAGE_TAG")
    assert refused(channel, tagged).code == "no-tag"


def test_a_reply_for_another_page_is_refused(channel: FacebookChannel) -> None:
    message = OutboundMessage(
        channel="facebook",
        account="999",
        text="hi",
        visibility=Visibility.PUBLIC,
        idempotency_key="x",
        in_reply_to="1_2",
    )
    assert refused(channel, message).code == "wrong-account"


def test_hiding_a_comment(
    live: LiveEmulator, channel: FacebookChannel, state: FacebookEmulatorState
) -> None:
    comment = live.control("customer/comment", customer="Spammer", message="Cheap watches!!!")
    live.take_deliveries()
    channel.hide(comment["comment_id"], account=state.page_id)
    assert state.comments[comment["comment_id"]].hidden
    [hide_delivery] = live.take_deliveries()
    assert channel.parse(hide_delivery.body) == []
    assert channel.manifest.hide


def test_hiding_an_unknown_comment_fails_definitively(channel: FacebookChannel) -> None:
    with pytest.raises(SendError) as caught:
        channel.hide("1_404", account=channel.account_id or "")
    assert not caught.value.transient


def test_check_connection_names_the_page(channel: FacebookChannel) -> None:
    assert channel.check_connection() == "Acme Care"
