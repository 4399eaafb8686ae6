"""The channel contract suite, run against the Facebook emulator over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from careline.channels import OutboundMessage, WebhookRequest
from careline.clock import FrozenClock
from careline.testing.contract import ChannelContract, SendFailureCase
from careline.types import Visibility
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    FacebookEmulatorState,
    LiveEmulator,
)

pytest_plugins = ["careline_facebook.testing"]


@pytest.fixture
def comment(facebook_live: LiveEmulator) -> dict[str, Any]:
    made = facebook_live.control(
        "customer/comment", customer="Ann", message="My parcel never arrived"
    )
    facebook_live.take_deliveries()
    return made


class TestFacebookCommentContract(ChannelContract):
    """Page comments: a customer comment in, a public reply out."""

    @pytest.fixture
    def channel_plugin(self) -> str:
        return "careline-facebook"

    @pytest.fixture
    def channel_config(
        self, facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
    ) -> dict[str, Any]:
        return {"facebook": facebook_live.channel_config("page_id", facebook_state.page_id)}

    @pytest.fixture
    def channel(
        self, channel_config: dict[str, Any], careline_clock: FrozenClock
    ) -> FacebookChannel:
        return FacebookChannel(channel_config["facebook"], clock=careline_clock)

    @pytest.fixture
    def customer_delivery(self, facebook_live: LiveEmulator) -> WebhookRequest:
        facebook_live.control("customer/comment", customer="Ann", message="My parcel never arrived")
        return facebook_live.take_deliveries()[-1]

    @pytest.fixture
    def echo_delivery(self, facebook_live: LiveEmulator, comment: dict[str, Any]) -> WebhookRequest:
        facebook_live.control("customer/post", by_page=True, message="Our summer sale starts today")
        return facebook_live.take_deliveries()[-1]

    @pytest.fixture
    def outbound(
        self, facebook_state: FacebookEmulatorState, comment: dict[str, Any]
    ) -> OutboundMessage:
        return OutboundMessage(
            channel="facebook",
            account=facebook_state.page_id,
            text="Sorry to hear that, Ann. We are on it.",
            visibility=Visibility.PUBLIC,
            idempotency_key="reply-1",
            in_reply_to=comment["comment_id"],
            thread_key=f"{comment['post_id']}/{comment['comment_id']}",
        )

    @pytest.fixture
    def send_failures(
        self,
        facebook_live: LiveEmulator,
        facebook_state: FacebookEmulatorState,
        comment: dict[str, Any],
    ) -> list[SendFailureCase]:
        private_reply = OutboundMessage(
            channel="facebook",
            account=facebook_state.page_id,
            text="Could you send us your order number?",
            visibility=Visibility.PRIVATE,
            idempotency_key="private-1",
            private_reply_to=comment["comment_id"],
        )

        def reply_privately_once() -> None:
            FacebookChannel(
                facebook_live.channel_config("page_id", facebook_state.page_id),
                clock=facebook_state.clock,
            ).send(private_reply)

        return [
            SendFailureCase(
                "rate limited (code 4)", lambda: facebook_live.control("fail", code=4), "transient"
            ),
            SendFailureCase(
                "page limit (code 32)", lambda: facebook_live.control("fail", code=32), "transient"
            ),
            SendFailureCase(
                "temporary (code 2)",
                lambda: facebook_live.control("fail", code=2, status=500),
                "transient",
            ),
            SendFailureCase(
                "HTTP 502", lambda: facebook_live.control("fail", http_status=502), "transient"
            ),
            SendFailureCase(
                "token expired (190/463)",
                lambda: facebook_live.control("fail", code=190, subcode=463),
                "reconnect",
            ),
            SendFailureCase(
                "permission removed (200)",
                lambda: facebook_live.control("fail", code=200),
                "reconnect",
            ),
            SendFailureCase(
                "outside the window (10/2018278)",
                lambda: facebook_live.control("fail", code=10, subcode=2018278),
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
    def customer_delivery(self, facebook_live: LiveEmulator) -> WebhookRequest:
        facebook_live.control("customer/message", customer="Ben", text="Hi, my invoice is wrong")
        return facebook_live.take_deliveries()[-1]

    @pytest.fixture
    def echo_delivery(
        self,
        facebook_live: LiveEmulator,
        facebook_state: FacebookEmulatorState,
        outbound: OutboundMessage,
    ) -> WebhookRequest:
        channel = FacebookChannel(
            facebook_live.channel_config("page_id", facebook_state.page_id),
            clock=facebook_state.clock,
        )
        channel.send(outbound)
        return facebook_live.take_deliveries()[-1]

    @pytest.fixture
    def outbound(
        self, facebook_live: LiveEmulator, facebook_state: FacebookEmulatorState
    ) -> OutboundMessage:
        sent = facebook_live.control(
            "customer/message", customer="Ben", text="Hi, my invoice is wrong"
        )
        facebook_live.take_deliveries()
        return OutboundMessage(
            channel="facebook",
            account=facebook_state.page_id,
            text="Thanks Ben, let me check the invoice.",
            visibility=Visibility.PRIVATE,
            idempotency_key="dm-1",
            recipient_id=sent["psid"],
            messaging_type="RESPONSE",
        )
