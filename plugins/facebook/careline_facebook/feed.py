"""Facebook Page ``feed`` changes: comments, replies and visitor posts on the Page.

A comment delivery value looks like::

    {"from": {"id": "6780462125377510", "name": "Ann"}, "item": "comment", "verb": "add",
     "post_id": "370873143344730_690891113073877",
     "comment_id": "690891113073877_759878495960329",
     "parent_id": "370873143344730_690891113073877", "message": "…",
     "created_time": 1701413571}

``parent_id`` is the post for a top-level comment and the parent comment for a reply, so the
thread key — post plus top-level comment — is ``"{post_id}/{comment_id}"`` for a top-level
comment and ``"{post_id}/{parent_id}"`` for a reply. Comments by the Page itself are outbound
echoes; ``edited`` is an edit, ``remove`` a removal; hides, reactions and likes are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careline.channels import ParseError
from careline.types import Author, Direction, InboundMessage, MessageKind, Visibility

from careline_facebook import payload

POST_ITEMS = frozenset({"post", "status", "photo", "video", "share", "link", "event"})
VERB_KINDS = {"add": MessageKind.MESSAGE, "edited": MessageKind.EDIT, "remove": MessageKind.DELETE}


@dataclass(frozen=True, slots=True)
class PublicItem:
    """A comment or post in the shape both the webhook and the backfill produce.

    Instagram comments use it too, with the media id as ``post_id``.
    """

    external_id: str
    post_id: str
    top_comment_id: str | None
    in_reply_to: str | None
    author_id: str | None
    author_name: str | None
    text: str
    created_at: datetime
    kind: MessageKind = MessageKind.MESSAGE
    attachments: tuple[str, ...] = ()
    author_handle: str | None = None


def public_message(
    item: PublicItem, *, channel: str, account: str, raw: Mapping[str, Any]
) -> InboundMessage:
    """The InboundMessage for a Page comment or post, whichever way it arrived."""
    thread = f"{item.post_id}/{item.top_comment_id}" if item.top_comment_id else item.post_id
    # Without the pages_read_user_content permission Meta omits "from"; such comments still
    # reach the inbox, as an anonymous author per comment.
    author_id = item.author_id or f"anonymous:{item.external_id}"
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=item.external_id,
        text=item.text,
        author=Author(
            external_id=author_id, handle=item.author_handle, display_name=item.author_name
        ),
        created_at=item.created_at,
        visibility=Visibility.PUBLIC,
        direction=Direction.OUTBOUND if author_id == account else Direction.INBOUND,
        kind=item.kind,
        thread_key=thread,
        in_reply_to=item.in_reply_to,
        attachments=item.attachments,
        raw=dict(raw),
    )


def parse_feed_change(
    value: Mapping[str, Any],
    *,
    channel: str,
    account: str,
    fallback_time: datetime | None,
    where: str,
) -> list[InboundMessage]:
    """Turn one ``feed`` change value into zero or one message."""
    item_type = payload.text(value, "item", where)
    kind = VERB_KINDS.get(payload.text(value, "verb", where))
    if kind is None or (item_type != "comment" and item_type not in POST_ITEMS):
        return []
    author = payload.optional_mapping(value, "from", where)
    post_id = payload.identifier(value, "post_id", where)
    created_value = value.get("created_time")
    if created_value is not None:
        created = payload.from_unix(created_value, f"{where}.created_time")
    elif fallback_time is not None:
        created = fallback_time
    else:
        raise ParseError(f"{where} has no created_time")
    if item_type == "comment":
        comment_id = payload.identifier(value, "comment_id", where)
        parent_id = payload.optional_identifier(value, "parent_id", where) or post_id
        top_comment = comment_id if parent_id == post_id else parent_id
        external_id, in_reply_to = comment_id, parent_id
    else:
        top_comment, external_id, in_reply_to = None, post_id, None
    attachments = tuple(
        url for key in ("photo", "video", "link") if (url := payload.text(value, key, where))
    )
    item = PublicItem(
        external_id=external_id,
        post_id=post_id,
        top_comment_id=top_comment,
        in_reply_to=in_reply_to,
        author_id=payload.optional_identifier(author, "id", f"{where}.from"),
        author_name=payload.text(author, "name", f"{where}.from") or None,
        text=payload.text(value, "message", where),
        created_at=created,
        kind=kind,
        attachments=attachments,
    )
    return [public_message(item, channel=channel, account=account, raw=value)]
