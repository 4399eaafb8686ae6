"""Account Activity deliveries (webhook pushes, v1.1 object shapes) → inbound messages.

One delivery concerns one subscribed brand account (``for_user_id``). Posts and DMs written by
that account are echoes (``direction=out``): a reply sent from X's own app still counts as an
answer. v1.1 posts carry no ``conversation_id``: a post that replies to nothing is its own
conversation root (its id *is* the conversation id); for a reply the best available key is the
post it answers — exact when that post is the root (the usual "mention → brand reply"), not for
replies deeper in a thread (``raw["conversation_id_known"]`` is then false).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from careline.channels import ParseError
from careline.types import Author, Direction, InboundMessage, MessageKind, Visibility

from careline_twitter.ids import dm_conversation_id
from careline_twitter.payload import (
    edited_original,
    flag,
    language,
    mapping,
    millisecond_time,
    object_id,
    object_list,
    optional_int,
    optional_text,
    time_or_id,
    v1_time,
)

IGNORED_EVENTS = frozenset(
    {
        "favorite_events",
        "follow_events",
        "unfollow_events",
        "block_events",
        "unblock_events",
        "mute_events",
        "unmute_events",
        "direct_message_indicate_typing_events",
        "direct_message_mark_read_events",
        "user_event",
        "apps",
    }
)
HANDLED_EVENTS = ("tweet_create_events", "direct_message_events", "tweet_delete_events")


def is_activity_delivery(document: Mapping[str, Any]) -> bool:
    """Whether a decoded body is an Account Activity delivery."""
    return "for_user_id" in document


def parse_activity(document: Mapping[str, Any], channel: str) -> list[InboundMessage]:
    """Parse one Account Activity delivery."""
    account = object_id(document, "for_user_id")
    assert account is not None
    blocked = flag(document.get("user_has_blocked"))
    messages: list[InboundMessage] = []
    for tweet in object_list(document.get("tweet_create_events"), "tweet_create_events"):
        messages.append(_tweet(tweet, account, channel, user_has_blocked=blocked))
    users = mapping(document.get("users") or {}, "users")
    for event in object_list(document.get("direct_message_events"), "direct_message_events"):
        message = _direct_message(event, account, channel, users)
        if message is not None:
            messages.append(message)
    for deletion in object_list(document.get("tweet_delete_events"), "tweet_delete_events"):
        messages.append(_deletion(deletion, account, channel))
    return messages


def activity_event_ids(document: Mapping[str, Any]) -> list[str]:
    """The ids of the events a delivery carries, for the delivery key (never raises)."""
    found: list[str] = []
    for name in HANDLED_EVENTS:
        events = document.get(name)
        if not isinstance(events, list):
            continue
        for event in events:
            if not isinstance(event, Mapping):
                continue
            target = event.get("status") if name == "tweet_delete_events" else event
            if isinstance(target, Mapping):
                value = target.get("id_str", target.get("id"))
                if isinstance(value, str | int) and not isinstance(value, bool):
                    found.append(f"{name.split('_')[0]}:{value}")
    return found


def _full_text(tweet: Mapping[str, Any]) -> str:
    extended = tweet.get("extended_tweet")
    if isinstance(extended, Mapping):
        full = optional_text(extended, "full_text")
        if full is not None:
            return full
    return optional_text(tweet, "full_text") or optional_text(tweet, "text") or ""


def _tweet_time(tweet: Mapping[str, Any], external_id: str) -> datetime:
    created = optional_text(tweet, "created_at")
    if created is not None:
        return v1_time(created)
    if tweet.get("timestamp_ms") is not None:
        return millisecond_time(tweet["timestamp_ms"])
    return time_or_id(None, external_id)


def _v1_author(user: Mapping[str, Any]) -> Author:
    return Author(
        external_id=object_id(user) or "",
        handle=optional_text(user, "screen_name"),
        display_name=optional_text(user, "name"),
        followers=optional_int(user, "followers_count"),
        verified=flag(user.get("verified")),
    )


def _media_urls(tweet: Mapping[str, Any]) -> tuple[str, ...]:
    urls: list[str] = []
    for holder in (tweet.get("extended_tweet"), tweet):
        if not isinstance(holder, Mapping):
            continue
        for key in ("extended_entities", "entities"):
            entities = holder.get(key)
            if not isinstance(entities, Mapping) or not isinstance(entities.get("media"), list):
                continue
            for media in entities["media"]:
                if isinstance(media, Mapping):
                    url = media.get("media_url_https") or media.get("media_url")
                    if isinstance(url, str) and url not in urls:
                        urls.append(url)
    return tuple(urls)


def _tweet(
    tweet: Mapping[str, Any], account: str, channel: str, *, user_has_blocked: bool
) -> InboundMessage:
    external_id = object_id(tweet)
    assert external_id is not None
    author = _v1_author(mapping(tweet.get("user"), "tweet.user"))
    text = _full_text(tweet)
    in_reply_to = object_id(tweet, "in_reply_to_status_id", required=False)
    conversation = object_id(tweet, "conversation_id", required=False)
    retweet = isinstance(tweet.get("retweeted_status"), Mapping) or text.startswith("RT @")
    outbound = author.external_id == account
    history = tweet.get("edit_history")
    original = (
        edited_original(external_id, history.get("edit_tweet_ids"))
        if isinstance(history, Mapping)
        else None
    )
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=original or external_id,
        kind=MessageKind.EDIT if original else MessageKind.MESSAGE,
        text=text,
        author=author,
        created_at=_tweet_time(tweet, external_id),
        visibility=Visibility.PUBLIC,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        thread_key=conversation or in_reply_to or external_id,
        in_reply_to=in_reply_to,
        language=language(tweet.get("lang")),
        attachments=_media_urls(tweet),
        opens_window=False,
        raw={
            "via": "account_activity",
            "post_id": external_id,
            "conversation_id_known": conversation is not None or in_reply_to is None,
            "retweet": retweet,
            "quote": flag(tweet.get("is_quote_status")),
            "user_has_blocked": user_has_blocked,
            "in_reply_to_user_id": object_id(tweet, "in_reply_to_user_id", required=False),
            "tweet": dict(tweet),
        },
    )


def _direct_message(
    event: Mapping[str, Any], account: str, channel: str, users: Mapping[str, Any]
) -> InboundMessage | None:
    if event.get("type") != "message_create":
        return None
    external_id = object_id(event)
    assert external_id is not None
    create = mapping(event.get("message_create"), "message_create")
    sender = object_id(create, "sender_id")
    target = mapping(create.get("target"), "message_create.target")
    recipient = object_id(target, "recipient_id")
    assert sender is not None and recipient is not None
    data = mapping(create.get("message_data") or {}, "message_create.message_data")
    outbound = sender == account
    customer = recipient if outbound else sender
    sender_user = users.get(sender)
    author = (
        _v1_author({**sender_user, "id_str": sender})
        if isinstance(sender_user, Mapping)
        else Author(external_id=sender)
    )
    stamp = event.get("created_timestamp")
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=external_id,
        text=optional_text(data, "text") or "",
        author=author,
        created_at=millisecond_time(stamp) if stamp is not None else time_or_id(None, external_id),
        visibility=Visibility.PRIVATE,
        direction=Direction.OUTBOUND if outbound else Direction.INBOUND,
        thread_key=dm_conversation_id(sender, recipient),
        participant_id=customer,
        opens_window=not outbound,
        attachments=_dm_attachments(data),
        raw={"via": "account_activity", "event": dict(event)},
    )


def _dm_attachments(data: Mapping[str, Any]) -> tuple[str, ...]:
    attachment = data.get("attachment")
    if isinstance(attachment, Mapping) and isinstance(attachment.get("media"), Mapping):
        url = attachment["media"].get("media_url_https")
        if isinstance(url, str):
            return (url,)
    return ()


def _deletion(deletion: Mapping[str, Any], account: str, channel: str) -> InboundMessage:
    status = mapping(deletion.get("status"), "tweet_delete_events.status")
    external_id = object_id(status)
    author_id = object_id(status, "user_id")
    if external_id is None or author_id is None:
        raise ParseError("tweet_delete_events needs status.id and status.user_id")
    stamp = deletion.get("timestamp_ms")
    return InboundMessage(
        channel=channel,
        account=account,
        external_id=external_id,
        text="",
        author=Author(external_id=author_id),
        created_at=millisecond_time(stamp) if stamp is not None else time_or_id(None, external_id),
        visibility=Visibility.PUBLIC,
        direction=Direction.OUTBOUND if author_id == account else Direction.INBOUND,
        kind=MessageKind.DELETE,
        opens_window=False,
        raw={"via": "account_activity", "deletion": dict(deletion)},
    )
