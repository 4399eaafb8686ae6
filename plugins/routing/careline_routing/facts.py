"""The facts rules look at, gathered once per message from the conversation and the message.

The core fills the :class:`~careline.types.ConversationView` from enrichment before routing, so
the view is read first and the raw :class:`~careline.types.InboundMessage` second.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careline.types import ConversationView, Direction, InboundMessage


# Not frozen: a frozen dataclass pays for every field in __init__, and facts are built once per
# message on the routing hot path. Nothing changes them after gather_facts().
@dataclass(slots=True)
class MessageFacts:
    """Everything a routing condition can test, normalised (lower-case names and codes)."""

    channel: str
    source: str
    visibility: str
    text: str
    language: str | None
    sentiment: float | None
    topics: frozenset[str]
    followers: int | None
    verified: bool
    contact: Mapping[str, Any]
    personal_data_kinds: tuple[str, ...]
    previous_conversations: int
    received_at: datetime
    current_queue: str | None


def gather_facts(conversation: ConversationView, message: InboundMessage) -> MessageFacts:
    """Build the facts for one routing decision (view first, message second)."""
    topics = {conversation.topic} if conversation.topic else set()
    for stored in conversation.messages:
        if stored.direction == Direction.INBOUND:
            topics.update(stored.topics)
    language = conversation.language or message.language
    followers = conversation.author_followers
    if followers is None:
        followers = message.author.followers
    return MessageFacts(
        channel=conversation.channel.lower(),
        source=str(conversation.source),
        visibility=str(conversation.visibility),
        text=message.text,
        language=language.lower() if language else None,
        sentiment=conversation.sentiment,
        topics=frozenset(topic.lower() for topic in topics),
        followers=followers,
        verified=conversation.author_verified or message.author.verified,
        contact=conversation.contact_attributes,
        personal_data_kinds=conversation.personal_data_kinds,
        previous_conversations=conversation.previous_conversations,
        received_at=message.created_at,
        current_queue=conversation.queue,
    )


def language_matches(wanted: str, actual: str) -> bool:
    """True when language ``actual`` is ``wanted`` or a regional form of it, or vice versa.

    ``de`` accepts ``de-AT``; ``pt-BR`` accepts a message only detected as ``pt``; ``pt-BR`` does
    not accept ``pt-PT``. Both arguments are lower-case.
    """
    if wanted == actual:
        return True
    return wanted == actual.split("-", 1)[0] or actual == wanted.split("-", 1)[0]
