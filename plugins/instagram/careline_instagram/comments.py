"""Instagram comments on the brand's own media (``field: comments``), webhook and backfill.

A delivery value looks like::

    {"id": "17865799348089039", "text": "Where is my order?",
     "from": {"id": "1234567890123456", "username": "ann.example"},
     "media": {"id": "17887498072083520", "media_product_type": "FEED"},
     "parent_id": "17858893269000001"}        # only on replies

The thread is the media plus the top-level comment (``"{media_id}/{top comment id}"``);
comments written by the brand account itself are outbound echoes. The delivery has no time of
its own, so the entry's ``time`` is used.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from careline.channels import ParseError
from careline.types import InboundMessage
from careline_facebook import payload
from careline_facebook.feed import PublicItem, public_message


def comment_item(
    value: Mapping[str, Any], *, media_id: str, created: datetime, where: str
) -> PublicItem:
    """The shared public-item shape of an Instagram comment or reply."""
    comment_id = payload.identifier(value, "id", where)
    parent_id = payload.optional_identifier(value, "parent_id", where)
    author = payload.optional_mapping(value, "from", where)
    username = payload.text(author, "username", f"{where}.from") or payload.text(
        value, "username", where
    )
    return PublicItem(
        external_id=comment_id,
        post_id=media_id,
        top_comment_id=parent_id or comment_id,
        in_reply_to=parent_id or media_id,
        author_id=payload.optional_identifier(author, "id", f"{where}.from"),
        author_name=None,
        author_handle=username or None,
        text=payload.text(value, "text", where),
        created_at=created,
    )


def parse_comment_change(
    value: Mapping[str, Any],
    *,
    channel: str,
    account: str,
    fallback_time: datetime | None,
    where: str,
) -> list[InboundMessage]:
    """Turn one ``comments`` (or ``live_comments``) change value into a message."""
    media = payload.optional_mapping(value, "media", where)
    media_id = payload.identifier(media, "id", f"{where}.media")
    stamp = value.get("timestamp") or value.get("created_time")
    if stamp is not None:
        created = payload.from_graph_time(stamp, f"{where}.timestamp")
    elif fallback_time is not None:
        created = fallback_time
    else:
        raise ParseError(f"{where} has no time and its entry none either")
    item = comment_item(value, media_id=media_id, created=created, where=where)
    return [public_message(item, channel=channel, account=account, raw=value)]
