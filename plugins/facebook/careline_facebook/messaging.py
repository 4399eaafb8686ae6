"""Private messages: Messenger and Instagram Direct ``messaging[]`` events.

Both platforms use the same event shape::

    {"sender": {"id": "<PSID or IGSID>"}, "recipient": {"id": "<page or IG account id>"},
     "timestamp": 1701413571000,
     "message": {"mid": "m_…", "text": "…", "attachments": [{"type": "image",
                 "payload": {"url": "…"}}], "reply_to": {"mid": "…"}, "is_echo": true}}

``is_echo`` marks the brand's own sends (outbound, the customer is the recipient);
``postback`` (a button press) becomes a message with the button's title; ``message_edit``
an edit and ``is_deleted`` (Instagram) a removal. Delivery, read, reaction and typing events
carry nothing for careline and are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from careline.channels import ParseError
from careline.types import (
    Author,
    Direction,
    InboundMessage,
    MessageKind,
    Visibility,
)

from careline_facebook import payload


def parse_messaging_event(
    event: Mapping[str, Any],
    *,
    channel: str,
    account: str,
    fallback_time: datetime | None,
    where: str,
) -> list[InboundMessage]:
    """Turn one ``messaging[]`` (or ``standby[]``) event into zero or one message."""
    sender = payload.identifier(payload.optional_mapping(event, "sender", where), "id", where)
    recipient_data = payload.optional_mapping(event, "recipient", where)
    recipient = payload.optional_identifier(recipient_data, "id", f"{where}.recipient") or account
    timestamp = event.get("timestamp")
    if timestamp is not None:
        created = payload.from_unix(timestamp, f"{where}.timestamp")
    elif fallback_time is not None:
        created = fallback_time
    else:
        raise ParseError(f"{where} has no timestamp")
    if "message" in event:
        body = payload.mapping(event["message"], f"{where}.message")
        return [_message(body, channel, account, sender, recipient, created, f"{where}.message")]
    if "postback" in event:
        body = payload.mapping(event["postback"], f"{where}.postback")
        return [_postback(body, channel, account, sender, created, f"{where}.postback")]
    if "message_edit" in event:
        body = payload.mapping(event["message_edit"], f"{where}.message_edit")
        return [
            InboundMessage(
                channel=channel,
                account=account,
                external_id=payload.identifier(body, "mid", f"{where}.message_edit"),
                text=payload.text(body, "text", f"{where}.message_edit"),
                author=Author(external_id=sender),
                created_at=created,
                visibility=Visibility.PRIVATE,
                kind=MessageKind.EDIT,
                participant_id=sender,
                opens_window=False,
                raw=dict(event),
            )
        ]
    return []


def _message(
    body: Mapping[str, Any],
    channel: str,
    account: str,
    sender: str,
    recipient: str,
    created: datetime,
    where: str,
) -> InboundMessage:
    echo = payload.flag(body, "is_echo") or sender == account
    customer = recipient if echo else sender
    attachments = attachment_urls(body.get("attachments"), f"{where}.attachments")
    reply_to = payload.optional_mapping(body, "reply_to", where)
    story = payload.optional_mapping(reply_to, "story", f"{where}.reply_to")
    in_reply_to = payload.optional_identifier(reply_to, "mid", f"{where}.reply_to")
    if story:
        in_reply_to = payload.optional_identifier(story, "id", f"{where}.reply_to.story")
        story_url = payload.text(story, "url", f"{where}.reply_to.story")
        attachments += (story_url,) if story_url else ()
    deleted = payload.flag(body, "is_deleted")
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=payload.identifier(body, "mid", where),
        text=payload.text(body, "text", where),
        author=Author(external_id=sender),
        created_at=created,
        visibility=Visibility.PRIVATE,
        direction=Direction.OUTBOUND if echo else Direction.INBOUND,
        kind=MessageKind.DELETE if deleted else MessageKind.MESSAGE,
        participant_id=customer,
        in_reply_to=in_reply_to,
        attachments=attachments,
        opens_window=not echo and not deleted,
        raw={"message": dict(body), "sender": sender, "recipient": recipient},
    )


def _postback(
    body: Mapping[str, Any],
    channel: str,
    account: str,
    sender: str,
    created: datetime,
    where: str,
) -> InboundMessage:
    # Older postbacks carry no mid; sender + time is what identifies the button press then.
    external_id = payload.optional_identifier(body, "mid", where) or (
        f"postback:{sender}:{int(created.timestamp() * 1000)}"
    )
    title = payload.text(body, "title", where) or payload.text(body, "payload", where)
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=external_id,
        text=title,
        author=Author(external_id=sender),
        created_at=created,
        visibility=Visibility.PRIVATE,
        participant_id=sender,
        raw={"postback": dict(body), "sender": sender},
    )


def attachment_urls(value: Any, where: str) -> tuple[str, ...]:
    """The URLs of ``attachments[].payload.url`` (attachments without one are skipped)."""
    urls = []
    for index, attachment in enumerate(payload.objects(value, where)):
        data = payload.optional_mapping(attachment, "payload", f"{where}[{index}]")
        url = payload.text(data, "url", f"{where}[{index}].payload")
        if url:
            urls.append(url)
    return tuple(urls)
