"""The channel contract suite: tests every channel plugin runs against itself.

Subclass :class:`ChannelContract` in your plugin's tests and provide the fixtures it asks for;
pytest collects the inherited tests::

    class TestMyChannelContract(ChannelContract):
        @pytest.fixture
        def channel(self) -> Channel: ...
        @pytest.fixture
        def customer_delivery(self) -> WebhookRequest: ...   # signed, from your emulator
        @pytest.fixture
        def echo_delivery(self) -> WebhookRequest: ...       # the brand's own post, signed
        @pytest.fixture
        def outbound(self) -> OutboundMessage: ...           # a reply your emulator accepts
        @pytest.fixture
        def send_failures(self) -> list[SendFailureCase]: ...
        @pytest.fixture
        def channel_plugin(self): ...      # your distribution name, e.g. "careline-twitter"
        @pytest.fixture
        def channel_config(self): ...      # configuration tables pointing at your emulator

The suite checks the manifest, signature verification (valid, tampered body, tampered or missing
signature), parsing (aware times, stable external ids, echoes as outbound), that arbitrary bytes
only ever raise :class:`~careline.channels.ParseError`, sending, error mapping to transient /
definitive / needs-reconnect, and — through the real pipeline on the test database — that a
repeated delivery stores its messages once and that an echo is never a customer message.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from careline.channels import (
    Channel,
    OutboundMessage,
    ParseError,
    SendError,
    WebhookRequest,
)
from careline.types import Direction, Visibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


@dataclass(frozen=True)
class SendFailureCase:
    """A way to make the platform refuse a send, and how the channel must classify it.

    ``arrange`` prepares the failure (e.g. tells the emulator to answer 429 once);
    ``expect`` is ``"transient"``, ``"definitive"`` or ``"reconnect"``.
    """

    name: str
    arrange: Callable[[], Any]
    expect: str
    message: OutboundMessage | None = None


class ChannelContract:
    """Inherit in a test class and provide the fixtures listed in the module docstring."""

    # -- manifest --------------------------------------------------------------------------
    def test_manifest_is_declared(self, channel: Channel) -> None:
        manifest = channel.manifest
        assert channel.name
        assert channel.name.isidentifier()
        assert manifest.display_name
        if manifest.public_reply:
            assert manifest.max_length.get(Visibility.PUBLIC, 0) > 0
        if manifest.private_message:
            assert manifest.max_length.get(Visibility.PRIVATE, 0) > 0

    def test_length_counter_counts_plain_text(self, channel: Channel) -> None:
        assert channel.count_length("") == 0
        assert channel.count_length("hello") == 5

    # -- signatures ------------------------------------------------------------------------
    def test_signed_delivery_is_accepted(
        self, channel: Channel, customer_delivery: WebhookRequest
    ) -> None:
        assert channel.verify_webhook(customer_delivery)

    def test_tampered_body_is_rejected(
        self, channel: Channel, customer_delivery: WebhookRequest
    ) -> None:
        body = customer_delivery.body
        tampered = body[:-1] + bytes([body[-1] ^ 0x01]) if body else b"x"
        assert not channel.verify_webhook(dataclasses.replace(customer_delivery, body=tampered))

    def test_missing_or_wrong_signature_is_rejected(
        self, channel: Channel, customer_delivery: WebhookRequest
    ) -> None:
        unsigned = dataclasses.replace(customer_delivery, headers={})
        assert not channel.verify_webhook(unsigned)
        wrong = {key: "sha256=" + "0" * 64 for key in customer_delivery.headers}
        assert not channel.verify_webhook(dataclasses.replace(customer_delivery, headers=wrong))

    # -- parsing ---------------------------------------------------------------------------
    def test_customer_delivery_parses_to_inbound_messages(
        self, channel: Channel, customer_delivery: WebhookRequest
    ) -> None:
        messages = channel.parse(customer_delivery.body)
        inbound = [m for m in messages if m.direction is Direction.INBOUND]
        assert inbound, "the customer delivery must carry at least one customer message"
        for message in messages:
            assert message.channel == channel.name
            assert message.external_id
            assert message.created_at.tzinfo is not None
            assert message.author.external_id

    def test_parsing_is_deterministic(
        self, channel: Channel, customer_delivery: WebhookRequest
    ) -> None:
        first = [m.external_id for m in channel.parse(customer_delivery.body)]
        second = [m.external_id for m in channel.parse(customer_delivery.body)]
        assert first == second
        assert channel.delivery_key(customer_delivery.body) == channel.delivery_key(
            customer_delivery.body
        )

    def test_echo_is_outbound(self, channel: Channel, echo_delivery: WebhookRequest) -> None:
        messages = channel.parse(echo_delivery.body)
        assert messages
        assert all(m.direction is Direction.OUTBOUND for m in messages)

    def test_arbitrary_bytes_only_raise_parse_error(self, channel: Channel) -> None:
        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(
            st.one_of(
                st.binary(max_size=200),
                st.recursive(
                    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda children: (
                        st.lists(children, max_size=4)
                        | st.dictionaries(st.text(max_size=12), children, max_size=4)
                    ),
                    max_leaves=20,
                ).map(lambda value: _json_bytes(value)),
            )
        )
        def check(body: bytes) -> None:
            with contextlib.suppress(ParseError):
                channel.parse(body)

        check()

    # -- sending ---------------------------------------------------------------------------
    def test_send_returns_platform_id(self, channel: Channel, outbound: OutboundMessage) -> None:
        result = channel.send(outbound)
        assert result.external_id

    def test_send_errors_are_classified(
        self, channel: Channel, outbound: OutboundMessage, send_failures: list[SendFailureCase]
    ) -> None:
        assert send_failures, "declare at least one failure case"
        for case in send_failures:
            case.arrange()
            with pytest.raises(SendError) as caught:
                channel.send(case.message or outbound)
            error = caught.value
            if case.expect == "transient":
                assert error.transient, case.name
            elif case.expect == "definitive":
                assert not error.transient, case.name
                assert not error.needs_reconnect, case.name
            elif case.expect == "reconnect":
                assert error.needs_reconnect, case.name
                assert not error.transient, case.name
            else:
                raise AssertionError(f"unknown expectation {case.expect!r} in {case.name}")

    # -- through the real pipeline ------------------------------------------------------------
    def _runtime(self, careline_runtime: Any, channel_plugin: Any, channel_config: Any) -> Any:
        plugins = [] if channel_plugin is None else [channel_plugin]
        return careline_runtime(*plugins, config=channel_config or None)

    def test_repeated_delivery_is_stored_once(
        self,
        channel: Channel,
        careline_runtime: Any,
        channel_plugin: Any,
        channel_config: Any,
        customer_delivery: WebhookRequest,
    ) -> None:
        from careline.models import Message
        from careline.testing.flow import deliver, deliver_and_process
        from sqlmodel import func, select

        runtime = self._runtime(careline_runtime, channel_plugin, channel_config)
        expected = {
            m.external_id
            for m in channel.parse(customer_delivery.body)
            if m.direction is Direction.INBOUND
        }
        deliver_and_process(runtime, channel.name, customer_delivery.body)
        deliver(runtime, channel.name, customer_delivery.body)
        deliver(runtime, channel.name, customer_delivery.body, via="poll")
        deliver_and_process(runtime, channel.name)
        with runtime.db.session() as session:
            stored = session.exec(
                select(func.count()).select_from(Message).where(Message.channel == channel.name)
            ).one()
        assert stored == len(expected)

    def test_echo_never_becomes_a_customer_message(
        self,
        channel: Channel,
        careline_runtime: Any,
        channel_plugin: Any,
        channel_config: Any,
        customer_delivery: WebhookRequest,
        echo_delivery: WebhookRequest,
    ) -> None:
        from careline.models import Message
        from careline.testing.flow import deliver_and_process
        from sqlmodel import func, select

        runtime = self._runtime(careline_runtime, channel_plugin, channel_config)
        deliver_and_process(runtime, channel.name, customer_delivery.body)
        with runtime.db.session() as session:
            before = session.exec(
                select(func.count()).select_from(Message).where(Message.direction == "in")
            ).one()
        deliver_and_process(runtime, channel.name, echo_delivery.body)
        with runtime.db.session() as session:
            after = session.exec(
                select(func.count()).select_from(Message).where(Message.direction == "in")
            ).one()
        assert after == before


def _json_bytes(value: Any) -> bytes:
    import json

    return json.dumps(value).encode()
