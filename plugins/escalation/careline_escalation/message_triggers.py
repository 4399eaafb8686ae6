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
    Enrichment,
    EscalationRequest,
    InboundMessage,
    MessageKind,
)

from careline_escalation.config import ContentCategory, EscalationConfig
from careline_escalation.defaults import CATEGORY_PHRASES, MANAGER_PHRASES
from careline_escalation.message_facts import MessageFacts
from careline_escalation.phrase_sets import PhraseSets
from careline_escalation.targets import build_request

MATCHERS_KEY = "escalation:matchers"
SAID_ATTRIBUTE = "careline_escalation.said"
"""The enrichment attribute with :func:`phrases_said`'s answer (see :func:`evaluate`)."""
MANAGER_REQUEST = "manager_request"


def content_trigger(category: str) -> str:
    """The trigger id of a content category."""
    return f"content:{category}"


@dataclass(frozen=True, slots=True)
class ContentRule:
    """An enabled content category, ready to check a message against."""

    name: str
    category: ContentCategory
    trigger: str
    topics: tuple[tuple[str, str], ...]
    """The category's topics: as configured, and case-folded."""

    def first_topic(self, topics: frozenset[str]) -> str | None:
        """The first of the category's topics (as configured) among case-folded ``topics``."""
        for configured, folded in self.topics:
            if folded in topics:
                return configured
        return None


@dataclass(frozen=True)
class Matchers:
    """The enabled content categories and every enabled phrase trigger's phrases, compiled once
    per settings object."""

    content: tuple[ContentRule, ...]
    phrases: PhraseSets[str]
    """The phrases by trigger id (see :attr:`MessageFacts.said`)."""


def matchers(config: EscalationConfig, settings: Settings) -> Matchers:
    """Compile the phrases and topics of every enabled category, and the manager request's
    phrases, once."""

    def build() -> Matchers:
        content: list[ContentRule] = []
        sets: dict[str, list[str]] = {}
        for name, category in config.content.items():
            if not category.enabled:
                continue
            trigger = content_trigger(name)
            topics = tuple((topic, topic.casefold()) for topic in category.topics)
            content.append(ContentRule(name, category, trigger, topics))
            defaults = CATEGORY_PHRASES.get(name, ()) if category.use_default_keywords else ()
            sets[trigger] = [*defaults, *category.keywords]
        manager = config.manager_request
        if manager.enabled:
            defaults = MANAGER_PHRASES if manager.use_default_phrases else ()
            sets[MANAGER_REQUEST] = [*defaults, *manager.phrases]
        return Matchers(content=tuple(content), phrases=PhraseSets.compile(sets))

    return settings.plugin_state(MATCHERS_KEY, build)


def phrases_said(compiled: Matchers, message: InboundMessage) -> dict[str, str] | None:
    """The first phrase of each phrase trigger's set that a customer message says, by trigger
    id; ``None`` for a message no trigger looks at. Depends on the text and the settings alone,
    so it is worked out while the message is enriched (see :func:`evaluate`)."""
    if message.direction is not Direction.INBOUND or message.kind is MessageKind.DELETE:
        return None
    return compiled.phrases.find(message.text)


def evaluate(
    config: EscalationConfig,
    compiled: Matchers,
    conversation: ConversationView,
    message: InboundMessage,
    enrichment: Enrichment | None = None,
) -> list[EscalationRequest]:
    """Every message trigger that fires for ``message`` in ``conversation``.

    The phrases the text says come from ``enrichment`` when this plugin's enrichment found them
    (in an enrichment process, with ``[pipeline] enrich_processes``), else they are found here.
    """
    if message.direction is not Direction.INBOUND or message.kind is MessageKind.DELETE:
        return []
    said = enrichment.attributes.get(SAID_ATTRIBUTE) if enrichment is not None else None
    facts = MessageFacts(
        conversation, message, compiled.phrases, said=said if isinstance(said, dict) else None
    )
    requests = content_requests(config, compiled, conversation, facts)
    for request in (
        influence_request(config, conversation, facts),
        sentiment_request(config, conversation, facts),
        repeat_contact_request(config, conversation),
        manager_request(config, conversation, facts),
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
    for rule in compiled.content:
        category = rule.category
        if category.public_only and not facts.public:
            continue
        topics = facts.topics
        topic = rule.first_topic(topics) if topics else None
        phrase = None if topic else facts.said.get(rule.trigger)
        if topic is None and phrase is None:
            continue
        why = f"topic {topic!r}" if topic else f"the message says {phrase!r}"
        requests.append(
            build_request(
                config,
                conversation,
                target=category.target,
                reason=f"{rule.name} matter: {why}",
                trigger=rule.trigger,
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
    config: EscalationConfig, conversation: ConversationView, facts: MessageFacts
) -> EscalationRequest | None:
    """``manager_request`` when the customer asks for a manager, supervisor, someone in charge."""
    rule = config.manager_request
    if not rule.enabled:
        return None
    phrase = facts.said.get(MANAGER_REQUEST)
    if phrase is None:
        return None
    return build_request(
        config,
        conversation,
        target=rule.target,
        reason=f"the customer asks for someone in charge ({phrase!r})",
        trigger=MANAGER_REQUEST,
        raise_priority=rule.raise_priority,
    )


def _ordinal(number: int) -> str:
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"
