"""The ``contactform`` channel: a website's contact form, delivered as signed JSON.

Inbound, the website POSTs each submission to careline's ``/webhooks/contactform`` with
``X-Signature: sha256=<hex HMAC-SHA256 of the raw body>``. It also reports the replies it
delivered (``"type": "reply"``), including those its staff sent from elsewhere: careline stores
them as the brand's own messages (echoes), never as customer messages.

Outbound, a reply is ``POST {base_url}/replies`` with a bearer token.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, Literal

import httpx
from careline.channels import (
    Channel,
    ChannelManifest,
    OutboundMessage,
    ParseError,
    SendError,
    SendResult,
    WebhookRequest,
    verify_hmac_signature,
)
from careline.clock import Clock
from careline.types import Author, Direction, InboundMessage, Visibility
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from careline_contact_form.config import ContactFormConfig, parse_config

CHANNEL = "contactform"
SIGNATURE_HEADER = "x-signature"
MAX_LENGTH = 5_000
EMAIL_PATTERN = r"^\s*[^@\s]{1,64}@[^@\s]{1,255}\s*$"  # surrounding spaces are trimmed
SUBMISSION_PREFIX = "s:"
REPLY_PREFIX = "r:"


# --- the website's payloads ------------------------------------------------------------------
class Submission(BaseModel):
    """One form submission, as the website sends it."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["submission"] = "submission"
    id: str = Field(min_length=1, max_length=200)
    submitted_at: AwareDatetime
    email: str = Field(pattern=EMAIL_PATTERN)
    name: str = Field(default="", max_length=200)
    subject: str = Field(default="", max_length=500)
    message: str = Field(min_length=1, max_length=50_000)
    thread: str | None = Field(default=None, max_length=200)


class ReplyNotice(BaseModel):
    """A reply the website delivered to a customer (the brand's own message: an echo)."""

    model_config = ConfigDict(extra="ignore")

    type: Literal["reply"]
    id: str = Field(min_length=1, max_length=200)
    sent_at: AwareDatetime
    to_email: str = Field(pattern=EMAIL_PATTERN)
    in_reply_to: str | None = Field(default=None, max_length=200)
    text: str = Field(max_length=50_000)


def normalise_email(address: str) -> str:
    """One conversation per sender: ``Priya@Example.COM `` and ``priya@example.com`` match."""
    return address.strip().lower()


def parse_payload(body: bytes) -> Submission | ReplyNotice:
    """Validate one delivery; anything else raises :class:`ParseError`."""
    try:
        data = json.loads(body)
    except ValueError as exc:  # not UTF-8 or not JSON
        raise ParseError(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ParseError("a delivery must be a JSON object")
    kind = data.get("type", "submission")
    model: type[Submission] | type[ReplyNotice]
    if kind == "submission":
        model = Submission
    elif kind == "reply":
        model = ReplyNotice
    else:
        raise ParseError(f"unknown delivery type {kind!r}")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise ParseError(f"{where}: {first['msg']}") from None


# --- sending -----------------------------------------------------------------------------------
def retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


def classify(response: httpx.Response, now: datetime) -> SendError:
    """Map a refused reply to a transient, definitive or needs-reconnect :class:`SendError`."""
    status = response.status_code
    try:
        detail = str(response.json().get("error", ""))
    except (ValueError, AttributeError):
        detail = response.text[:200]
    message = f"the website answered {status}" + (f": {detail}" if detail else "")
    code = str(status)
    if status == 429 or status >= 500:
        wait = retry_after(response.headers.get("retry-after"), now)
        return SendError(message, transient=True, retry_after=wait, code=code)
    if status in (401, 403):
        return SendError(message, transient=False, needs_reconnect=True, code=code)
    return SendError(message, transient=False, code=code)  # 400, 422 and any other 4xx


class ContactFormChannel(Channel):
    """A website's contact form: private, one conversation per sender e-mail."""

    name: ClassVar[str] = CHANNEL
    manifest: ClassVar[ChannelManifest] = ChannelManifest(
        display_name="Contact form",
        public_reply=False,
        private_message=True,
        max_length={Visibility.PRIVATE: MAX_LENGTH},
        window=None,  # the website can always e-mail the customer back
        supports_polling=False,
        supports_webhooks=True,
    )

    def __init__(self, config: Mapping[str, Any] | None = None, *, clock: Clock | None = None):
        super().__init__(config, clock=clock)
        self.settings: ContactFormConfig = parse_config(self.config)

    # --- inbound -----------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest) -> bool:
        """Accept only bodies signed with the shared secret (``X-Signature: sha256=<hex>``)."""
        secret = self.settings.secret.get_secret_value() if self.settings.secret else ""
        headers = {key.lower(): value for key, value in request.headers.items()}
        return verify_hmac_signature(secret, request.body, headers.get(SIGNATURE_HEADER))

    def parse(self, body: bytes) -> list[InboundMessage]:
        """A submission becomes a customer message; a reply notice becomes an echo."""
        payload = parse_payload(body)
        if isinstance(payload, ReplyNotice):
            return [self._echo(payload)]
        email = normalise_email(payload.email)
        text = f"{payload.subject}\n\n{payload.message}" if payload.subject else payload.message
        return [
            InboundMessage(
                channel=CHANNEL,
                account=self.settings.account,
                external_id=SUBMISSION_PREFIX + payload.id,
                text=text,
                author=Author(external_id=email, handle=email, display_name=payload.name or None),
                created_at=payload.submitted_at,
                visibility=Visibility.PRIVATE,
                participant_id=email,
                raw=payload.model_dump(mode="json"),
            )
        ]

    def _echo(self, payload: ReplyNotice) -> InboundMessage:
        account = self.settings.account
        return InboundMessage(
            channel=CHANNEL,
            account=account,
            external_id=REPLY_PREFIX + payload.id,
            text=payload.text,
            author=Author(external_id=account, display_name=account),
            created_at=payload.sent_at,
            visibility=Visibility.PRIVATE,
            direction=Direction.OUTBOUND,
            participant_id=normalise_email(payload.to_email),
            in_reply_to=SUBMISSION_PREFIX + payload.in_reply_to if payload.in_reply_to else None,
            opens_window=False,
            raw=payload.model_dump(mode="json"),
        )

    # --- outbound ----------------------------------------------------------------------------
    def send(self, message: OutboundMessage) -> SendResult:
        """POST the reply to the website; map its refusals to :class:`SendError`."""
        token = self.settings.api_token.get_secret_value() if self.settings.api_token else ""
        if not token:
            raise SendError(
                "[contactform] api_token is not set", transient=False, needs_reconnect=True
            )
        if message.visibility is not Visibility.PRIVATE or not message.recipient_id:
            raise SendError("contact-form replies go privately to the sender", transient=False)
        in_reply_to = message.in_reply_to
        if in_reply_to and in_reply_to.startswith(SUBMISSION_PREFIX):
            in_reply_to = in_reply_to[len(SUBMISSION_PREFIX) :]
        try:
            response = httpx.post(
                self.settings.replies_url,
                json={
                    "to_email": message.recipient_id,
                    "in_reply_to": in_reply_to,
                    "text": message.text,
                },
                headers={
                    "Authorization": f"Bearer {token}",
                    "Idempotency-Key": message.idempotency_key,
                },
                timeout=self.settings.timeout,
            )
        except httpx.TransportError as exc:
            raise SendError(f"the website is unreachable: {exc}", transient=True) from exc
        if response.status_code >= 400:
            raise classify(response, self.clock.now())
        try:
            reply_id = str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise SendError(
                "the website accepted the reply without an id", transient=False
            ) from None
        return SendResult(external_id=REPLY_PREFIX + reply_id, raw=response.json())
