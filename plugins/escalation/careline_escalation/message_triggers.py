"""Triggers evaluated on each new customer message.

- ``content:<category>``: the message is about a legal, press, safety or HR matter (a topic
  from the insights plugin, or one of the category's phrases in the text);
- ``influence``: an influential (many followers or verified) author writes something negative
  in public;
- ``sentiment:very_negative``: a very negative message, in public by default;
- ``repeat_contact``: the customer's Nth conversation within the core's lookback;
- ``manager_request``: the customer asks for a manager or supervisor.

Each trigger id names the rule only (no time), so the core's uniqueness on
``(conversation, trigger)`` makes each fire at most once per conversation.
"""

from __future__ import annotations

from dataclasses import dataclass

from careline.config import Settings
from careline.services.views import REPEAT_CONTACT_LOOKBACK
from careline.types import (
    ConversationView,
    Direction,
    EscalationRequest,
    InboundMessage,
    MessageKind,
    Visibility,
)

from careline_escalation.config import EscalationConfig
from careline_escalation.defaults import CATEGORY_PHRASES, MANAGER_PHRASES
from careline_escalation.phrases import FoldedText, PhraseMatcher
from careline_escalation.targets import build_request

MATCHERS_KEY = "escalation:matchers"


@dataclass(frozen=True)
class MessageFacts:
    """What the triggers ask about one message, gathered from the message and the view."""

    text: FoldedText
    public: bool
    topics: frozenset[str]
    sentiment: float | None
    followers: int | None
    verified: bool
    handle: str | None

    @classmethod
    def of(cls, conversation: ConversationView, message: InboundMessage) -> MessageFacts:
        """Prefer the stored message's own enrichment; else the conversation's (the core's view
        carries the strongest topic and a rolling sentiment)."""
        stored = next(
            (
                m
                for m in conversation.messages
                if m.external_id == message.external_id and m.channel == message.channel
            ),
            None,
        )
        topics = set(stored.topics if stored else ())
        if conversation.topic:
            topics.add(conversation.topic)
        sentiment = stored.sentiment if stored and stored.sentiment is not None else None
        followers = message.author.followers
        return cls(
            text=FoldedText.of(message.text),
            public=message.visibility is Visibility.PUBLIC,
            topics=frozenset(t.casefold() for t in topics),
            sentiment=sentiment if sentiment is not None else conversation.sentiment,
            followers=followers if followers is not None else conversation.author_followers,
            verified=message.author.verified or conversation.author_verified,
            handle=message.author.handle or conversation.contact_handle,
        )


@dataclass(frozen=True)
class Matchers:
    """The compiled phrase sets, built once per settings object."""

    content: dict[str, PhraseMatcher]
    manager: PhraseMatcher


def matchers(config: EscalationConfig, settings: Settings) -> Matchers:
    """Compile every category's phrases and the manager-request phrases once."""

    def build() -> Matchers:
        content = {}
        for name, category in config.content.items():
            defaults = CATEGORY_PHRASES.get(name, ()) if category.use_default_keywords else ()
            content[name] = PhraseMatcher.compile([*defaults, *category.keywords])
        manager = config.manager_request
        defaults = MANAGER_PHRASES if manager.use_default_phrases else ()
        return Matchers(
            content=content, manager=PhraseMatcher.compile([*defaults, *manager.phrases])
        )

    return settings.plugin_state(MATCHERS_KEY, build)


def evaluate(
    config: EscalationConfig,
    compiled: Matchers,
    conversation: ConversationView,
    message: InboundMessage,
) -> list[EscalationRequest]:
    """Every message trigger that fires for ``message`` in ``conversation``."""
    if message.direction is not Direction.INBOUND or message.kind is MessageKind.DELETE:
        return []
    facts = MessageFacts.of(conversation, message)
    requests = content_requests(config, compiled, conversation, facts)
    for request in (
        influence_request(config, conversation, facts),
        sentiment_request(config, conversation, facts),
        repeat_contact_request(config, conversation),
        manager_request(config, compiled, conversation, facts),
    ):
        if request is not None:
            requests.append(request)
    return requests


def content_requests(
    config: EscalationConfig,
    compiled: Matchers,
    conversation: ConversationView,
    facts: MessageFacts,
) -> list[EscalationRequest]:
    """``content:<category>`` for every enabled category the message is about."""
    requests = []
    for name, category in config.content.items():
        if not category.enabled or (category.public_only and not facts.public):
            continue
        topic = next((t for t in category.topics if t.casefold() in facts.topics), None)
        phrase = None if topic else compiled.content[name].find(facts.text)
        if topic is None and phrase is None:
            continue
        why = f"topic {topic!r}" if topic else f"the message says {phrase!r}"
        requests.append(
            build_request(
                config,
                conversation,
                target=category.target,
                reason=f"{name} matter: {why}",
                trigger=f"content:{name}",
                raise_priority=category.raise_priority,
            )
        )
    return requests


def influence_request(
    config: EscalationConfig, conversation: ConversationView, facts: MessageFacts
) -> EscalationRequest | None:
    """``influence`` when an influential author posts a negative (public) message."""
    rule = config.influence
    if not rule.enabled or (rule.public_only and not facts.public):
        return None
    many_followers = facts.followers is not None and facts.followers >= rule.min_followers
    influential = many_followers or (rule.verified and facts.verified)
    if not influential or facts.sentiment is None or facts.sentiment > rule.max_sentiment:
        return None
    who = f"@{facts.handle}" if facts.handle else "the author"
    audience = f"{facts.followers:,} followers" if facts.followers is not None else "verified"
    if facts.verified and facts.followers is not None:
        audience += ", verified"
    where = "public" if facts.public else "private"
    return build_request(
        config,
        conversation,
        target=rule.target,
        reason=(
            f"influential author {who} ({audience}) wrote a negative {where} message "
            f"(sentiment {facts.sentiment:+.2f})"
        ),
        trigger="influence",
        raise_priority=rule.raise_priority,
    )


def sentiment_request(
    config: EscalationConfig, conversation: ConversationView, facts: MessageFacts
) -> EscalationRequest | None:
    """``sentiment:very_negative`` when the message is at or below the threshold."""
    rule = config.sentiment
    if not rule.enabled or (rule.public_only and not facts.public):
        return None
    if facts.sentiment is None or facts.sentiment > rule.threshold:
        return None
    where = "public" if facts.public else "private"
    return build_request(
        config,
        conversation,
        target=rule.target,
        reason=f"very negative {where} message (sentiment {facts.sentiment:+.2f})",
        trigger="sentiment:very_negative",
        raise_priority=rule.raise_priority,
    )


def repeat_contact_request(
    config: EscalationConfig, conversation: ConversationView
) -> EscalationRequest | None:
    """``repeat_contact`` when this is at least the customer's Nth conversation in the lookback.

    ``previous_conversations`` is the core's count of the contact's other conversations that
    started within its lookback (``REPEAT_CONTACT_LOOKBACK``, 30 days) before this one.
    """
    rule = config.repeat_contact
    ordinal = conversation.previous_conversations + 1
    if not rule.enabled or ordinal < rule.min_conversations:
        return None
    who = conversation.contact_name or conversation.contact_handle or "the customer"
    return build_request(
        config,
        conversation,
        target=rule.target,
        reason=(
            f"{who} is contacting us for the {_ordinal(ordinal)} time within "
            f"{REPEAT_CONTACT_LOOKBACK.days} days"
        ),
        trigger="repeat_contact",
        raise_priority=rule.raise_priority,
    )


def manager_request(
    config: EscalationConfig,
    compiled: Matchers,
    conversation: ConversationView,
    facts: MessageFacts,
) -> EscalationRequest | None:
    """``manager_request`` when the customer asks for a manager, supervisor, someone in charge."""
    rule = config.manager_request
    if not rule.enabled:
        return None
    phrase = compiled.manager.find(facts.text)
    if phrase is None:
        return None
    return build_request(
        config,
        conversation,
        target=rule.target,
        reason=f"the customer asks for someone in charge ({phrase!r})",
        trigger="manager_request",
        raise_priority=rule.raise_priority,
    )


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
