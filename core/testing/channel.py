"""A small channel for tests: signed JSON deliveries in, an in-memory platform out.

It is built on the same :class:`careline.channels.Channel` base as the real channels and passes
the same contract suite, so the core's own tests exercise the real code paths.

Delivery format (``POST /webhooks/testchannel``, header ``X-Careline-Signature: sha256=<hex>``)::

    {"messages": [{"id": "m1", "account": "brand", "thread": "t1", "text": "hi",
                   "author": {"id": "u1", "handle": "ann", "followers": 10},
                   "created_at": "2026-01-05T09:00:00Z", "visibility": "public",
                   "direction": "in", "kind": "message", "source": "owned"}]}
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from careline import json_codec
from careline.channels import (
    Channel,
    ChannelManifest,
    MessagingWindow,
    OutboundMessage,
    ParseError,
    SendError,
    SendResult,
    WebhookRequest,
    hmac_signature,
    verify_hmac_signature,
)
from careline.clock import ensure_utc
from careline.hookspecs import hookimpl
from careline.types import Author, Direction, InboundMessage, MessageKind, Source, Visibility

SIGNATURE_HEADER = "x-careline-signature"
DEFAULT_SECRET = "test-secret"  # noqa: S105 - a fixed secret for a test double


@dataclass
class TestPlatform:
    """The far side of the test channel: records sends and fails on request."""

    __test__ = False  # not a pytest test class

    sent: list[OutboundMessage] = field(default_factory=list)
    failures: list[SendError] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    counter: int = 0

    def fail_next(self, error: SendError, times: int = 1) -> None:
        """Make the next ``times`` sends raise ``error``."""
        self.failures.extend([error] * times)

    def accept(self, message: OutboundMessage) -> SendResult:
        """Record a send, or raise the next scripted failure."""
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.counter += 1
            self.sent.append(message)
            return SendResult(external_id=f"out-{self.counter}")


def _parse_time(value: Any) -> datetime:
    if not isinstance(value, str):
        raise ParseError(f"created_at must be an ISO 8601 string, not {value!r}")
    try:
        return ensure_utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except ValueError as exc:
        raise ParseError(f"created_at is not an ISO 8601 time: {value!r}") from exc


def _parse_item(item: Any, channel: str) -> InboundMessage:
    if not isinstance(item, Mapping):
        raise ParseError("each message must be an object")
    try:
        author = item["author"]
        return InboundMessage(
            channel=channel,
            account=str(item.get("account", "brand")),
            external_id=str(item["id"]),
            text=str(item.get("text", "")),
            author=Author(
                external_id=str(author["id"]),
                handle=author.get("handle"),
                display_name=author.get("name"),
                followers=author.get("followers"),
                verified=bool(author.get("verified", False)),
            ),
            created_at=_parse_time(item["created_at"]),
            visibility=Visibility(item.get("visibility", "public")),
            direction=Direction(item.get("direction", "in")),
            source=Source(item.get("source", "owned")),
            kind=MessageKind(item.get("kind", "message")),
            thread_key=item.get("thread"),
            participant_id=item.get("participant"),
            in_reply_to=item.get("in_reply_to"),
            language=item.get("lang"),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"bad message: {type(exc).__name__}: {exc}") from exc


class TestChannel(Channel):
    """The test channel; ``platform`` is set on the subclass a test plugin creates."""

    __test__ = False

    name = "testchannel"
    manifest = ChannelManifest(
        display_name="Test channel",
        public_reply=True,
        private_message=True,
        private_reply_to_public=True,
        private_reply_window=timedelta(days=7),
        hide=True,
        max_length={Visibility.PUBLIC: 280, Visibility.PRIVATE: 1000},
        window=MessagingWindow(
            standard=timedelta(hours=24), tag="HUMAN_AGENT", tag_window=timedelta(days=7)
        ),
    )
    platform: TestPlatform = TestPlatform()

    @property
    def secret(self) -> str:
        """The signing secret (``secret`` in the channel's table, else a fixed test value)."""
        return str(self.config.get("secret") or DEFAULT_SECRET)

    def verify_webhook(self, request: WebhookRequest) -> bool:
        """Check ``X-Careline-Signature`` (hex HMAC-SHA256 of the raw body)."""
        return verify_hmac_signature(
            self.secret, request.body, request.headers.get(SIGNATURE_HEADER)
        )

    def parse(self, body: bytes) -> list[InboundMessage]:
        """Parse ``{"messages": [...]}``."""
        try:
            document = json_codec.loads(body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"not JSON: {exc}") from exc
        if not isinstance(document, Mapping) or not isinstance(document.get("messages"), list):
            raise ParseError('expected an object with a "messages" list')
        return [_parse_item(item, self.name) for item in document["messages"]]

    def send(self, message: OutboundMessage) -> SendResult:
        """Hand the message to the in-memory platform."""
        return self.platform.accept(message)


def sign(body: bytes, secret: str = DEFAULT_SECRET) -> dict[str, str]:
    """The headers that make ``body`` a validly signed test-channel delivery."""
    return {SIGNATURE_HEADER: "sha256=" + hmac_signature(secret, body)}


def delivery(*messages: Mapping[str, Any]) -> bytes:
    """A delivery body carrying ``messages``."""
    return json.dumps({"messages": list(messages)}).encode()


class TestChannelPlugin:
    """A plugin object that registers a :class:`TestChannel` bound to one platform."""

    __test__ = False

    def __init__(self, platform: TestPlatform | None = None) -> None:
        self.platform = platform or TestPlatform()
        self.channel_class = type("BoundTestChannel", (TestChannel,), {"platform": self.platform})

    @hookimpl
    def careline_register_channels(self) -> list[type[Channel]]:
        """Register the bound test channel."""
        return [self.channel_class]


def message(
    message_id: str,
    *,
    author: str = "u1",
    thread: str | None = "t1",
    at: datetime | None = None,
    text: str = "my order never arrived",
    visibility: str = "public",
    **extra: Any,
) -> dict[str, Any]:
    """One test-channel message item (see the module docstring for the format)."""
    created = at or datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    return {
        "id": message_id,
        "account": "brand",
        "thread": thread if visibility == "public" else None,
        "text": text,
        "author": {"id": author, "handle": f"@{author}", "followers": 10},
        "created_at": created.isoformat(),
        "visibility": visibility,
        **extra,
    }
