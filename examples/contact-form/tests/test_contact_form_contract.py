"""careline's channel contract suite, run against the contact-form channel and its emulator."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from careline.channels import Channel, OutboundMessage, WebhookRequest
from careline.testing.contract import ChannelContract, SendFailureCase
from careline.types import Visibility
from careline_contact_form.channel import ContactFormChannel
from careline_contact_form.emulator import EmulatorState, create_emulator, serve_in_thread

Emulator = tuple[EmulatorState, str]


class TestContactFormContract(ChannelContract):
    """The inherited tests, with fixtures backed by the emulator over loopback HTTP."""

    @pytest.fixture
    def emulator(self) -> Iterator[Emulator]:
        state = EmulatorState()
        with serve_in_thread(create_emulator(state)) as url:
            yield state, url

    @pytest.fixture(autouse=True)
    def emulator_environment(self, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
        # Before careline_settings copies the environment: the table holds $env: references.
        for name, value in emulator[0].environment().items():
            monkeypatch.setenv(name, value)

    @pytest.fixture
    def channel_plugin(self) -> str:
        return "careline-contact-form"

    @pytest.fixture
    def channel_config(self, emulator: Emulator) -> dict[str, Any]:
        state, url = emulator
        return {"contactform": state.channel_config(url, env_prefix="CONTACTFORM")}

    @pytest.fixture
    def channel(self, emulator: Emulator) -> Channel:
        state, url = emulator
        return ContactFormChannel(state.channel_config(url))

    @pytest.fixture
    def customer_delivery(self, emulator: Emulator) -> WebhookRequest:
        state, _ = emulator
        delivery = state.submit(
            "priya@example.com",
            "I was charged twice for order 1042.",
            name="Priya S.",
            subject="Double charge",
        )
        return delivery.request()

    @pytest.fixture
    def echo_delivery(self, emulator: Emulator, channel: Channel) -> WebhookRequest:
        state, _ = emulator
        state.submit("priya@example.com", "Is the refund on its way?")
        channel.send(
            OutboundMessage(
                channel="contactform",
                account="website",
                text="Yes, it left today. Sorry for the trouble!",
                visibility=Visibility.PRIVATE,
                idempotency_key="echo-1",
                recipient_id="priya@example.com",
                in_reply_to="s:sub_1",
            )
        )
        return state.deliveries[-1].request()

    @pytest.fixture
    def outbound(self, emulator: Emulator) -> OutboundMessage:
        state, _ = emulator
        state.submit("sam@example.org", "Can I change my delivery address?")
        return OutboundMessage(
            channel="contactform",
            account="website",
            text="Of course: reply with your order number and the new address.",
            visibility=Visibility.PRIVATE,
            idempotency_key="contract-outbound",
            recipient_id="sam@example.org",
            in_reply_to="s:sub_1",
        )

    @pytest.fixture
    def send_failures(self, emulator: Emulator, outbound: OutboundMessage) -> list[SendFailureCase]:
        state, _ = emulator
        counter = iter(range(1000))

        def fresh(**changes: Any) -> OutboundMessage:
            key = f"failure-{next(counter)}"
            return dataclasses.replace(outbound, idempotency_key=key, **changes)

        return [
            SendFailureCase(
                "429", lambda: state.fail_next(429, retry_after=30), "transient", fresh()
            ),
            SendFailureCase("503", lambda: state.fail_next(503), "transient", fresh()),
            SendFailureCase("401", lambda: state.fail_next(401), "reconnect", fresh()),
            SendFailureCase("403", lambda: state.fail_next(403), "reconnect", fresh()),
            SendFailureCase(
                "unknown recipient (422)",
                lambda: None,
                "definitive",
                fresh(recipient_id="nobody@example.net"),
            ),
            SendFailureCase("too long (400)", lambda: None, "definitive", fresh(text="x" * 5_001)),
        ]


def test_the_plugin_registers_the_channel(careline_plugin_manager: Any) -> None:
    pm = careline_plugin_manager("careline-contact-form")
    classes = [c for found in pm.hook.careline_register_channels() for c in found]
    assert ContactFormChannel in classes
