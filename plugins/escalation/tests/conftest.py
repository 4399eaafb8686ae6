"""Real local receivers for the escalation tests: an HTTP server and an SMTP server on loopback."""

from __future__ import annotations

import json
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pluggy
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from careline.clock import FrozenClock
from careline.config import Settings
from careline.types import (
    Author,
    ConversationStatus,
    ConversationView,
    InboundMessage,
    MessageView,
    Priority,
    Source,
    Visibility,
)


@dataclass
class Delivery:
    """One request the webhook receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class WebhookReceiver:
    """Records every POST; answers with the queued statuses first, then 200.

    ``delay`` seconds are slept before answering requests whose path contains ``slow``.
    """

    base_url: str = ""
    deliveries: list[Delivery] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "/hook") -> str:
        return self.base_url + path

    def fail_next(self, *statuses: int) -> None:
        with self.lock:
            self.statuses.extend(statuses)

    @property
    def successful(self) -> list[Delivery]:
        return [d for d in self.deliveries if 200 <= d.status < 300]


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if "slow" in self.path:
                time.sleep(receiver.delay)
            with receiver.lock:
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                receiver.deliveries.append(
                    Delivery(
                        self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                    )
                )
            answer = b'{"ok":true}' if status < 300 else b'{"error":"nope"}'
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        # Tests make the sender hang up on purpose (time-outs). The traceback of answering a
        # client that is gone would go to standard error from this thread, at any time: into
        # the output of whichever test runs then (a CLI test reading JSON failed on it).
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """An HTTP server on 127.0.0.1 that records webhook deliveries."""
    receiver = WebhookReceiver()
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    server.daemon_threads = True
    receiver.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield receiver
    server.shutdown()
    server.server_close()


@dataclass
class MailReceiver:
    """What the SMTP server received, and how it should answer."""

    host: str = "127.0.0.1"
    port: int = 0
    messages: list[tuple[str, list[str], Message]] = field(default_factory=list)
    refuse_recipients: set[str] = field(default_factory=set)
    logins: list[tuple[str, str]] = field(default_factory=list)


class _MailHandler:
    def __init__(self, receiver: MailReceiver) -> None:
        self.receiver = receiver

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.receiver.refuse_recipients:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.receiver.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                message_from_bytes(envelope.content, policy=policy.default),
            )
        )
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def unused_port() -> int:
    """A loopback port nothing listens on."""
    return free_port()


@pytest.fixture
def mail_receiver() -> Iterator[MailReceiver]:
    """A real SMTP server (aiosmtpd) on 127.0.0.1 accepting AUTH LOGIN/PLAIN without TLS."""
    receiver = MailReceiver(port=free_port())

    def authenticate(server, session, envelope, mechanism, auth_data):
        assert isinstance(auth_data, LoginPassword)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        receiver.logins.append((login, password))
        return AuthResult(success=password == "s3cret-smtp", handled=False)

    controller = Controller(
        _MailHandler(receiver),
        hostname=receiver.host,
        port=receiver.port,
        authenticator=authenticate,
        auth_require_tls=False,
    )
    controller.start()
    yield receiver
    controller.stop()


# --- views and settings for hook tests -------------------------------------------------------
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Views:
    """Builds the frozen values the core passes to escalation hooks."""

    def conversation(self, **changes: Any) -> ConversationView:
        values: dict[str, Any] = {
            "id": 7,
            "channel": "twitter",
            "account": "acme",
            "visibility": Visibility.PUBLIC,
            "source": Source.OWNED,
            "status": ConversationStatus.OPEN,
            "priority": Priority.NORMAL,
            "created_at": START,
            "contact_id": 11,
            "queue": "general",
            "contact_handle": "kim_r",
        }
        values.update(changes)
        return ConversationView(**values)

    def message(self, text: str, **changes: Any) -> InboundMessage:
        author = Author(
            external_id="u-11",
            handle="kim_r",
            followers=changes.pop("followers", 120),
            verified=changes.pop("verified", False),
        )
        values: dict[str, Any] = {
            "channel": "twitter",
            "account": "acme",
            "external_id": "m-1",
            "text": text,
            "author": author,
            "created_at": START,
            "visibility": Visibility.PUBLIC,
        }
        values.update(changes)
        return InboundMessage(**values)

    def stored(self, message: InboundMessage, **changes: Any) -> MessageView:
        values: dict[str, Any] = {
            "id": 1,
            "conversation_id": 7,
            "channel": message.channel,
            "external_id": message.external_id,
            "direction": message.direction,
            "visibility": message.visibility,
            "text": message.text,
            "created_at": message.created_at,
        }
        values.update(changes)
        return MessageView(**values)


@pytest.fixture
def views() -> Views:
    """Factories for ConversationView, InboundMessage and MessageView."""
    return Views()


@pytest.fixture
def escalation_pm(
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
) -> pluggy.PluginManager:
    """A plugin manager with only careline-escalation loaded."""
    return careline_plugin_manager("careline-escalation")


@pytest.fixture
def make_settings(tmp_path: Path) -> Callable[..., Settings]:
    """``make_settings({...escalation table...}, env={...}, sla={...})`` → Settings with a
    frozen clock (keyword tables such as ``business_hours`` or ``sla`` are added as given)."""

    def factory(
        table: dict[str, Any] | None = None,
        env: dict[str, str] | None = None,
        **other_tables: Any,
    ) -> Settings:
        data = {"escalation": table} if table is not None else {}
        data.update(other_tables)
        return Settings(home=tmp_path, data=data, clock=FrozenClock(START), environ=env or {})

    return factory
