"""The outgoing webhook sender: a signed JSON (or Slack-compatible) POST per notification.

Errors follow the core's retry rules: timeouts, connection errors, 3xx, 5xx, 408 and 429 are
transient (retried with backoff); other 4xx answers are definitive (the receiver refuses the
request, so trying again cannot help). Log lines and stored errors name the webhook and the
host, never the URL's path or query, which for Slack and many others is the secret itself.
"""

from __future__ import annotations

import logging
import uuid
from urllib.parse import urlsplit

import httpx
from careline.channels import hmac_signature
from careline.clock import Clock
from careline.notifications import NotificationError, NotificationSender
from careline.types import Notification

from careline_escalation import __version__
from careline_escalation.config import WebhookConfig
from careline_escalation.payload import careline_payload, encode, idempotency_key, slack_payload
from careline_escalation.recipients import webhook_wanted

log = logging.getLogger("careline.escalation.webhook")

SIGNATURE_HEADER = "X-Careline-Signature"
DELIVERY_HEADER = "X-Careline-Delivery"
RETRYABLE_CLIENT_ERRORS = (408, 429)
RESPONSE_EXCERPT = 200


class WebhookSender(NotificationSender):
    """Posts notifications to one configured URL (sender name ``webhook:<name>``)."""

    def __init__(self, webhook: str, config: WebhookConfig, clock: Clock) -> None:
        self.webhook = webhook
        self.name = f"webhook:{webhook}"
        self.config = config
        self.clock = clock
        self.host = urlsplit(config.url).netloc.rpartition("@")[2]

    def accepts(self, notification: Notification) -> bool:
        """Whether this webhook should receive ``notification`` (see :mod:`.recipients`)."""
        return webhook_wanted(self.webhook, self.config.recipients, notification.recipients)

    def deliver(self, notification: Notification) -> None:
        """POST the notification; raise :class:`NotificationError` when it is not accepted."""
        if not self.accepts(notification):
            log.debug("webhook %s: not addressed by %s", self.webhook, notification.recipients)
            return
        delivery_id = uuid.uuid4().hex
        if self.config.format == "slack":
            payload = slack_payload(notification)
        else:
            payload = careline_payload(
                notification,
                delivery_id=delivery_id,
                key=idempotency_key(self.name, notification),
                sent_at=self.clock.now(),
            )
        body = encode(payload)
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": f"careline-escalation/{__version__}",
            DELIVERY_HEADER: delivery_id,
        }
        if self.config.secret:
            headers[SIGNATURE_HEADER] = "sha256=" + hmac_signature(self.config.secret, body)
        timeout = self.config.timeout.total_seconds()
        try:
            with httpx.Client(timeout=timeout, follow_redirects=False) as client:
                response = client.post(self.config.url, content=body, headers=headers)
        except httpx.TimeoutException:
            raise NotificationError(
                f"webhook {self.webhook} ({self.host}): no answer within {timeout:g}s"
            ) from None
        except httpx.HTTPError as exc:
            raise NotificationError(
                f"webhook {self.webhook} ({self.host}): {type(exc).__name__}"
            ) from None
        if not response.is_success:
            status = response.status_code
            transient = not (400 <= status < 500) or status in RETRYABLE_CLIENT_ERRORS
            excerpt = " ".join(response.text[:RESPONSE_EXCERPT].split())
            raise NotificationError(
                f"webhook {self.webhook} ({self.host}): HTTP {status} {excerpt}".rstrip(),
                transient=transient,
            )
        log.info(
            "webhook %s (%s): delivered %s notification for conversation %s (delivery %s, HTTP %s)",
            self.webhook,
            self.host,
            notification.kind,
            notification.conversation_id,
            delivery_id,
            response.status_code,
        )
