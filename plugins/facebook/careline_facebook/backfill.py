"""Polling, used as a backfill: fetch what webhooks did not bring (token expired, server down).

Each poll returns raw deliveries in careline's own backfill envelope, which
:func:`parse_backfill` reads back::

    {"backfill": "feed", "account": "<page id>",
     "posts": [<new posts>], "comments": [<new comments, each with its "post_id">]}
    {"backfill": "conversations", "account": "<page or IG id>", "messages": [<new messages>]}

The items are Graph API objects as the API returned them, already filtered to what is new,
and the envelope carries nothing else (no poll time): polls that find the same items produce
the same bytes, so the core stores them once.

The items carry the *same* platform ids as webhook deliveries (``{post}_{comment}`` comment
ids, ``m_…`` message ids), so the core's dedupe by ``(channel, external_id)`` makes a poll
that overlaps webhooks a no-op. The cursor is a small JSON document: ``since`` (Unix seconds,
inclusive), ``high`` (the newest time seen during a multi-page walk) and ``after`` (the Graph
paging cursor to continue from).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careline.channels import ParseError, PollPage
from careline.types import Author, Direction, InboundMessage, Visibility

from careline_facebook import payload
from careline_facebook.config import GraphChannelConfig
from careline_facebook.feed import PublicItem, public_message
from careline_facebook.graph import GraphClient, JsonObject

# Graph results are eventually consistent; re-reading the last minutes costs only duplicates,
# which the core drops, while starting exactly at the newest item could miss a late one.
OVERLAP_SECONDS = 120
COMMENT_FIELDS = "id,from{id,name},message,created_time,parent{id},attachment{url}"
POST_FIELDS = "id,from{id,name},message,created_time"
MESSAGE_FIELDS = "id,message,from,to,created_time,attachments{image_data{url},file_url}"
CONVERSATION_PAGE_SIZE = 25
MESSAGES_PER_CONVERSATION = 50


@dataclass(frozen=True, slots=True)
class PollCursor:
    """Where a backfill source stands (stored by the core between polls)."""

    since: int
    high: int | None = None
    after: str | None = None

    @classmethod
    def decode(cls, value: str | None, *, default_since: int) -> PollCursor:
        """Read a stored cursor; ``None`` or an unreadable one starts at ``default_since``."""
        if not value:
            return cls(since=default_since)
        try:
            data = json.loads(value)
            high, after = data.get("high"), data.get("after")
            return cls(
                since=int(data["since"]),
                high=None if high is None else int(high),
                after=None if after is None else str(after),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return cls(since=default_since)

    def encode(self) -> str:
        """The cursor as the string the core stores."""
        return json.dumps({"since": self.since, "high": self.high, "after": self.after})

    def seen(self, moment: datetime) -> PollCursor:
        """This cursor having seen an item created at ``moment``."""
        stamp = int(moment.timestamp())
        return PollCursor(self.since, max(self.high or stamp, stamp), self.after)

    def finished(self) -> PollCursor:
        """The cursor for the next poll once a walk is complete."""
        if self.high is None:
            return PollCursor(since=self.since)
        return PollCursor(since=max(self.since, self.high - OVERLAP_SECONDS))


def start_cursor(cursor: str | None, config: GraphChannelConfig, now: datetime) -> PollCursor:
    """Decode ``cursor``; a first poll looks back ``backfill_lookback``."""
    default = int((now - config.backfill_lookback).timestamp())
    return PollCursor.decode(cursor, default_since=default)


def backfill_document(kind: str, account: str, **items: list[Any]) -> bytes:
    """One backfill delivery, as canonical bytes (same content → same delivery key)."""
    return payload.canonical_json({"backfill": kind, "account": account, **items})


def next_after(page: Mapping[str, Any]) -> str | None:
    """The ``after`` cursor of a Graph page that has a next page, else ``None``."""
    paging = page.get("paging")
    if not isinstance(paging, Mapping) or not paging.get("next"):
        return None
    cursors = paging.get("cursors")
    after = cursors.get("after") if isinstance(cursors, Mapping) else None
    return str(after) if after else None


def created_at(item: Mapping[str, Any], key: str = "created_time") -> datetime | None:
    """The creation time of a Graph object, or ``None`` when it has none readable."""
    try:
        return payload.from_graph_time(item.get(key), key)
    except ParseError:
        return None


def collect_edge(
    client: GraphClient,
    first_page: Mapping[str, Any],
    path: str,
    params: Mapping[str, Any],
    *,
    since: int | None,
    max_pages: int,
    time_key: str = "created_time",
) -> list[JsonObject]:
    """Items of an edge created at or after ``since``, following its pages.

    The edge must list newest first when ``since`` is given (the walk stops at the first older
    item); with ``since=None`` every item of up to ``max_pages`` pages is returned.
    """
    items: list[JsonObject] = []
    page: Mapping[str, Any] = first_page
    for _ in range(max_pages):
        reached_older = False
        for item in page.get("data") or []:
            created = created_at(item, time_key) if isinstance(item, Mapping) else None
            if created is None:
                continue
            if since is None or created.timestamp() >= since:
                items.append(dict(item))
            else:
                reached_older = True
        after = next_after(page)
        if reached_older or after is None:
            break
        page = client.get(path, {**params, "after": after})
    return items


# --- Facebook Page feed --------------------------------------------------------------------------
def poll_feed(
    client: GraphClient,
    page_id: str,
    cursor: str | None,
    config: GraphChannelConfig,
    now: datetime,
) -> PollPage:
    """Comments (and visitor posts) on the Page's recent posts since the cursor."""
    position = start_cursor(cursor, config, now)
    since = position.since
    comment_edge = f"comments.filter(stream).order(reverse_chronological).since({since}).limit(100)"
    answer = client.get(
        f"{page_id}/feed",
        {
            "fields": f"{POST_FIELDS},{comment_edge}{{{COMMENT_FIELDS}}}",
            "limit": config.backfill_posts,
        },
    )
    posts: list[JsonObject] = []
    comments: list[JsonObject] = []
    for post in payload.objects(answer.get("data"), "feed.data"):
        post_id = str(post.get("id", ""))
        edge = post.get("comments")
        new_comments = collect_edge(
            client,
            edge if isinstance(edge, Mapping) else {},
            f"{post_id}/comments",
            {
                "filter": "stream",
                "order": "reverse_chronological",
                "since": since,
                "fields": COMMENT_FIELDS,
                "limit": 100,
            },
            since=since,
            max_pages=config.backfill_max_pages,
        )
        comments += [{**comment, "post_id": post_id} for comment in new_comments]
        created = created_at(post)
        if created is not None and created.timestamp() >= since:
            posts.append({key: value for key, value in post.items() if key != "comments"})
    for item in posts + comments:
        if moment := created_at(item):
            position = position.seen(moment)
    deliveries = (
        [backfill_document("feed", page_id, posts=posts, comments=comments)]
        if posts or comments
        else []
    )
    return PollPage(deliveries=deliveries, cursor=position.finished().encode())


# --- Messenger and Instagram conversations -------------------------------------------------------
def poll_conversations(
    client: GraphClient,
    account: str,
    cursor: str | None,
    config: GraphChannelConfig,
    now: datetime,
    *,
    platform: str,
) -> PollPage:
    """Private messages since the cursor, from the most recently updated conversations."""
    position = start_cursor(cursor, config, now)
    since = position.since
    params: dict[str, Any] = {
        "platform": platform,
        "fields": f"id,updated_time,messages.limit({MESSAGES_PER_CONVERSATION}){{{MESSAGE_FIELDS}}}",
        "limit": CONVERSATION_PAGE_SIZE,
    }
    deliveries: list[bytes] = []
    after = position.after
    for _ in range(config.backfill_max_pages):
        answer = client.get(
            f"{account}/conversations", {**params, **({"after": after} if after else {})}
        )
        messages: list[JsonObject] = []
        reached_older = False
        for conversation in payload.objects(answer.get("data"), "conversations.data"):
            updated = created_at(conversation, "updated_time")
            if updated is not None and updated.timestamp() < since:
                reached_older = True
                break
            messages_page = conversation.get("messages")
            new_messages = collect_edge(
                client,
                messages_page if isinstance(messages_page, Mapping) else {},
                f"{conversation.get('id')}/messages",
                {"fields": MESSAGE_FIELDS, "limit": MESSAGES_PER_CONVERSATION},
                since=since,
                max_pages=config.backfill_max_pages,
            )
            for message in new_messages:
                if moment := created_at(message):
                    position = position.seen(moment)
            messages += new_messages
        if messages:
            deliveries.append(backfill_document("conversations", account, messages=messages))
        after = None if reached_older else next_after(answer)
        if after is None:
            return PollPage(deliveries=deliveries, cursor=position.finished().encode())
        position = PollCursor(position.since, position.high, after)
    return PollPage(deliveries=deliveries, cursor=position.encode(), more=True)


# --- parsing what the polls produced --------------------------------------------------------------
BackfillParser = Callable[[Mapping[str, Any], str, str], list[InboundMessage]]


def parse_backfill(
    document: Mapping[str, Any], *, channel: str, parsers: Mapping[str, BackfillParser]
) -> list[InboundMessage]:
    """Parse a backfill envelope with the parser registered for its ``backfill`` kind."""
    kind = document.get("backfill")
    parser = parsers.get(kind) if isinstance(kind, str) else None
    if parser is None:
        raise ParseError(f"unknown backfill kind {kind!r}")
    account = payload.identifier(document, "account", "backfill")
    return parser(document, channel, account)


def parse_feed_backfill(
    document: Mapping[str, Any], channel: str, account: str
) -> list[InboundMessage]:
    """Messages of a ``feed`` backfill: new posts on the Page, then new comments and replies."""
    messages = []
    for index, post in enumerate(payload.objects(document.get("posts"), "backfill.posts")):
        where = f"backfill.posts[{index}]"
        post_id = payload.identifier(post, "id", where)
        author = payload.optional_mapping(post, "from", where)
        item = PublicItem(
            external_id=post_id,
            post_id=post_id,
            top_comment_id=None,
            in_reply_to=None,
            author_id=payload.optional_identifier(author, "id", f"{where}.from"),
            author_name=payload.text(author, "name", f"{where}.from") or None,
            text=payload.text(post, "message", where),
            created_at=payload.from_graph_time(post.get("created_time"), f"{where}.created_time"),
        )
        messages.append(public_message(item, channel=channel, account=account, raw=post))
    for index, comment in enumerate(payload.objects(document.get("comments"), "backfill.comments")):
        messages.append(_feed_comment(comment, channel, account, f"backfill.comments[{index}]"))
    return messages


def _feed_comment(
    comment: Mapping[str, Any], channel: str, account: str, where: str
) -> InboundMessage:
    post_id = payload.identifier(comment, "post_id", where)
    comment_id = payload.identifier(comment, "id", where)
    parent = payload.optional_mapping(comment, "parent", where)
    parent_id = payload.optional_identifier(parent, "id", f"{where}.parent")
    author = payload.optional_mapping(comment, "from", where)
    attachment = payload.optional_mapping(comment, "attachment", where)
    url = payload.text(attachment, "url", f"{where}.attachment")
    item = PublicItem(
        external_id=comment_id,
        post_id=post_id,
        top_comment_id=parent_id or comment_id,
        in_reply_to=parent_id or post_id,
        author_id=payload.optional_identifier(author, "id", f"{where}.from"),
        author_name=payload.text(author, "name", f"{where}.from") or None,
        text=payload.text(comment, "message", where),
        created_at=payload.from_graph_time(comment.get("created_time"), f"{where}.created_time"),
        attachments=(url,) if url else (),
    )
    return public_message(item, channel=channel, account=account, raw=comment)


def parse_conversations_backfill(
    document: Mapping[str, Any], channel: str, account: str
) -> list[InboundMessage]:
    """Messages of a ``conversations`` backfill (Messenger or Instagram Direct)."""
    return [
        _conversation_message(message, channel, account, f"backfill.messages[{index}]")
        for index, message in enumerate(
            payload.objects(document.get("messages"), "backfill.messages")
        )
    ]


def _conversation_message(
    message: Mapping[str, Any], channel: str, account: str, where: str
) -> InboundMessage:
    sender = payload.optional_mapping(message, "from", where)
    sender_id = payload.identifier(sender, "id", f"{where}.from")
    recipients = payload.objects(
        payload.optional_mapping(message, "to", where).get("data"), f"{where}.to"
    )
    outbound = sender_id == account
    if outbound:
        if not recipients:
            raise ParseError(f"{where}.to names no recipient")
        customer = payload.identifier(recipients[0], "id", f"{where}.to")
    else:
        customer = sender_id
    attachments = payload.optional_mapping(message, "attachments", where)
    urls = []
    for attachment in payload.objects(attachments.get("data"), f"{where}.attachments"):
        image = payload.optional_mapping(attachment, "image_data", where)
        url = payload.text(image, "url", where) or payload.text(attachment, "file_url", where)
        if url:
            urls.append(url)
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=payload.identifier(message, "id", where),
        text=payload.text(message, "message", where),
        author=Author(
            external_id=sender_id,
            handle=payload.text(sender, "username", f"{where}.from") or None,
            display_name=payload.text(sender, "name", f"{where}.from") or None,
        ),
        created_at=payload.from_graph_time(message.get("created_time"), f"{where}.created_time"),
        visibility=Visibility.PRIVATE,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        participant_id=customer,
        attachments=tuple(urls),
        opens_window=not outbound,
        raw=dict(message),
    )
