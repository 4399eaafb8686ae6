"""The bodies outgoing webhooks post: careline's JSON format, or Slack-compatible.

``docs/notifications.md`` documents both formats; :func:`encode` gives the exact bytes that
are signed and sent.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from careline.types import Notification

PAYLOAD_VERSION = 1
SLACK_HEADER_LIMIT = 150
SLACK_TEXT_LIMIT = 3000


def encode(payload: dict[str, Any]) -> bytes:
    """The UTF-8 JSON bytes of ``payload`` (compact; non-JSON values become strings)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def idempotency_key(sender: str, notification: Notification) -> str:
    """A key that is the same on every retry of one notification to one sender."""
    canonical = json.dumps(
        [
            sender,
            notification.kind,
            notification.title,
            notification.body,
            notification.conversation_id,
            notification.url,
            list(notification.recipients),
            dict(notification.data),
        ],
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def careline_payload(
    notification: Notification, *, delivery_id: str, key: str, sent_at: datetime
) -> dict[str, Any]:
    """careline's own JSON notification payload."""
    return {
        "version": PAYLOAD_VERSION,
        "delivery_id": delivery_id,
        "idempotency_key": key,
        "kind": notification.kind,
        "title": notification.title,
        "body": notification.body,
        "conversation_id": notification.conversation_id,
        "url": notification.url,
        "recipients": list(notification.recipients),
        "data": dict(notification.data),
        "sent_at": sent_at.isoformat(),
    }


def slack_escape(text: str) -> str:
    """Escape the three characters Slack's mrkdwn gives meaning to."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_payload(notification: Notification) -> dict[str, Any]:
    """A Slack incoming-webhook message: ``text`` (the fallback) and ``blocks``."""
    title = " ".join(notification.title.split()) or notification.kind
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _clip(title, SLACK_HEADER_LIMIT)},
        }
    ]
    if notification.body.strip():
        blocks.append(
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": _clip(slack_escape(notification.body), SLACK_TEXT_LIMIT),
                },
            }
        )
    context = []
    if notification.conversation_id is not None:
        context.append(f"Conversation #{notification.conversation_id}")
    if notification.recipients:
        context.append("For " + ", ".join(notification.recipients))
    if context:
        text = _clip(slack_escape(" · ".join(context)), SLACK_TEXT_LIMIT)
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": text}]})
    if notification.url:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open in careline"},
                        "url": notification.url,
                    }
                ],
            }
        )
    fallback = f"{title}: {notification.body}" if notification.body.strip() else title
    return {"text": _clip(slack_escape(fallback), SLACK_TEXT_LIMIT), "blocks": blocks}
