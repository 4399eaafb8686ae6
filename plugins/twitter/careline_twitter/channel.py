"""The X channel: Account Activity webhooks and polling in, public replies and DMs out."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any, ClassVar

from careline.channels import (
    Channel,
    ChannelManifest,
    OutboundMessage,
    ParseError,
    PollPage,
    SendResult,
    WebhookAnswer,
    WebhookRequest,
)
from careline.clock import Clock
from careline.types import InboundMessage, Visibility

from careline_twitter.activity import activity_event_ids, is_activity_delivery, parse_activity
from careline_twitter.client import XClient
from careline_twitter.config import TwitterConfig, parse_config
from careline_twitter.envelope import is_envelope, unwrap_page
from careline_twitter.length import MAX_DM_LENGTH, MAX_POST_LENGTH, weighted_length
from careline_twitter.payload import load_json, mapping
from careline_twitter.polled import parse_page
from careline_twitter.polling import Poller
from careline_twitter.rate_limits import DOCUMENTED_LIMITS
from careline_twitter.sending import Sender
from careline_twitter.signatures import SIGNATURE_HEADER, crc_response_token, verify_signature
from careline_twitter.tokens import PROCESS_VAULT, TokenVault

CHANNEL_NAME = "twitter"
PARSE_FAILURES = (KeyError, TypeError, ValueError, AttributeError, IndexError, OverflowError)


class TwitterChannel(Channel):
    """X (Twitter): mentions, listening searches and DMs in; public replies and DMs out."""

    name: ClassVar[str] = CHANNEL_NAME
    manifest: ClassVar[ChannelManifest] = ChannelManifest(
        display_name="X (Twitter)",
        public_reply=True,
        private_message=True,
        private_reply_to_public=False,
        hide=False,
        delete=False,
        max_length={Visibility.PUBLIC: MAX_POST_LENGTH, Visibility.PRIVATE: MAX_DM_LENGTH},
        length_unit="weighted characters (a URL counts 23; emoji, CJK and other scripts 2)",
        window=None,
        rate_limits=DOCUMENTED_LIMITS,
        supports_polling=True,
        supports_webhooks=True,
    )

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        vault: TokenVault | None = None,
    ) -> None:
        super().__init__(config, clock=clock)
        self.settings: TwitterConfig = parse_config(self.config)
        self.client = XClient(self.settings, clock=self.clock, vault=vault or PROCESS_VAULT)
        self._poller = Poller(self.settings, self.client)
        self._sender = Sender(self.client)

    def __repr__(self) -> str:
        accounts = ", ".join(a.id for a in self.settings.accounts) or "no accounts"
        return f"TwitterChannel({self.settings.api_base!r}, {accounts})"

    # --- inbound ------------------------------------------------------------------------
    def answer_challenge(self, request: WebhookRequest) -> WebhookAnswer | None:
        """Answer X's CRC check (``GET ?crc_token=…``) with the HMAC of the token."""
        if request.method.upper() != "GET":
            return None
        token = request.query.get("crc_token")
        if not token:
            return WebhookAnswer(400, {"error": "crc_token is required"})
        secret = _reveal(self.settings.consumer_secret)
        if not secret:
            return WebhookAnswer(503, {"error": "[twitter] consumer_secret is not configured"})
        return WebhookAnswer(200, {"response_token": crc_response_token(secret, token)})

    def verify_webhook(self, request: WebhookRequest) -> bool:
        """Check ``x-twitter-webhooks-signature`` (base64 HMAC-SHA256 of the raw body)."""
        return verify_signature(
            _reveal(self.settings.consumer_secret),
            request.body,
            request.headers.get(SIGNATURE_HEADER),
        )

    def delivery_key(self, body: bytes) -> str:
        """Account Activity deliveries repeat: key them by account and event ids."""
        try:
            document = load_json(body)
        except ParseError:
            document = None
        if isinstance(document, Mapping) and is_activity_delivery(document):
            events = activity_event_ids(document)
            if events:
                account = str(document.get("for_user_id"))
                identity = f"{account}|{'|'.join(sorted(events))}"
                return "aa:" + hashlib.sha256(identity.encode()).hexdigest()
        return hashlib.sha256(body).hexdigest()

    def parse(self, body: bytes) -> list[InboundMessage]:
        """Parse an Account Activity delivery or a polled page; :class:`ParseError` otherwise."""
        document = mapping(load_json(body), "the delivery")
        try:
            if is_activity_delivery(document):
                return parse_activity(document, self.name)
            if is_envelope(document):
                context, page = unwrap_page(document)
                return parse_page(context, page, self.name)
        except ParseError:
            raise
        except PARSE_FAILURES as exc:
            raise ParseError(f"unexpected X payload: {type(exc).__name__}: {exc}") from None
        raise ParseError("neither an Account Activity delivery nor a polled X page")

    def poll_sources(self) -> list[str]:
        """``mentions:<id>``, ``posts:<id>``, ``dms:<id>`` per account, ``search:<n>``."""
        return self._poller.sources()

    def poll(self, source: str, cursor: str | None) -> PollPage:
        """Fetch the next page of a feed since ``cursor`` (the newest id seen)."""
        return self._poller.poll(source, cursor)

    # --- outbound -----------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        """Post a public reply or send a DM as the brand account."""
        return self._sender.send(message)

    def count_length(self, text: str) -> int:
        """X's weighted length (twitter-text rules ``length_rules``, v3 by default)."""
        return weighted_length(text, self.settings.length_rules)


def _reveal(secret: Any) -> str | None:
    if secret is None:
        return None
    value = secret.get_secret_value()
    return str(value) if value else None
