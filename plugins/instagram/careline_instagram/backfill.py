"""Backfill of comments on the brand's recent media (``media:<ig user id>``).

Instagram cannot filter comments by time, so the poll reads the comments (and their replies)
of the ``backfill_posts`` newest media and keeps what was written since the cursor. The
delivery uses careline's backfill envelope (see :mod:`careline_facebook.backfill`)::

    {"backfill": "media", "account": "<ig user id>",
     "comments": [{<Graph comment>, "media_id": "…", "parent_id": "…" (replies only)}]}

with the same comment ids and thread keys as the ``comments`` webhook. Private messages are
backfilled by the Facebook plugin's ``conversations`` poll with ``platform=instagram``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from careline.channels import PollPage
from careline.types import InboundMessage
from careline_facebook import payload
from careline_facebook.backfill import (
    backfill_document,
    collect_edge,
    created_at,
    start_cursor,
)
from careline_facebook.config import GraphChannelConfig
from careline_facebook.feed import public_message
from careline_facebook.graph import GraphClient, JsonObject

from careline_instagram.comments import comment_item

REPLY_FIELDS = "id,text,timestamp,username,from{id,username}"
COMMENT_FIELDS = f"{REPLY_FIELDS},replies.limit(50){{{REPLY_FIELDS}}}"
TIME_KEY = "timestamp"


def poll_media(
    client: GraphClient,
    account: str,
    cursor: str | None,
    config: GraphChannelConfig,
    now: datetime,
) -> PollPage:
    """Comments and replies written since the cursor on the account's newest media."""
    position = start_cursor(cursor, config, now)
    since = position.since
    answer = client.get(
        f"{account}/media",
        {
            "fields": f"id,timestamp,comments.limit(50){{{COMMENT_FIELDS}}}",
            "limit": config.backfill_posts,
        },
    )
    found: list[JsonObject] = []
    for media in payload.objects(answer.get("data"), "media.data"):
        media_id = str(media.get("id", ""))
        edge = media.get("comments")
        comments = collect_edge(
            client,
            edge if isinstance(edge, Mapping) else {},
            f"{media_id}/comments",
            {"fields": COMMENT_FIELDS, "limit": 50},
            since=None,
            max_pages=config.backfill_max_pages,
            time_key=TIME_KEY,
        )
        for comment in comments:
            if _is_new(comment, since):
                found.append({**_without_replies(comment), "media_id": media_id})
            replies = comment.get("replies")
            new_replies = collect_edge(
                client,
                replies if isinstance(replies, Mapping) else {},
                f"{comment.get('id')}/replies",
                {"fields": REPLY_FIELDS, "limit": 50},
                since=None,
                max_pages=config.backfill_max_pages,
                time_key=TIME_KEY,
            )
            found += [
                {**reply, "media_id": media_id, "parent_id": comment.get("id")}
                for reply in new_replies
                if _is_new(reply, since)
            ]
    for item in found:
        if moment := created_at(item, TIME_KEY):
            position = position.seen(moment)
    deliveries = [backfill_document("media", account, comments=found)] if found else []
    return PollPage(deliveries=deliveries, cursor=position.finished().encode())


def _is_new(item: Mapping[str, Any], since: int) -> bool:
    moment = created_at(item, TIME_KEY)
    return moment is not None and moment.timestamp() >= since


def _without_replies(comment: Mapping[str, Any]) -> JsonObject:
    return {key: value for key, value in comment.items() if key != "replies"}


def parse_media_backfill(
    document: Mapping[str, Any], channel: str, account: str
) -> list[InboundMessage]:
    """Messages of a ``media`` backfill."""
    messages = []
    for index, comment in enumerate(payload.objects(document.get("comments"), "backfill.comments")):
        where = f"backfill.comments[{index}]"
        item = comment_item(
            comment,
            media_id=payload.identifier(comment, "media_id", where),
            created=payload.from_graph_time(comment.get(TIME_KEY), f"{where}.{TIME_KEY}"),
            where=where,
        )
        messages.append(public_message(item, channel=channel, account=account, raw=comment))
    return messages
