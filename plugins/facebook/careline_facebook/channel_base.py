"""What the Facebook and Instagram channels share: webhook checks, the envelope, private sends.

:class:`GraphChannel` implements signature verification, the hub challenge, envelope and
backfill parsing, private messages and private replies (both platforms send them with
``POST /{account}/messages``), error mapping and health; a subclass says how its account is
configured, how to parse its ``changes``, how to reply publicly and how to hide a comment.
"""

from __future__ import annotations

import abc
import time
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any, ClassVar

import httpx
from careline.channels import (
    Channel,
    ChannelError,
    ChannelManifest,
    MessagingWindow,
    OutboundMessage,
    PollPage,
    SendError,
    SendResult,
    WebhookAnswer,
    WebhookRequest,
)
from careline.clock import Clock
from careline.send_policy import MESSAGE_TAG, RESPONSE
from careline.types import InboundMessage, Visibility

from careline_facebook import payload
from careline_facebook.backfill import BackfillParser, parse_backfill
from careline_facebook.config import GraphChannelConfig, validate_config
from careline_facebook.graph import GraphClient, JsonObject
from careline_facebook.messaging import parse_messaging_event
from careline_facebook.webhooks import (
    Change,
    Entry,
    answer_hub_challenge,
    parse_envelope,
    verify_signature,
)

HUMAN_AGENT = "HUMAN_AGENT"
# Meta's rules for private messages (Messenger and Instagram Direct alike).
META_MESSAGING_WINDOW = MessagingWindow(
    standard=timedelta(hours=24),
    tag=HUMAN_AGENT,
    tag_window=timedelta(days=7),
    tag_humans_only=True,
)
PRIVATE_REPLY_WINDOW = timedelta(days=7)


def meta_manifest(display_name: str, *, public_length: int, private_length: int) -> ChannelManifest:
    """The capability manifest of a Meta channel: Meta's windows and private-reply rules,
    hiding, polling and webhooks, with the platform's length limits."""
    return ChannelManifest(
        display_name=display_name,
        public_reply=True,
        private_message=True,
        private_reply_to_public=True,
        private_reply_window=PRIVATE_REPLY_WINDOW,
        hide=True,
        delete=False,
        max_length={Visibility.PUBLIC: public_length, Visibility.PRIVATE: private_length},
        window=META_MESSAGING_WINDOW,
        supports_polling=True,
        supports_webhooks=True,
    )


Poller = Callable[[str, str | None], PollPage]


class GraphChannel(Channel):
    """Base of the channels that speak the Graph API and Meta's webhooks."""

    config_model: ClassVar[type[GraphChannelConfig]] = GraphChannelConfig
    webhook_object: ClassVar[str]
    backfill_parsers: ClassVar[Mapping[str, BackfillParser]] = {}
    profile_fields: ClassVar[str] = "id,name"

    def __init__(
        self,
        config: Mapping[str, Any] | None = None,
        *,
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(config, clock=clock)
        # Required keys are enforced at start-up (careline_startup); a channel built without
        # them exists but is unhealthy, and its sends ask for a reconnect.
        self.settings = validate_config(self.config_model, self.config, name=self.name)
        self._transport = transport
        self._sleep = sleep
        self._graph: GraphClient | None = None

    def __repr__(self) -> str:
        return f"{type(self).__name__}(account={self.account_id!r})"

    # --- configuration ---------------------------------------------------------------------
    @property
    @abc.abstractmethod
    def account_id(self) -> str | None:
        """The brand account this channel answers for (Page id or Instagram account id)."""

    @property
    def graph(self) -> GraphClient:
        """The Graph API client, built on first use."""
        if self._graph is None:
            self._graph = GraphClient(
                self.settings, clock=self.clock, sleep=self._sleep, transport=self._transport
            )
        return self._graph

    def _require_account(self) -> str:
        if not self.account_id:
            raise SendError(
                f"the {self.name} channel is not configured (no account id)",
                transient=False,
                needs_reconnect=True,
                code="not-configured",
            )
        return self.account_id

    # --- inbound ---------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> bool:
        """Check ``X-Hub-Signature-256`` with the app secret."""
        return verify_signature(self.settings.secret("app_secret"), request)

    def answer_challenge(self, request: WebhookRequest) -> WebhookAnswer | None:
        """Answer Meta's ``hub.challenge`` subscription check with the verify token."""
        return answer_hub_challenge(self.settings.secret("verify_token"), request)

    def parse(self, body: bytes) -> list[InboundMessage]:
        """Parse a webhook delivery or a backfill page produced by :meth:`poll`."""
        document = payload.load_json_object(body)
        if "backfill" in document:
            return parse_backfill(document, channel=self.name, parsers=self.backfill_parsers)
        messages: list[InboundMessage] = []
        for index, entry in enumerate(parse_envelope(document, self.webhook_object)):
            for number, change in enumerate(entry.changes):
                where = f"entry[{index}].changes[{number}].value"
                messages.extend(self.parse_change(entry, change, where))
            for number, event in enumerate(entry.messaging):
                messages.extend(
                    parse_messaging_event(
                        event,
                        channel=self.name,
                        account=entry.account,
                        fallback_time=entry.time,
                        where=f"entry[{index}].messaging[{number}]",
                    )
                )
        return messages

    @abc.abstractmethod
    def parse_change(self, entry: Entry, change: Change, where: str) -> list[InboundMessage]:
        """Turn one ``changes[]`` item into messages (unknown fields give ``[]``)."""

    # --- polling ---------------------------------------------------------------------------
    def pollers(self) -> dict[str, Poller]:
        """Poll functions by source name (``"feed:<id>"`` …); empty until configured."""
        return {}

    def poll_sources(self) -> list[str]:
        """The backfill sources of the configured account."""
        if not self.settings.secret("access_token"):
            return []
        return sorted(self.pollers())

    def poll(self, source: str, cursor: str | None) -> PollPage:
        """Fetch what is new in ``source`` since ``cursor`` (raises SendError on Graph errors)."""
        poller = self.pollers().get(source)
        if poller is None:
            raise ChannelError(f"the {self.name} channel has no poll source {source!r}")
        return poller(source, cursor)

    # --- outbound --------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        """Send a public reply, a private reply to a comment, or a private message."""
        account = self._require_account()
        if message.account and message.account != account:
            raise SendError(
                f"this {self.name} channel is connected to account {account}, "
                f"not {message.account}",
                transient=False,
                code="wrong-account",
            )
        if message.visibility is Visibility.PUBLIC:
            answer = self.send_public(message)
        elif message.private_reply_to:
            answer = self.graph.post(
                f"{account}/messages",
                json={
                    "recipient": {"comment_id": message.private_reply_to},
                    "message": {"text": message.text},
                },
            )
        else:
            answer = self.graph.post(f"{account}/messages", json=private_message_body(message))
        external_id = answer.get("message_id") or answer.get("id")
        if not external_id:
            raise SendError(
                "the Graph API accepted the reply but returned no id", transient=False, code="no-id"
            )
        return SendResult(external_id=str(external_id), raw=answer)

    @abc.abstractmethod
    def send_public(self, message: OutboundMessage) -> JsonObject:
        """Post a public reply; return the Graph answer (``{"id": …}``)."""

    def hide(self, external_id: str, *, account: str) -> None:
        """Hide a public comment from everyone but its author and their friends."""
        self._require_account()
        self.hide_comment(external_id)

    @abc.abstractmethod
    def hide_comment(self, comment_id: str) -> None:
        """Make the platform call that hides ``comment_id``."""

    def check_connection(self) -> str:
        """Read the account with the configured token; its name, or a SendError saying why not."""
        account = self._require_account()
        answer = self.graph.get(account, {"fields": self.profile_fields})
        return str(answer.get("name") or answer.get("username") or account)

    def is_healthy(self, now: datetime) -> bool:
        """False without a token, or after the Graph API refused the token (until it works)."""
        if not self.settings.secret("access_token") or not self.account_id:
            return False
        return self._graph is None or self._graph.reconnect_error is None


def private_message_body(message: OutboundMessage) -> dict[str, Any]:
    """The ``/messages`` body of a private message, with the messaging type the policy chose."""
    if not message.recipient_id:
        raise SendError(
            "a private message needs the customer's id (recipient_id)",
            transient=False,
            code="no-recipient",
        )
    messaging_type = message.messaging_type or RESPONSE
    body: dict[str, Any] = {
        "recipient": {"id": message.recipient_id},
        "messaging_type": messaging_type,
        "message": {"text": message.text},
    }
    if messaging_type == MESSAGE_TAG:
        if not message.tag:
            raise SendError(
                "messaging_type MESSAGE_TAG needs a tag (HUMAN_AGENT)",
                transient=False,
                code="no-tag",
            )
        body["tag"] = message.tag
    return body


def top_comment_of(thread_key: str | None) -> str | None:
    """The top-level comment id in a ``"{post}/{comment}"`` thread key, if there is one."""
    if not thread_key or "/" not in thread_key:
        return None
    return thread_key.rsplit("/", 1)[1] or None
