"""The channel contract: what a channel plugin declares, parses, polls and sends.

A channel plugin subclasses :class:`Channel`, fills in a :class:`ChannelManifest` and implements
``parse`` and ``send`` (and ``poll`` when the platform can be polled). The core never talks to a
platform itself: it stores raw deliveries, hands them to ``parse``, decides with the manifest
whether a reply may be sent (:func:`careline.send_policy.decide`), and calls ``send`` from the
outbox.
"""

from __future__ import annotations

import abc
import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, ClassVar

from careline.clock import Clock, SystemClock
from careline.types import InboundMessage, Visibility


class ChannelError(Exception):
    """Base class of the errors a channel raises."""


class ParseError(ChannelError):
    """A delivery could not be understood; its raw event goes to the dead-letter state."""


class SendError(ChannelError):
    """A send failed.

    ``transient`` errors are retried with backoff (``retry_after`` seconds at the earliest, when
    the platform said so); definitive ones are not and are shown to the agent.
    ``needs_reconnect`` marks the channel account as needing new credentials.
    """

    def __init__(
        self,
        message: str,
        *,
        transient: bool,
        retry_after: float | None = None,
        needs_reconnect: bool = False,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after
        self.needs_reconnect = needs_reconnect
        self.code = code


@dataclass(frozen=True, slots=True)
class MessagingWindow:
    """When a brand may send a private message after the customer's last message.

    ``standard``: free replies (Meta's 24 h). ``tag`` and ``tag_window``: a tag (``HUMAN_AGENT``)
    that extends it, usable only by humans when ``tag_humans_only``.
    """

    standard: timedelta
    tag: str | None = None
    tag_window: timedelta | None = None
    tag_humans_only: bool = True


@dataclass(frozen=True, slots=True)
class RateLimit:
    """A documented platform limit, for display and for pacing sends."""

    action: str
    requests: int
    per_seconds: int


@dataclass(frozen=True, slots=True)
class ChannelManifest:
    """What a channel can do, declared once and read by the core, guidelines and the inbox.

    ``max_length`` maps a visibility to the longest text allowed there; the channel's
    :meth:`Channel.count_length` says how a text is counted.
    """

    display_name: str
    public_reply: bool = True
    private_message: bool = True
    private_reply_to_public: bool = False
    private_reply_window: timedelta | None = None
    hide: bool = False
    delete: bool = False
    max_length: Mapping[Visibility, int] = field(default_factory=dict)
    length_unit: str = "characters"
    window: MessagingWindow | None = None
    rate_limits: Sequence[RateLimit] = ()
    supports_polling: bool = False
    supports_webhooks: bool = True


@dataclass(frozen=True, slots=True)
class WebhookRequest:
    """An HTTP request to a channel's webhook path, as the core hands it over."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class WebhookAnswer:
    """A channel's answer to a webhook verification request (e.g. a CRC or hub challenge)."""

    status: int
    body: str | bytes | Mapping[str, Any]
    media_type: str = "application/json"


@dataclass(frozen=True, slots=True)
class PollPage:
    """One page of a poll: raw deliveries to store, and the cursor to store after them."""

    deliveries: Sequence[bytes]
    cursor: str | None
    more: bool = False


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A reply that the outbox hands to :meth:`Channel.send`.

    ``in_reply_to`` is the platform id of the message answered (public replies and private
    replies to comments); ``recipient_id`` the platform id of the person (private messages).
    ``private_reply_to`` is set for a private reply to a public comment. ``tag`` and
    ``messaging_type`` come from the send policy. ``idempotency_key`` is unique per outbox item.
    """

    channel: str
    account: str
    text: str
    visibility: Visibility
    idempotency_key: str
    in_reply_to: str | None = None
    recipient_id: str | None = None
    thread_key: str | None = None
    private_reply_to: str | None = None
    messaging_type: str | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the platform answered to a successful send."""

    external_id: str
    raw: Mapping[str, Any] = field(default_factory=dict)


class Channel(abc.ABC):
    """Base class of every channel.

    Subclasses set ``name`` and ``manifest`` and implement :meth:`parse` and :meth:`send`.
    ``config`` is the plugin's table of ``careline.toml`` with ``$env:`` references resolved.
    """

    name: ClassVar[str]
    manifest: ClassVar[ChannelManifest]

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None):
        self.config: Mapping[str, Any] = dict(config or {})
        self.clock: Clock = clock or SystemClock()

    # --- inbound -------------------------------------------------------------------------
    def answer_challenge(self, request: WebhookRequest) -> WebhookAnswer | None:
        """Answer a platform's verification request (GET), or ``None`` if it is not one."""
        return None

    def verify_webhook(self, request: WebhookRequest) -> bool:
        """Tell whether a delivery really comes from the platform (signature check).

        The default refuses everything: a channel that accepts webhooks must override it.
        """
        return False

    def delivery_key(self, body: bytes) -> str:
        """The key that makes a repeated delivery a no-op (default: the body's SHA-256)."""
        return hashlib.sha256(body).hexdigest()

    @abc.abstractmethod
    def parse(self, body: bytes) -> list[InboundMessage]:
        """Turn one raw delivery (webhook body or polled page item) into messages.

        Raise :class:`ParseError` for anything that cannot be understood. Deliveries that carry
        nothing for careline (typing indicators, reads) return an empty list.
        """

    def poll_sources(self) -> list[str]:
        """The names of the feeds this channel polls (one cursor is kept per name)."""
        return []

    def poll_account(self, source: str) -> str:
        """The brand account a poll source belongs to (default: the part after ``kind:``)."""
        return source.split(":", 1)[-1]

    def poll(self, source: str, cursor: str | None) -> PollPage:
        """Fetch what is new in ``source`` since ``cursor``."""
        raise ChannelError(f"channel {self.name!r} cannot be polled")

    # --- outbound ------------------------------------------------------------------------
    @abc.abstractmethod
    def send(self, message: OutboundMessage) -> SendResult:
        """Send a reply; raise :class:`SendError` (transient or definitive) on failure."""

    def hide(self, external_id: str, *, account: str) -> None:
        """Hide a public comment (only when the manifest says ``hide``)."""
        raise ChannelError(f"channel {self.name!r} cannot hide messages")

    def count_length(self, text: str) -> int:
        """Count a text the way the platform does (default: Unicode code points)."""
        return len(text)

    def is_healthy(self, now: datetime) -> bool:
        """Whether the channel's credentials work, as far as it knows."""
        return True


ChannelFactory = Callable[..., Channel]


def hmac_signature(secret: str | bytes, body: bytes, *, encoding: str = "hex") -> str:
    """HMAC-SHA256 of ``body`` with ``secret``, as lowercase hex or standard base64."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, body, hashlib.sha256).digest()
    if encoding == "hex":
        return digest.hex()
    if encoding == "base64":
        return base64.b64encode(digest).decode("ascii")
    raise ValueError(f"unknown signature encoding {encoding!r}")


def verify_hmac_signature(
    secret: str | bytes,
    body: bytes,
    header_value: str | None,
    *,
    prefix: str = "sha256=",
    encoding: str = "hex",
) -> bool:
    """Check a ``sha256=<digest>`` signature header against the raw body in constant time."""
    if not header_value or not secret or not header_value.startswith(prefix):
        return False
    expected = prefix + hmac_signature(secret, body, encoding=encoding)
    return hmac.compare_digest(expected.encode("ascii"), header_value.strip().encode("utf-8"))
