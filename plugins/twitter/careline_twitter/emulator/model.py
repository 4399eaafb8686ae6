"""What the X emulator simulates: users, posts, direct messages and issued tokens."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from careline_twitter.ids import dm_conversation_id

MENTION = re.compile(r"(?<![\w@])@(\w{1,15})")


@dataclass
class User:
    """A simulated X user: a brand account (subscribed to Account Activity) or a customer."""

    id: str
    username: str
    name: str
    followers: int = 0
    verified: bool = False
    brand: bool = False
    accepts_dms: bool = True
    created_at: datetime | None = None


@dataclass
class Post:
    """A simulated post (tweet)."""

    id: str
    author_id: str
    text: str
    created_at: datetime
    conversation_id: str
    in_reply_to_id: str | None = None
    in_reply_to_user_id: str | None = None
    lang: str = "en"
    mentions: tuple[str, ...] = ()
    retweet_of: str | None = None
    quote_of: str | None = None
    media_urls: tuple[str, ...] = ()
    edit_history: tuple[str, ...] = ()
    deleted: bool = False
    superseded: bool = False

    @property
    def versions(self) -> list[str]:
        """X's ``edit_history_tweet_ids``: every version's id, oldest first, this one last."""
        return [*self.edit_history, self.id]

    @property
    def is_retweet(self) -> bool:
        """Whether this post is a retweet."""
        return self.retweet_of is not None


@dataclass
class DirectMessage:
    """A simulated one-to-one direct message event."""

    id: str
    sender_id: str
    recipient_id: str
    text: str
    created_at: datetime

    @property
    def conversation_id(self) -> str:
        """X's ``"{smaller}-{larger}"`` conversation id."""
        return dm_conversation_id(self.sender_id, self.recipient_id)


@dataclass
class Grant:
    """An OAuth 2.0 user-context access token issued by the emulator."""

    user_id: str
    expires_at: datetime
    refresh_token: str = field(repr=False, default="")
