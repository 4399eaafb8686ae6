"""The emulator's JSON: API v2 objects for REST, v1.1 objects for Account Activity deliveries.

v2 returns only the fields a request asks for (``id``, ``text`` and ``edit_history_tweet_ids``
always); v1.1 objects carry numeric ``id`` and ``id_str`` side by side, v1.1 time strings, and
a 140-character ``text`` with ``extended_tweet.full_text`` for longer posts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from careline_twitter.emulator.model import DirectMessage, Post, User

V1_TIME_FORMAT = "%a %b %d %H:%M:%S +0000 %Y"
LEGACY_TEXT_LIMIT = 140
PROBLEM_BASE = "https://api.twitter.com/2/problems/"


def iso(moment: datetime) -> str:
    """``2024-01-15T10:30:00.000Z``."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def milliseconds(moment: datetime) -> str:
    """Milliseconds since the Unix epoch, as a string (v1.1 ``timestamp_ms``)."""
    return str(int(moment.timestamp() * 1000))


# --- v2 -------------------------------------------------------------------------------------
def v2_user(user: User, fields: Collection[str]) -> dict[str, Any]:
    """A v2 user with ``id``, ``name``, ``username`` and the requested ``user.fields``."""
    shaped: dict[str, Any] = {"id": user.id, "name": user.name, "username": user.username}
    if "verified" in fields:
        shaped["verified"] = user.verified
    if "public_metrics" in fields:
        shaped["public_metrics"] = {
            "followers_count": user.followers,
            "following_count": 0,
            "tweet_count": 0,
            "listed_count": 0,
        }
    if "created_at" in fields and user.created_at is not None:
        shaped["created_at"] = iso(user.created_at)
    return shaped


def v2_post(
    post: Post, fields: Collection[str], users: Callable[[str], User | None]
) -> dict[str, Any]:
    """A v2 post with the requested ``tweet.fields``."""
    shaped: dict[str, Any] = {
        "id": post.id,
        "text": post.text[:280],
        "edit_history_tweet_ids": post.versions,
    }
    optional: dict[str, Any] = {
        "author_id": post.author_id,
        "conversation_id": post.conversation_id,
        "created_at": iso(post.created_at),
        "lang": post.lang,
    }
    if post.in_reply_to_user_id:
        optional["in_reply_to_user_id"] = post.in_reply_to_user_id
    references = [
        {"type": kind, "id": target}
        for kind, target in (
            ("replied_to", post.in_reply_to_id),
            ("quoted", post.quote_of),
            ("retweeted", post.retweet_of),
        )
        if target
    ]
    if references:
        optional["referenced_tweets"] = references
    mentions = _v2_mentions(post, users)
    if mentions:
        optional["entities"] = {"mentions": mentions}
    if post.media_urls:
        optional["attachments"] = {
            "media_keys": [_media_key(post, i) for i, _ in enumerate(post.media_urls)]
        }
    optional["public_metrics"] = {
        "retweet_count": 0,
        "reply_count": 0,
        "like_count": 0,
        "quote_count": 0,
    }
    if len(post.text) > 280:
        optional["note_tweet"] = {"text": post.text}
    shaped.update({key: value for key, value in optional.items() if key in fields})
    return shaped


def v2_media(post: Post) -> list[dict[str, Any]]:
    """The ``includes.media`` objects of a post's attachments."""
    return [
        {"media_key": _media_key(post, index), "type": "photo", "url": url}
        for index, url in enumerate(post.media_urls)
    ]


def _media_key(post: Post, index: int) -> str:
    return f"3_{post.id}{index}"


def _v2_mentions(post: Post, users: Callable[[str], User | None]) -> list[dict[str, Any]]:
    found = []
    for user_id in post.mentions:
        user = users(user_id)
        if user is None:
            continue
        start = post.text.lower().find(f"@{user.username.lower()}")
        if start >= 0:
            found.append(
                {
                    "start": start,
                    "end": start + len(user.username) + 1,
                    "username": user.username,
                    "id": user.id,
                }
            )
    return found


def v2_dm_event(message: DirectMessage, fields: Collection[str]) -> dict[str, Any]:
    """A v2 DM event with ``id``, ``event_type``, ``text`` and the requested fields."""
    shaped: dict[str, Any] = {"id": message.id, "event_type": "MessageCreate", "text": message.text}
    optional = {
        "sender_id": message.sender_id,
        "dm_conversation_id": message.conversation_id,
        "created_at": iso(message.created_at),
        "participant_ids": [message.sender_id, message.recipient_id],
    }
    shaped.update({key: value for key, value in optional.items() if key in fields})
    return shaped


def problem(
    status: int, title: str, detail: str, kind: str = "about:blank", **extra: Any
) -> dict[str, Any]:
    """An RFC 7807 problem as X writes them."""
    document: dict[str, Any] = {
        "title": title,
        "detail": detail,
        "type": kind if kind == "about:blank" else PROBLEM_BASE + kind,
        "status": status,
    }
    document.update(extra)
    return document


def invalid_request(message: str, parameters: Mapping[str, list[str]]) -> dict[str, Any]:
    """X's 400 ``invalid-request`` problem with one error."""
    document = problem(
        400,
        "Invalid Request",
        "One or more parameters to your request was invalid.",
        "invalid-request",
    )
    document.pop("status")
    document["errors"] = [{"parameters": dict(parameters), "message": message}]
    return document


# --- v1.1 (Account Activity) ------------------------------------------------------------------
def v1_user(user: User) -> dict[str, Any]:
    """A v1.1 user object."""
    return {
        "id": int(user.id),
        "id_str": user.id,
        "name": user.name,
        "screen_name": user.username,
        "location": None,
        "url": None,
        "description": None,
        "protected": False,
        "verified": user.verified,
        "followers_count": user.followers,
        "friends_count": 0,
        "statuses_count": 0,
        "created_at": user.created_at.strftime(V1_TIME_FORMAT) if user.created_at else None,
        "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{user.id}/normal.jpg",
    }


def v1_post(post: Post, users: Callable[[str], User | None]) -> dict[str, Any]:
    """A v1.1 post (tweet) object as Account Activity delivers it."""
    author = users(post.author_id)
    assert author is not None
    parent_author = users(post.in_reply_to_user_id) if post.in_reply_to_user_id else None
    long_post = len(post.text) > LEGACY_TEXT_LIMIT
    text = post.text[: LEGACY_TEXT_LIMIT - 2] + " …" if long_post else post.text
    mentions = [
        {
            "screen_name": m["username"],
            "name": (users(m["id"]) or author).name,
            "id": int(m["id"]),
            "id_str": m["id"],
            "indices": [m["start"], m["end"]],
        }
        for m in _v2_mentions(post, users)
    ]
    entities: dict[str, Any] = {
        "hashtags": [],
        "urls": [],
        "user_mentions": mentions,
        "symbols": [],
    }
    shaped: dict[str, Any] = {
        "created_at": post.created_at.strftime(V1_TIME_FORMAT),
        "id": int(post.id),
        "id_str": post.id,
        "text": text,
        "source": '<a href="https://mobile.twitter.com" rel="nofollow">Twitter Web App</a>',
        "truncated": long_post,
        "in_reply_to_status_id": int(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_status_id_str": post.in_reply_to_id,
        "in_reply_to_user_id": int(post.in_reply_to_user_id) if post.in_reply_to_user_id else None,
        "in_reply_to_user_id_str": post.in_reply_to_user_id,
        "in_reply_to_screen_name": parent_author.username if parent_author else None,
        "user": v1_user(author),
        "is_quote_status": post.quote_of is not None,
        "quote_count": 0,
        "reply_count": 0,
        "retweet_count": 0,
        "favorite_count": 0,
        "entities": entities,
        "favorited": False,
        "retweeted": False,
        "filter_level": "low",
        "lang": post.lang,
        "timestamp_ms": milliseconds(post.created_at),
    }
    if post.media_urls:
        media = [
            {"id_str": _media_key(post, i)[2:], "media_url_https": url, "type": "photo"}
            for i, url in enumerate(post.media_urls)
        ]
        entities["media"] = media
        shaped["extended_entities"] = {"media": media}
    if long_post:
        shaped["extended_tweet"] = {
            "full_text": post.text,
            "display_text_range": [0, len(post.text)],
            "entities": entities,
        }
    if post.edit_history:
        shaped["edit_history"] = {
            "initial_tweet_id": post.edit_history[0],
            "edit_tweet_ids": post.versions,
        }
    if post.retweet_of:
        shaped["retweeted_status"] = {"id": int(post.retweet_of), "id_str": post.retweet_of}
    return shaped


def v1_dm_event(message: DirectMessage) -> dict[str, Any]:
    """A v1.1 ``message_create`` event."""
    return {
        "type": "message_create",
        "id": message.id,
        "created_timestamp": milliseconds(message.created_at),
        "message_create": {
            "target": {"recipient_id": message.recipient_id},
            "sender_id": message.sender_id,
            "message_data": {
                "text": message.text,
                "entities": {"hashtags": [], "symbols": [], "user_mentions": [], "urls": []},
            },
        },
    }


def v1_dm_user(user: User) -> dict[str, Any]:
    """A user in a DM delivery's ``users`` map (ids as strings there)."""
    return {
        "id": user.id,
        "created_timestamp": milliseconds(user.created_at) if user.created_at else "0",
        "name": user.name,
        "screen_name": user.username,
        "protected": False,
        "verified": user.verified,
        "followers_count": user.followers,
        "friends_count": 0,
        "statuses_count": 0,
        "profile_image_url_https": f"https://pbs.twimg.com/profile_images/{user.id}/normal.jpg",
    }
