"""The channel contract suite, run against the Facebook emulator over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from careline.channels import OutboundMessage, WebhookRequest
from careline.clock import FrozenClock
from careline.testing.contract import ChannelContract, SendFailureCase
from careline.types import Visibility
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
def state(careline_clock: FrozenClock) -> FacebookEmulatorState:
    return FacebookEmulatorState(clock=careline_clock)


@pytest.fixture
def live(servers: EmulatorServers, state: FacebookEmulatorState) -> LiveEmulator:
    return servers.attach(state)


@pytest.fixture
def comment(live: LiveEmulator) -> dict[str, Any]:
    made = live.control("customer/comment", customer="Ann", message="My parcel never arrived")
    live.take_deliveries()
    return made


class TestFacebookCommentContract(ChannelContract):
    """Page comments: a customer comment in, a public reply out."""

    @pytest.fixture
    def channel_plugin(self) -> str:
        return "careline-facebook"

    @pytest.fixture
    def channel_config(self, live: LiveEmulator, state: FacebookEmulatorState) -> dict[str, Any]:
        return {"facebook": live.channel_config("page_id", state.page_id)}

    @pytest.fixture
    def channel(
        self, channel_config: dict[str, Any], careline_clock: FrozenClock
    ) -> FacebookChannel:
        return FacebookChannel(channel_config["facebook"], clock=careline_clock)

    @pytest.fixture
    def customer_delivery(self, live: LiveEmulator) -> WebhookRequest:
        live.control("customer/comment", customer="Ann", message="My parcel never arrived")
        return live.take_deliveries()[-1]

    @pytest.fixture
    def echo_delivery(self, live: LiveEmulator, comment: dict[str, Any]) -> WebhookRequest:
        live.control("customer/post", by_page=True, message="Our summer sale starts today")
        return live.take_deliveries()[-1]

    @pytest.fixture
    def outbound(self, state: FacebookEmulatorState, comment: dict[str, Any]) -> OutboundMessage:
        return OutboundMessage(
            channel="facebook",
            account=state.page_id,
            text="Sorry to hear that, Ann. We are on it.",
            visibility=Visibility.PUBLIC,
            idempotency_key="reply-1",
            in_reply_to=comment["comment_id"],
            thread_key=f"{comment['post_id']}/{comment['comment_id']}",
        )

    @pytest.fixture
    def send_failures(
        self, live: LiveEmulator, state: FacebookEmulatorState, comment: dict[str, Any]
    ) -> list[SendFailureCase]:
        private_reply = OutboundMessage(
            channel="facebook",
            account=state.page_id,
            text="Could you send us your order number?",
            visibility=Visibility.PRIVATE,
            idempotency_key="private-1",
            private_reply_to=comment["comment_id"],
        )

        def reply_privately_once() -> None:
            FacebookChannel(live.channel_config("page_id", state.page_id), clock=state.clock).send(
                private_reply
            )

        return [
            SendFailureCase(
                "rate limited (code 4)", lambda: live.control("fail", code=4), "transient"
            ),
            SendFailureCase(
                "page limit (code 32)", lambda: live.control("fail", code=32), "transient"
            ),
            SendFailureCase(
                "temporary (code 2)", lambda: live.control("fail", code=2, status=500), "transient"
            ),
            SendFailureCase("HTTP 502", lambda: live.control("fail", http_status=502), "transient"),
            SendFailureCase(
                "token expired (190/463)",
                lambda: live.control("fail", code=190, subcode=463),
                "reconnect",
            ),
            SendFailureCase(
                "permission removed (200)", lambda: live.control("fail", code=200), "reconnect"
            ),
            SendFailureCase(
                "outside the window (10/2018278)",
                lambda: live.control("fail", code=10, subcode=2018278),
                "definitive",
            ),
            SendFailureCase(
                "second private reply to one comment",
                reply_privately_once,
                "definitive",
                message=private_reply,
            ),
        ]


class TestMessengerContract(TestFacebookCommentContract):
    """Messenger: a customer's private message in, a reply inside the window out."""

    @pytest.fixture
    def customer_delivery(self, live: LiveEmulator) -> WebhookRequest:
        live.control("customer/message", customer="Ben", text="Hi, my invoice is wrong")
        return live.take_deliveries()[-1]

    @pytest.fixture
    def echo_delivery(
        self, live: LiveEmulator, state: FacebookEmulatorState, outbound: OutboundMessage
    ) -> WebhookRequest:
        channel = FacebookChannel(live.channel_config("page_id", state.page_id), clock=state.clock)
        channel.send(outbound)
        return live.take_deliveries()[-1]

    @pytest.fixture
    def outbound(self, live: LiveEmulator, state: FacebookEmulatorState) -> OutboundMessage:
        sent = live.control("customer/message", customer="Ben", text="Hi, my invoice is wrong")
        live.take_deliveries()
        return OutboundMessage(
            channel="facebook",
            account=state.page_id,
            text="Thanks Ben, let me check the invoice.",
            visibility=Visibility.PRIVATE,
            idempotency_key="dm-1",
            recipient_id=sent["psid"],
            messaging_type="RESPONSE",
        )
