"""careline's channel contract suite, run against the X channel and a live emulator."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from careline.channels import Channel, OutboundMessage, WebhookRequest
from careline.testing.contract import ChannelContract, SendFailureCase
from careline.types import Visibility
from careline_twitter.channel import TwitterChannel
from careline_twitter.emulator import EmulatorState, create_emulator, serve_in_thread
from careline_twitter.emulator.webhooks import Delivery
from careline_twitter.tokens import TokenVault


def _request(delivery: Delivery) -> WebhookRequest:
    return WebhookRequest("POST", "/webhooks/twitter", {}, dict(delivery.headers), delivery.body)


class TestTwitterChannelContract(ChannelContract):
    """The inherited tests, with fixtures backed by the emulator over loopback HTTP."""

    @pytest.fixture
    def emulator(self) -> Iterator[tuple[EmulatorState, str]]:
        state = EmulatorState()
        state.add_brand("acmecare", "Acme Care")
        state.add_customer("priya_s", "Priya S.", followers=1432)
        state.add_customer("no_dms", "Closed DMs", accepts_dms=False)
        with serve_in_thread(create_emulator(state)) as url:
            yield state, url

    @pytest.fixture(autouse=True)
    def emulator_environment(
        self, emulator: tuple[EmulatorState, str], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # Before careline_settings copies the environment: the tables hold $env: references.
        for name, value in emulator[0].environment().items():
            monkeypatch.setenv(name, value)

    @pytest.fixture
    def channel_plugin(self) -> str:
        return "careline-twitter"

    @pytest.fixture
    def channel_config(self, emulator: tuple[EmulatorState, str]) -> dict[str, Any]:
        state, url = emulator
        return {"twitter": state.channel_config(url, env_prefix="X_EMULATOR")}

    @pytest.fixture
    def channel(self, emulator: tuple[EmulatorState, str]) -> Channel:
        state, url = emulator
        return TwitterChannel(state.channel_config(url), vault=TokenVault())

    @pytest.fixture
    def customer_delivery(self, emulator: tuple[EmulatorState, str]) -> WebhookRequest:
        state, _ = emulator
        state.customer_posts("priya_s", "@acmecare the app logs me out every five minutes")
        return _request(state.deliveries[-1])

    @pytest.fixture
    def echo_delivery(
        self, emulator: tuple[EmulatorState, str], channel: Channel
    ) -> WebhookRequest:
        state, _ = emulator
        mention = state.customer_posts("priya_s", "@acmecare is the outage over?")
        channel.send(
            OutboundMessage(
                channel="twitter",
                account=state.user("acmecare").id,
                text="@priya_s Yes, everything is back to normal. Sorry for the trouble!",
                visibility=Visibility.PUBLIC,
                idempotency_key="echo-1",
                in_reply_to=mention.id,
            )
        )
        return _request(state.deliveries[-1])

    @pytest.fixture
    def outbound(self, emulator: tuple[EmulatorState, str]) -> OutboundMessage:
        state, _ = emulator
        mention = state.customer_posts("priya_s", "@acmecare can I change my delivery address?")
        return OutboundMessage(
            channel="twitter",
            account=state.user("acmecare").id,
            text="Of course! Send us a DM with your order number and the new address.",
            visibility=Visibility.PUBLIC,
            idempotency_key="contract-outbound",
            in_reply_to=mention.id,
        )

    @pytest.fixture
    def send_failures(
        self, emulator: tuple[EmulatorState, str], outbound: OutboundMessage
    ) -> list[SendFailureCase]:
        state, _ = emulator
        counter = iter(range(1000))

        def fresh(message: OutboundMessage, **changes: Any) -> OutboundMessage:
            return dataclasses.replace(
                message, idempotency_key=f"failure-{next(counter)}", **changes
            )

        def expire_for_good() -> None:
            state.expire_tokens("acmecare")
            state.revoke_refresh_tokens("acmecare")

        state.create_post(state.user("acmecare").id, "We are looking into it.")
        closed = state.user("no_dms").id
        return [
            SendFailureCase(
                "503 unavailable",
                lambda: state.fail_next("POST /2/tweets", 503),
                "transient",
                fresh(outbound),
            ),
            SendFailureCase(
                "duplicate content",
                lambda: None,
                "definitive",
                fresh(outbound, text="We are looking into it."),
            ),
            SendFailureCase(
                "DMs closed",
                lambda: None,
                "definitive",
                fresh(
                    outbound, visibility=Visibility.PRIVATE, in_reply_to=None, recipient_id=closed
                ),
            ),
            SendFailureCase(
                "token expired, refresh revoked", expire_for_good, "reconnect", fresh(outbound)
            ),
            # last: after a 429 the channel itself holds further posts until the reset
            SendFailureCase(
                "429 rate limited",
                lambda: state.fail_next("POST /2/tweets", 429),
                "transient",
                fresh(outbound),
            ),
        ]


def test_the_contract_fixtures_point_at_the_installed_plugin(
    careline_plugin_manager: Any,
) -> None:
    pm = careline_plugin_manager("careline-twitter")
    classes = [c for found in pm.hook.careline_register_channels() for c in found]
    assert TwitterChannel in classes
