"""The channel contract suite, run against the Instagram emulator over loopback HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from careline.channels import OutboundMessage, WebhookRequest
from careline.clock import FrozenClock
from careline.testing.contract import ChannelContract, SendFailureCase
from careline.types import Visibility
from careline_facebook.emulator import LiveEmulator
from careline_instagram.channel import InstagramChannel
from careline_instagram.emulator import InstagramEmulatorState

pytest_plugins = ["careline_instagram.testing"]


@pytest.fixture
def comment(instagram_live: LiveEmulator) -> dict[str, Any]:
    made = instagram_live.control(
        "customer/comment", customer="ann.example", text="Is this in stock?"
    )
    instagram_live.take_deliveries()
    return made


class TestInstagramCommentContract(ChannelContract):
    """Comments on the brand's media: a customer comment in, a public reply out."""

    @pytest.fixture
    def channel_plugin(self) -> str:
        return "careline-instagram"

    @pytest.fixture
    def channel_config(
        self, instagram_live: LiveEmulator, instagram_state: InstagramEmulatorState
    ) -> dict[str, Any]:
        return {
            "instagram": instagram_live.channel_config("ig_user_id", instagram_state.ig_user_id)
        }

    @pytest.fixture
    def channel(
        self, channel_config: dict[str, Any], careline_clock: FrozenClock
    ) -> InstagramChannel:
        return InstagramChannel(channel_config["instagram"], clock=careline_clock)

    @pytest.fixture
    def customer_delivery(self, instagram_live: LiveEmulator) -> WebhookRequest:
        instagram_live.control("customer/comment", customer="ann.example", text="Is this in stock?")
        return instagram_live.take_deliveries()[-1]

    @pytest.fixture
    def echo_delivery(
        self, channel: InstagramChannel, instagram_live: LiveEmulator, outbound: OutboundMessage
    ) -> WebhookRequest:
        channel.send(outbound)
        return instagram_live.take_deliveries()[-1]

    @pytest.fixture
    def outbound(
        self, instagram_state: InstagramEmulatorState, comment: dict[str, Any]
    ) -> OutboundMessage:
        return OutboundMessage(
            channel="instagram",
            account=instagram_state.ig_user_id,
            text="Yes! Sizes S to L are in stock.",
            visibility=Visibility.PUBLIC,
            idempotency_key="reply-1",
            in_reply_to=comment["comment_id"],
            thread_key=f"{comment['media_id']}/{comment['comment_id']}",
        )

    @pytest.fixture
    def send_failures(
        self,
        instagram_live: LiveEmulator,
        instagram_state: InstagramEmulatorState,
        comment: dict[str, Any],
    ) -> list[SendFailureCase]:
        private_reply = OutboundMessage(
            channel="instagram",
            account=instagram_state.ig_user_id,
            text="Which size are you looking for?",
            visibility=Visibility.PRIVATE,
            idempotency_key="private-1",
            private_reply_to=comment["comment_id"],
        )

        def reply_privately_once() -> None:
            InstagramChannel(
                instagram_live.channel_config("ig_user_id", instagram_state.ig_user_id),
                clock=instagram_state.clock,
            ).send(private_reply)

        return [
            SendFailureCase(
                "app limit (4)", lambda: instagram_live.control("fail", code=4), "transient"
            ),
            SendFailureCase(
                "business limit (80002)",
                lambda: instagram_live.control("fail", code=80002),
                "transient",
            ),
            SendFailureCase(
                "HTTP 503", lambda: instagram_live.control("fail", http_status=503), "transient"
            ),
            SendFailureCase(
                "token expired (190/463)",
                lambda: instagram_live.control("fail", code=190, subcode=463),
                "reconnect",
            ),
            SendFailureCase(
                "person unavailable (551)",
                lambda: instagram_live.control("fail", code=551, subcode=1545041),
                "definitive",
            ),
            SendFailureCase(
                "second private reply to one comment",
                reply_privately_once,
                "definitive",
                message=private_reply,
            ),
        ]


class TestInstagramDirectContract(TestInstagramCommentContract):
    """Instagram Direct: a customer's message in, a reply inside the window out."""

    @pytest.fixture
    def customer_delivery(self, instagram_live: LiveEmulator) -> WebhookRequest:
        instagram_live.control(
            "customer/message", customer="bo.example", text="Do you ship to Norway?"
        )
        return instagram_live.take_deliveries()[-1]

    @pytest.fixture
    def outbound(
        self, instagram_live: LiveEmulator, instagram_state: InstagramEmulatorState
    ) -> OutboundMessage:
        sent = instagram_live.control(
            "customer/message", customer="bo.example", text="Do you ship to Norway?"
        )
        instagram_live.take_deliveries()
        return OutboundMessage(
            channel="instagram",
            account=instagram_state.ig_user_id,
            text="We do, in 3–5 days.",
            visibility=Visibility.PRIVATE,
            idempotency_key="dm-1",
            recipient_id=sent["igsid"],
            messaging_type="RESPONSE",
        )
