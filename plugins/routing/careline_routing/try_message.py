"""``careline routing test``: route one made-up message and show which rule decides and why."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pluggy
from careline.config import Settings
from careline.types import (
    Author,
    ConversationStatus,
    ConversationView,
    Enrichment,
    InboundMessage,
    Priority,
    RoutingDecision,
    Source,
    Visibility,
)

from careline_routing.facts import MessageFacts
from careline_routing.rules import RuleTrace


@dataclass(frozen=True, slots=True)
class TrialMessage:
    """What the user typed on the command line about the message to try."""

    text: str
    channel: str
    visibility: Visibility
    source: Source
    received_at: datetime
    followers: int | None = None
    verified: bool = False
    language: str | None = None
    sentiment: float | None = None
    topic: str | None = None
    previous_conversations: int = 0
    contact: Mapping[str, Any] = field(default_factory=dict)

    def inbound(self) -> InboundMessage:
        """The message as a channel would have parsed it."""
        return InboundMessage(
            channel=self.channel,
            account="brand",
            external_id="routing-test",
            text=self.text,
            author=Author(
                external_id="routing-test-author",
                followers=self.followers,
                verified=self.verified,
            ),
            created_at=self.received_at,
            visibility=self.visibility,
            source=self.source,
            language=self.language,
        )


def parse_contact_options(pairs: Iterable[str]) -> dict[str, Any]:
    """``vip=true tier=gold`` → ``{"vip": True, "tier": "gold"}`` (values read as TOML)."""
    attributes: dict[str, Any] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name.strip():
            raise ValueError(f"--contact wants NAME=VALUE, got {pair!r}")
        try:
            attributes[name.strip()] = tomllib.loads(f"v = {value.strip()}")["v"]
        except tomllib.TOMLDecodeError:
            attributes[name.strip()] = value.strip()
    return attributes


def enrich(pm: pluggy.PluginManager, message: InboundMessage, settings: Settings) -> Enrichment:
    """Ask the loaded enrichment plugins (e.g. insights) about the message and merge answers.

    The first answer with a value wins for scalars; topics and personal data are combined.
    """
    answers = [
        answer
        for answer in pm.hook.careline_enrich_message(message=message, settings=settings)
        if answer is not None
    ]
    sentiment = next((a.sentiment for a in answers if a.sentiment is not None), None)
    label = next((a.sentiment_label for a in answers if a.sentiment_label), None)
    language = next((a.language for a in answers if a.language), None)
    topics: list[str] = []
    scores: dict[str, float] = {}
    for answer in answers:
        topics.extend(topic for topic in answer.topics if topic not in topics)
        scores.update(answer.topic_scores)
    return Enrichment(
        sentiment=sentiment,
        sentiment_label=label,
        language=language,
        topics=tuple(topics),
        topic_scores=scores,
        personal_data=tuple(match for answer in answers for match in answer.personal_data),
    )


def conversation_for(trial: TrialMessage, enrichment: Enrichment) -> ConversationView:
    """The view the core would build for a new conversation; typed options beat enrichment."""
    strongest = max(
        enrichment.topics, key=lambda t: enrichment.topic_scores.get(t, 0.0), default=None
    )
    return ConversationView(
        id=0,
        channel=trial.channel,
        account="brand",
        visibility=trial.visibility,
        source=trial.source,
        status=ConversationStatus.NEW,
        priority=Priority.NORMAL,
        created_at=trial.received_at,
        contact_id=0,
        language=trial.language or enrichment.language,
        sentiment=trial.sentiment if trial.sentiment is not None else enrichment.sentiment,
        topic=trial.topic or strongest,
        contact_attributes=dict(trial.contact),
        author_followers=trial.followers,
        author_verified=trial.verified,
        previous_conversations=trial.previous_conversations,
        personal_data_kinds=tuple(sorted({m.kind for m in enrichment.personal_data})),
        last_inbound_at=trial.received_at,
    )


def _fields(facts: MessageFacts) -> dict[str, Any]:
    return {name: getattr(facts, name) for name in MessageFacts.__slots__}


def facts_as_dict(facts: MessageFacts) -> dict[str, Any]:
    """The facts in JSON-friendly form (sorted topics, ISO time)."""
    data = _fields(facts)
    data["topics"] = sorted(facts.topics)
    data["personal_data_kinds"] = list(facts.personal_data_kinds)
    data["contact"] = dict(facts.contact)
    data["received_at"] = facts.received_at.isoformat()
    return data


def enrichment_as_dict(enrichment: Enrichment) -> dict[str, Any]:
    """What the enrichment plugins said, in JSON-friendly form."""
    return {
        "sentiment": enrichment.sentiment,
        "sentiment_label": enrichment.sentiment_label,
        "language": enrichment.language,
        "topics": list(enrichment.topics),
        "personal_data": sorted({match.kind for match in enrichment.personal_data}),
    }


def decision_as_dict(decision: RoutingDecision | None) -> dict[str, Any] | None:
    """A routing decision in JSON-friendly form."""
    if decision is None:
        return None
    return {
        "queue": decision.queue,
        "priority": str(decision.priority) if decision.priority else None,
        "tags": list(decision.tags),
        "topic": decision.topic,
        "ignore_reason": decision.ignore_reason,
        "suggest_private": decision.suggest_private,
        "rule": decision.rule,
        "explanation": decision.explanation,
    }


def render_trial(
    trial: TrialMessage,
    enrichment: Enrichment | None,
    facts: MessageFacts,
    traces: list[RuleTrace],
    decision: RoutingDecision | None,
) -> list[str]:
    """The human-readable answer of ``careline routing test``."""
    lines = [
        f"Message: {trial.text!r} ({trial.channel}, {trial.visibility}, {trial.source})",
        "Facts:   " + _facts_line(facts),
    ]
    if enrichment is None:
        lines.append("Enrichment: none (no enrichment plugin is loaded)")
    else:
        lines.append("Enrichment: " + _enrichment_line(enrichment))
    lines.append("Rules:")
    if not traces:
        lines.append("  (no [[routing.rules]] configured)")
    for trace in traces:
        mark = "MATCH" if trace.matched else "skip "
        lines.append(f"  {mark} {trace.label}: {trace.explanation}")
    lines.append("Decision: " + _decision_line(decision))
    return lines


def _facts_line(facts: MessageFacts) -> str:
    sentiment = "unknown" if facts.sentiment is None else f"{facts.sentiment:+.2f}"
    followers = "unknown" if facts.followers is None else f"{facts.followers:,}"
    parts = [
        f"language {facts.language or 'unknown'}",
        f"sentiment {sentiment}",
        f"topics {', '.join(sorted(facts.topics)) or 'none'}",
        f"followers {followers}",
        f"verified {'yes' if facts.verified else 'no'}",
        f"personal data {', '.join(facts.personal_data_kinds) or 'none'}",
        f"earlier conversations {facts.previous_conversations}",
    ]
    if facts.contact:
        parts.append(
            "contact " + ", ".join(f"{key}={value!r}" for key, value in facts.contact.items())
        )
    return " · ".join(parts)


def _enrichment_line(enrichment: Enrichment) -> str:
    parts = []
    if enrichment.sentiment is not None:
        label = f" ({enrichment.sentiment_label})" if enrichment.sentiment_label else ""
        parts.append(f"sentiment {enrichment.sentiment:+.2f}{label}")
    if enrichment.language:
        parts.append(f"language {enrichment.language}")
    if enrichment.topics:
        parts.append(f"topics {', '.join(enrichment.topics)}")
    if enrichment.personal_data:
        kinds = sorted({match.kind for match in enrichment.personal_data})
        parts.append(f"personal data {', '.join(kinds)}")
    return " · ".join(parts) or "nothing found"


def _decision_line(decision: RoutingDecision | None) -> str:
    if decision is None:
        return "no routing plugin answered (routing is disabled); the core's default queue applies"
    parts = [f"queue {decision.queue}"]
    if decision.priority:
        parts.append(f"priority {decision.priority}")
    if decision.tags:
        parts.append(f"tags {', '.join(decision.tags)}")
    if decision.topic:
        parts.append(f"topic {decision.topic}")
    if decision.ignore_reason:
        parts.append(f"ignore ({decision.ignore_reason})")
    if decision.suggest_private:
        parts.append("suggest a private reply")
    parts.append(f"rule {decision.rule}")
    return " · ".join(parts)
