"""Polled API v2 pages (mentions, the brand's own posts, recent search, DM events) → messages.

Posts thread by their ``conversation_id``; DMs by the one-to-one conversation id, with the
customer as participant. The brand's own posts and DMs are echoes (``direction=out``). Search
results are *earned* (found by listening), everything else *owned*.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from careline.channels import ParseError
from careline.types import Author, Direction, InboundMessage, MessageKind, Source, Visibility

from careline_twitter.envelope import Feed, PollContext
from careline_twitter.ids import other_participant
from careline_twitter.payload import (
    edited_original,
    flag,
    iso_time,
    language,
    mapping,
    object_id,
    object_list,
    optional_int,
    optional_text,
    strings,
    time_or_id,
)


def parse_page(context: PollContext, page: Mapping[str, Any], channel: str) -> list[InboundMessage]:
    """Parse one polled page fetched for ``context``."""
    includes = mapping(page.get("includes") or {}, "includes")
    users = {
        user_id: user
        for user in object_list(includes.get("users"), "includes.users")
        if (user_id := object_id(user, required=False))
    }
    if context.feed is Feed.DMS:
        return [
            message
            for event in object_list(page.get("data"), "data")
            if (message := _dm_event(event, context, users, channel)) is not None
        ]
    media = {
        key: item
        for item in object_list(includes.get("media"), "includes.media")
        if isinstance(key := item.get("media_key"), str)
    }
    return [
        _post(post, context, users, media, channel)
        for post in object_list(page.get("data"), "data")
    ]


def _author(author_id: str, users: Mapping[str, Mapping[str, Any]]) -> Author:
    user = users.get(author_id)
    if user is None:
        return Author(external_id=author_id)
    metrics = user.get("public_metrics")
    followers = optional_int(metrics, "followers_count") if isinstance(metrics, Mapping) else None
    return Author(
        external_id=author_id,
        handle=optional_text(user, "username"),
        display_name=optional_text(user, "name"),
        followers=followers,
        verified=flag(user.get("verified")),
    )


def _references(post: Mapping[str, Any]) -> dict[str, str]:
    found: dict[str, str] = {}
    for reference in object_list(post.get("referenced_tweets"), "referenced_tweets"):
        kind = reference.get("type")
        reference_id = object_id(reference, required=False)
        if isinstance(kind, str) and reference_id:
            found.setdefault(kind, reference_id)
    return found


def _post_text(post: Mapping[str, Any]) -> str:
    note = post.get("note_tweet")
    if isinstance(note, Mapping) and isinstance(note.get("text"), str):
        return str(note["text"])
    return optional_text(post, "text") or ""


def _media_urls(post: Mapping[str, Any], media: Mapping[str, Mapping[str, Any]]) -> tuple[str, ...]:
    attachments = post.get("attachments")
    if not isinstance(attachments, Mapping) or not isinstance(attachments.get("media_keys"), list):
        return ()
    urls = []
    for key in strings(attachments["media_keys"]):
        item = media.get(key, {})
        url = item.get("url") or item.get("preview_image_url")
        if isinstance(url, str):
            urls.append(url)
    return tuple(urls)


def _post(
    post: Mapping[str, Any],
    context: PollContext,
    users: Mapping[str, Mapping[str, Any]],
    media: Mapping[str, Mapping[str, Any]],
    channel: str,
) -> InboundMessage:
    external_id = object_id(post)
    author_id = object_id(post, "author_id")
    assert external_id is not None and author_id is not None
    references = _references(post)
    created = optional_text(post, "created_at")
    text = _post_text(post)
    outbound = author_id == context.account
    original = edited_original(external_id, post.get("edit_history_tweet_ids"))
    return InboundMessage(
        channel=channel,
        account=context.account,
        external_id=original or external_id,
        kind=MessageKind.EDIT if original else MessageKind.MESSAGE,
        text=text,
        author=_author(author_id, users),
        created_at=time_or_id(iso_time(created) if created else None, external_id),
        visibility=Visibility.PUBLIC,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        source=Source.EARNED if context.feed is Feed.SEARCH and not outbound else Source.OWNED,
        thread_key=object_id(post, "conversation_id", required=False)
        or (None if "replied_to" in references else external_id),
        in_reply_to=references.get("replied_to"),
        language=language(post.get("lang")),
        attachments=_media_urls(post, media),
        opens_window=False,
        raw={
            "via": "poll",
            "source": context.source,
            "post_id": external_id,
            "retweet": "retweeted" in references or text.startswith("RT @"),
            "quote": "quoted" in references,
            "in_reply_to_user_id": object_id(post, "in_reply_to_user_id", required=False),
            "tweet": dict(post),
        },
    )


def _dm_event(
    event: Mapping[str, Any],
    context: PollContext,
    users: Mapping[str, Mapping[str, Any]],
    channel: str,
) -> InboundMessage | None:
    if event.get("event_type", "MessageCreate") != "MessageCreate":
        return None  # participants joining or leaving say nothing to answer
    external_id = object_id(event)
    sender = object_id(event, "sender_id")
    assert external_id is not None and sender is not None
    conversation = optional_text(event, "dm_conversation_id")
    outbound = sender == context.account
    participant = other_participant(conversation, context.account) if conversation else None
    if participant is None:
        participant = _other_from_ids(event, context.account)
    if outbound and participant is None:
        return None  # the brand writing in a group conversation: no customer thread to join
    created = optional_text(event, "created_at")
    return InboundMessage(
        channel=channel,
        account=context.account,
        external_id=external_id,
        text=optional_text(event, "text") or "",
        author=_author(sender, users),
        created_at=time_or_id(iso_time(created) if created else None, external_id),
        visibility=Visibility.PRIVATE,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        thread_key=conversation,
        participant_id=participant if outbound else sender,
        opens_window=not outbound,
        raw={"via": "poll", "source": context.source, "event": dict(event)},
    )


def _other_from_ids(event: Mapping[str, Any], account: str) -> str | None:
    ids = event.get("participant_ids")
    if not isinstance(ids, list):
        return None
    others = [i for i in strings(ids) if i != account]
    if len(others) != 1:
        return None
    if not others[0].isdigit():
        raise ParseError("participant_ids must be X ids")
    return others[0]
