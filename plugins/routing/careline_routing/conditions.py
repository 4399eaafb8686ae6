"""Rule conditions: each one tests one fact and can say, in words, why it held or not.

Conditions are compiled once from a :class:`~careline_routing.config.RuleConfig` (keyword lists
become one regular expression, names are lower-cased), so testing a message does no parsing.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from careline_routing.business_hours import OpenCheck
from careline_routing.config import RuleConfig, Scalar, as_tuple
from careline_routing.facts import MessageFacts, language_matches


class Condition(ABC):
    """One test a message must pass for its rule to match.

    ``fixed`` conditions look only at the conversation's channel, source and visibility, so a
    rule set can sort them out once per combination instead of once per message.
    """

    key: str
    fixed: ClassVar[bool] = False

    @abstractmethod
    def matches(self, facts: MessageFacts) -> bool:
        """True when the message passes this test."""

    @abstractmethod
    def explain(self, facts: MessageFacts) -> str:
        """Why the message passes (or fails) this test, in a few words with the actual value."""


def _listing(values: tuple[str, ...]) -> str:
    return values[0] if len(values) == 1 else "one of " + ", ".join(values)


@dataclass(frozen=True, slots=True)
class ChannelIs(Condition):
    """``channel``: the conversation is on one of these channels."""

    channels: frozenset[str]
    key: str = "channel"
    fixed: ClassVar[bool] = True

    def matches(self, facts: MessageFacts) -> bool:
        return facts.channel in self.channels

    def explain(self, facts: MessageFacts) -> str:
        return f"channel {facts.channel} (wanted {_listing(tuple(sorted(self.channels)))})"


@dataclass(frozen=True, slots=True)
class FieldIs(Condition):
    """``source`` / ``visibility``: a fixed property of the conversation has this value."""

    key: str
    expected: str
    fixed: ClassVar[bool] = True

    def matches(self, facts: MessageFacts) -> bool:
        actual: str = getattr(facts, self.key)
        return actual == self.expected

    def explain(self, facts: MessageFacts) -> str:
        return f"{self.key} {getattr(facts, self.key)} (wanted {self.expected})"


@dataclass(frozen=True, slots=True)
class LanguageIn(Condition):
    """``language``: the conversation's language is one of these (regional forms included)."""

    languages: tuple[str, ...]
    key: str = "language"

    def matches(self, facts: MessageFacts) -> bool:
        actual = facts.language
        return actual is not None and any(language_matches(w, actual) for w in self.languages)

    def explain(self, facts: MessageFacts) -> str:
        return f"language {facts.language or 'unknown'} (wanted {_listing(self.languages)})"


@dataclass(frozen=True, slots=True)
class SentimentBelow(Condition):
    """``sentiment_below``: the compound sentiment score is lower than the bound."""

    bound: float
    key: str = "sentiment_below"

    def matches(self, facts: MessageFacts) -> bool:
        return facts.sentiment is not None and facts.sentiment < self.bound

    def explain(self, facts: MessageFacts) -> str:
        return f"sentiment {_score(facts.sentiment)} (wanted below {self.bound:g})"


@dataclass(frozen=True, slots=True)
class SentimentAbove(Condition):
    """``sentiment_above``: the compound sentiment score is higher than the bound."""

    bound: float
    key: str = "sentiment_above"

    def matches(self, facts: MessageFacts) -> bool:
        return facts.sentiment is not None and facts.sentiment > self.bound

    def explain(self, facts: MessageFacts) -> str:
        return f"sentiment {_score(facts.sentiment)} (wanted above {self.bound:g})"


def _score(value: float | None) -> str:
    return "unknown" if value is None else f"{value:+.2f}"


@dataclass(frozen=True, slots=True)
class TopicIn(Condition):
    """``topic``: the conversation (or the message) has any of these topics."""

    topics: frozenset[str]
    key: str = "topic"

    def matches(self, facts: MessageFacts) -> bool:
        return not self.topics.isdisjoint(facts.topics)

    def explain(self, facts: MessageFacts) -> str:
        found = sorted(self.topics & facts.topics) or sorted(facts.topics) or ["none"]
        return f"topic {', '.join(found)} (wanted {_listing(tuple(sorted(self.topics)))})"


@dataclass(frozen=True, slots=True)
class KeywordsAny(Condition):
    """``keywords``: any of the words appears in the text (case-insensitive, whole words)."""

    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    key: str = "keywords"

    @classmethod
    def build(cls, keywords: tuple[str, ...]) -> KeywordsAny:
        """Compile the keywords into one pattern; longest first so phrases win over words."""
        alternatives = "|".join(re.escape(k) for k in sorted(keywords, key=len, reverse=True))
        # lookarounds instead of \b so that "#fail" and "@brand" are whole words too
        pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
        return cls(pattern=pattern, keywords=keywords)

    def matches(self, facts: MessageFacts) -> bool:
        return self.pattern.search(facts.text) is not None

    def explain(self, facts: MessageFacts) -> str:
        found = self.pattern.search(facts.text)
        if found:
            return f"keyword {found.group(0)!r} in the text"
        return f"none of the keywords {', '.join(map(repr, self.keywords))} in the text"


@dataclass(frozen=True, slots=True)
class RegexMatches(Condition):
    """``regex``: the regular expression is found in the text (as written; add ``(?i)``)."""

    pattern: re.Pattern[str]
    key: str = "regex"

    def matches(self, facts: MessageFacts) -> bool:
        return self.pattern.search(facts.text) is not None

    def explain(self, facts: MessageFacts) -> str:
        found = self.pattern.search(facts.text)
        if found:
            return f"regex /{self.pattern.pattern}/ found {found.group(0)!r}"
        return f"regex /{self.pattern.pattern}/ not found in the text"


@dataclass(frozen=True, slots=True)
class FollowersAtLeast(Condition):
    """``followers_at_least``: the author has at least this many followers."""

    minimum: int
    key: str = "followers_at_least"

    def matches(self, facts: MessageFacts) -> bool:
        return facts.followers is not None and facts.followers >= self.minimum

    def explain(self, facts: MessageFacts) -> str:
        actual = "unknown" if facts.followers is None else f"{facts.followers:,}"
        return f"followers {actual} (wanted at least {self.minimum:,})"


@dataclass(frozen=True, slots=True)
class FlagIs(Condition):
    """``verified`` / ``personal_data`` / ``business_hours``: a yes-or-no fact is as wanted."""

    key: str
    expected: bool
    label: str

    def actual(self, facts: MessageFacts) -> bool:
        """The fact's value for this message."""
        if self.key == "verified":
            return facts.verified
        return bool(facts.personal_data_kinds)

    def matches(self, facts: MessageFacts) -> bool:
        return self.actual(facts) is self.expected

    def explain(self, facts: MessageFacts) -> str:
        detail = ""
        if self.key == "personal_data" and facts.personal_data_kinds:
            detail = f" ({', '.join(facts.personal_data_kinds)})"
        state = "yes" if self.actual(facts) else "no"
        return f"{self.label} {state}{detail} (wanted {'yes' if self.expected else 'no'})"


@dataclass(frozen=True, slots=True)
class BusinessHoursIs(Condition):
    """``business_hours``: the message arrived inside (true) or outside (false) opening hours."""

    expected: bool
    is_open: OpenCheck
    key: str = "business_hours"

    def matches(self, facts: MessageFacts) -> bool:
        return self.is_open(facts.received_at) is self.expected

    def explain(self, facts: MessageFacts) -> str:
        state = "open" if self.is_open(facts.received_at) else "closed"
        wanted = "open" if self.expected else "closed"
        return f"business hours {state} at {facts.received_at:%a %H:%M} UTC (wanted {wanted})"


@dataclass(frozen=True, slots=True)
class ContactMatches(Condition):
    """``contact``: every listed attribute of the customer has the value (or one of the values)."""

    expected: Mapping[str, tuple[Scalar, ...]]
    key: str = "contact"

    def matches(self, facts: MessageFacts) -> bool:
        return all(
            _attribute_equals(facts.contact.get(name, _MISSING), accepted)
            for name, accepted in self.expected.items()
        )

    def explain(self, facts: MessageFacts) -> str:
        parts = []
        for name, accepted in self.expected.items():
            actual = facts.contact.get(name, _MISSING)
            shown = "unset" if actual is _MISSING else repr(actual)
            wanted = " or ".join(repr(value) for value in accepted)
            parts.append(f"contact {name} {shown} (wanted {wanted})")
        return "; ".join(parts)


_MISSING: Any = object()


def _attribute_equals(actual: Any, accepted: tuple[Scalar, ...]) -> bool:
    # bool is an int in Python: keep true from matching 1 and "1" from matching 1
    return any(
        isinstance(actual, bool) == isinstance(value, bool)
        and (
            actual == value
            or (
                isinstance(actual, str)
                and isinstance(value, str)
                and actual.lower() == value.lower()
            )
        )
        for value in accepted
    )


@dataclass(frozen=True, slots=True)
class RepeatContact(Condition):
    """``repeat_contact``: the customer started at least N other conversations recently."""

    minimum: int
    key: str = "repeat_contact"

    def matches(self, facts: MessageFacts) -> bool:
        return facts.previous_conversations >= self.minimum

    def explain(self, facts: MessageFacts) -> str:
        return (
            f"{facts.previous_conversations} earlier conversations (wanted at least {self.minimum})"
        )


def compile_conditions(rule: RuleConfig, is_open: OpenCheck) -> tuple[Condition, ...]:
    """The conditions of ``rule``, cheapest first so that most rules fail fast."""
    conditions: list[Condition] = []
    if rule.channel is not None:
        conditions.append(ChannelIs(frozenset(c.lower() for c in as_tuple(rule.channel))))
    if rule.source is not None:
        conditions.append(FieldIs("source", rule.source))
    if rule.visibility is not None:
        conditions.append(FieldIs("visibility", rule.visibility))
    if rule.verified is not None:
        conditions.append(FlagIs("verified", rule.verified, "verified author"))
    if rule.personal_data is not None:
        conditions.append(FlagIs("personal_data", rule.personal_data, "personal data"))
    if rule.followers_at_least is not None:
        conditions.append(FollowersAtLeast(rule.followers_at_least))
    if rule.repeat_contact is not None:
        conditions.append(RepeatContact(rule.repeat_contact))
    if rule.language is not None:
        conditions.append(LanguageIn(tuple(code.lower() for code in as_tuple(rule.language))))
    if rule.sentiment_below is not None:
        conditions.append(SentimentBelow(rule.sentiment_below))
    if rule.sentiment_above is not None:
        conditions.append(SentimentAbove(rule.sentiment_above))
    if rule.topic is not None:
        conditions.append(TopicIn(frozenset(t.lower() for t in as_tuple(rule.topic))))
    if rule.contact is not None:
        conditions.append(
            ContactMatches(
                {
                    name: tuple(value) if isinstance(value, list) else (value,)
                    for name, value in rule.contact.items()
                }
            )
        )
    if rule.business_hours is not None:
        conditions.append(BusinessHoursIs(rule.business_hours, is_open))
    if rule.keywords is not None:
        conditions.append(KeywordsAny.build(as_tuple(rule.keywords)))
    if rule.regex is not None:
        conditions.append(RegexMatches(re.compile(rule.regex)))
    return tuple(conditions)
