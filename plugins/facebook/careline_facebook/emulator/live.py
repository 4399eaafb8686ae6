"""A running emulator plus a webhook sink on loopback, for tests and for ``careline demo``.

::

    with run_live(create_emulator(state), state) as live:
        live.control("customer/comment", customer="Ann", message="Where is my parcel?")
        [delivery] = live.take_deliveries()      # signed WebhookRequest, as the web layer sees it
        channel = FacebookChannel(live.channel_config("page_id", state.page_id))
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from careline.channels import WebhookRequest
from careline.types import InboundMessage

from careline_facebook.emulator.core import MetaEmulatorState
from careline_facebook.emulator.server import WebhookSink, serve_in_thread
from careline_facebook.graph import tls_context


@dataclass
class LiveEmulator:
    """An emulator served over HTTP, with its deliveries going to a recording sink."""

    state: MetaEmulatorState
    base_url: str
    sink: WebhookSink
    sink_url: str
    http: httpx.Client

    def control(self, action: str, **params: Any) -> Any:
        """POST ``/_emulator/{action}`` with JSON ``params``; the decoded answer."""
        response = self.http.post(f"{self.base_url}/_emulator/{action}", json=params)
        response.raise_for_status()
        return response.json()

    def take_deliveries(self) -> list[WebhookRequest]:
        """The webhook deliveries the sink received since the last call."""
        return self.sink.take()

    def channel_config(self, account_key: str, account_id: str, **overrides: Any) -> dict[str, Any]:
        """A channel table pointing at this emulator, with its current token and secrets."""
        token = next(
            token
            for token, grant in self.state.tokens.items()
            if grant.account == account_id and not grant.expired
        )
        return {
            account_key: account_id,
            "access_token": token,
            "app_secret": self.state.app_secret,
            "verify_token": self.state.verify_token,
            "base_url": self.base_url,
            **overrides,
        }

    def stop_webhooks(self) -> None:
        """Point deliveries at a closed port (the receiver is down; Meta's attempts fail)."""
        self.state.webhook_url = "http://127.0.0.1:9/unreachable"

    def resume_webhooks(self) -> None:
        """Deliver to the sink again."""
        self.state.webhook_url = self.sink_url


@dataclass
class EmulatorServers:
    """An emulator app and a webhook sink, both served on loopback.

    Starting servers costs a few tenths of a second, so tests serve them once per module and
    :meth:`attach` a fresh platform state for every test.
    """

    app: Any
    base_url: str
    sink: WebhookSink
    sink_base: str
    http: httpx.Client

    def attach(self, state: MetaEmulatorState) -> LiveEmulator:
        """Serve ``state`` from now on, its deliveries going to the (emptied) sink."""
        self.app.state.emulator = state
        sink_url = f"{self.sink_base}/webhooks/{state.channel_name}"
        state.webhook_url = sink_url
        self.sink.take()
        return LiveEmulator(state, self.base_url, self.sink, sink_url, self.http)


@contextlib.contextmanager
def serve_emulator(app: Any) -> Iterator[EmulatorServers]:
    """Serve ``app`` (whose ``app.state.emulator`` is the platform) and a sink on loopback."""
    sink = WebhookSink()
    with (
        serve_in_thread(app) as base_url,
        serve_in_thread(sink.app) as sink_base,
        httpx.Client(timeout=10, verify=tls_context()) as http,
    ):
        yield EmulatorServers(app, base_url, sink, sink_base, http)


@contextlib.contextmanager
def run_live(app: Any, state: MetaEmulatorState) -> Iterator[LiveEmulator]:
    """Serve ``app`` with ``state`` and a :class:`WebhookSink`, deliveries wired to the sink."""
    with serve_emulator(app) as servers:
        yield servers.attach(state)


def assert_recovered(missed: Iterable[InboundMessage], recovered: Iterable[InboundMessage]) -> None:
    """Every ``missed`` message is among ``recovered`` with the same id, thread, direction,
    participant and text (what a backfill must guarantee against webhook deliveries)."""
    by_id = {message.external_id: message for message in recovered}
    for message in missed:
        assert message.external_id in by_id, f"not recovered: {message.external_id}"
        again = by_id[message.external_id]
        assert (again.thread_key, again.direction, again.participant_id, again.text) == (
            message.thread_key,
            message.direction,
            message.participant_id,
            message.text,
        ), message.external_id
