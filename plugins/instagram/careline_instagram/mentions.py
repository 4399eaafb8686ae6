"""Mentions of the brand in other people's comments and captions (``field: mentions``).

The delivery carries only ids — ``{"media_id": "…", "comment_id": "…"}``, or just
``media_id`` for a caption mention — so the text is fetched from the Graph API while parsing::

    GET /{ig-user-id}?fields=mentioned_comment.comment_id(<id>){id,text,username,timestamp}
    GET /{ig-user-id}?fields=mentioned_media.media_id(<id>){id,caption,username,timestamp}

A failed fetch raises :class:`MentionFetchError` (a ``ParseError``): the raw event goes to the
dead-letter state and ``careline events replay`` processes it again once the cause (expired
token, rate limit, outage) is gone. Mentions thread under ``"mention:{media}/{comment}"`` (or
``"mention:{media}"``) so that a public answer is sent with ``POST /{ig-user-id}/mentions``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from careline.channels import ParseError, SendError
from careline.types import Author, InboundMessage, Source, Visibility
from careline_facebook import payload
from careline_facebook.graph import GraphClient

MENTION_PREFIX = "mention:"
COMMENT_FIELDS = "{id,text,username,timestamp}"
MEDIA_FIELDS = "{id,caption,username,timestamp,permalink}"


class MentionFetchError(ParseError):
    """The text of a mention could not be fetched; replay the raw event later.

    ``transient`` and ``needs_reconnect`` repeat what the Graph API error said.
    """

    def __init__(self, message: str, *, transient: bool, needs_reconnect: bool) -> None:
        super().__init__(message)
        self.transient = transient
        self.needs_reconnect = needs_reconnect


def mention_thread(media_id: str, comment_id: str | None) -> str:
    """The thread key of a mention."""
    return (
        f"{MENTION_PREFIX}{media_id}/{comment_id}" if comment_id else f"{MENTION_PREFIX}{media_id}"
    )


def parse_mention_thread(thread_key: str | None) -> tuple[str, str | None] | None:
    """``(media_id, comment_id)`` of a mention thread key, or ``None`` for other threads."""
    if not thread_key or not thread_key.startswith(MENTION_PREFIX):
        return None
    media_id, _, comment_id = thread_key[len(MENTION_PREFIX) :].partition("/")
    return media_id, comment_id or None


def fetch_mention(
    graph: GraphClient,
    value: Mapping[str, Any],
    *,
    channel: str,
    account: str,
    where: str,
) -> InboundMessage:
    """Fetch the mentioning comment or caption and build its message."""
    media_id = payload.identifier(value, "media_id", where)
    comment_id = payload.optional_identifier(value, "comment_id", where)
    if comment_id:
        edge, fields, text_key = "mentioned_comment", f"comment_id({comment_id})", "text"
    else:
        edge, fields, text_key = "mentioned_media", f"media_id({media_id})", "caption"
    template = COMMENT_FIELDS if comment_id else MEDIA_FIELDS
    try:
        answer = graph.get(account, {"fields": f"{edge}.{fields}{template}"})
    except SendError as error:
        raise MentionFetchError(
            f"could not fetch the text of the mention {comment_id or media_id}: {error} — the "
            "raw event is kept; run `careline events replay` once the account works again",
            transient=error.transient,
            needs_reconnect=error.needs_reconnect,
        ) from error
    found = payload.optional_mapping(answer, edge, "mention")
    if not found:
        raise ParseError(f"the Graph API returned no {edge} for {comment_id or media_id}")
    username = payload.text(found, "username", edge)
    # Mentions name their author only by username (no IGSID).
    author_id = f"username:{username}" if username else f"anonymous:{comment_id or media_id}"
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=comment_id or media_id,
        text=payload.text(found, text_key, edge),
        author=Author(external_id=author_id, handle=username or None),
        created_at=payload.from_graph_time(found.get("timestamp"), f"{edge}.timestamp"),
        visibility=Visibility.PUBLIC,
        source=Source.OWNED,
        thread_key=mention_thread(media_id, comment_id),
        raw={"mention": dict(value), edge: dict(found)},
    )
