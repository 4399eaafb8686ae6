"""The channel contract suite, run on the in-repository test channel."""

from __future__ import annotations

import pytest
from careline.channels import OutboundMessage, SendError, WebhookRequest
from careline.testing.channel import TestChannelPlugin, TestPlatform, delivery, message, sign
from careline.testing.contract import ChannelContract, SendFailureCase
from careline.types import Visibility


def signed(body: bytes) -> WebhookRequest:
    return WebhookRequest("POST", "/webhooks/testchannel", {}, sign(body), body)


class TestTestChannelContract(ChannelContract):
    @pytest.fixture
    def platform(self, test_platform: TestPlatform) -> TestPlatform:
        return test_platform

    @pytest.fixture
    def channel(self, test_channel_plugin: TestChannelPlugin):
        return test_channel_plugin.channel_class()

    @pytest.fixture
    def customer_delivery(self) -> WebhookRequest:
        return signed(delivery(message("c1"), message("c2", author="u2", thread="t2")))

    @pytest.fixture
    def echo_delivery(self) -> WebhookRequest:
        return signed(delivery(message("e1", author="brand", direction="out", text="Sorry!")))

    @pytest.fixture
    def outbound(self) -> OutboundMessage:
        return OutboundMessage(
            channel="testchannel",
            account="brand",
            text="Hello",
            visibility=Visibility.PUBLIC,
            idempotency_key="k1",
            in_reply_to="c1",
        )

    @pytest.fixture
    def send_failures(self, platform: TestPlatform) -> list[SendFailureCase]:
        return [
            SendFailureCase(
                "rate limited",
                lambda: platform.fail_next(SendError("429", transient=True, retry_after=30)),
                "transient",
            ),
            SendFailureCase(
                "duplicate",
                lambda: platform.fail_next(SendError("duplicate", transient=False)),
                "definitive",
            ),
            SendFailureCase(
                "token",
                lambda: platform.fail_next(
                    SendError("expired", transient=False, needs_reconnect=True)
                ),
                "reconnect",
            ),
        ]

    @pytest.fixture
    def channel_plugin(self) -> None:
        return None  # the test channel is always registered by careline_runtime

    @pytest.fixture
    def channel_config(self) -> dict[str, object]:
        return {}
