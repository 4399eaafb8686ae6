"""Topic (contact type) detection: keyword and regular-expression rules, per language.

A topic's score grows with the number of distinct keywords and patterns that match:
``weight × (1 − 0.5^hits)``, capped at 1 — one hit gives half the weight, two three quarters.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from careline.config import ConfigError

from careline_insights.config import SECTION, InsightsConfig, TopicConfig
from careline_insights.keywords import KeywordIndex

DEFAULT_TOPICS_FILE = "default_topics.toml"


@dataclass(frozen=True, slots=True)
class TopicRule:
    """One topic: what to look for and how much a match counts."""

    name: str
    keywords: tuple[str, ...] = ()
    keywords_by_language: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    patterns: tuple[str, ...] = ()
    weight: float = 1.0


@functools.cache
def default_topic_configs() -> dict[str, TopicConfig]:
    """The shipped default rules (``careline_insights/data/default_topics.toml``), in order."""
    text = (
        resources.files("careline_insights")
        .joinpath("data", DEFAULT_TOPICS_FILE)
        .read_text(encoding="utf-8")
    )
    return {name: TopicConfig.model_validate(table) for name, table in tomllib.loads(text).items()}


def _rule(name: str, config: TopicConfig) -> TopicRule:
    return TopicRule(
        name=name,
        keywords=tuple(config.keywords),
        keywords_by_language={
            language: tuple(words) for language, words in config.keywords_by_language.items()
        },
        patterns=tuple(config.patterns),
        weight=config.weight,
    )


def _extend(base: TopicRule, extra: TopicConfig) -> TopicRule:
    languages = {language: list(words) for language, words in base.keywords_by_language.items()}
    for language, words in extra.keywords_by_language.items():
        languages.setdefault(language, []).extend(words)
    return TopicRule(
        name=base.name,
        keywords=(*base.keywords, *extra.keywords),
        keywords_by_language={language: tuple(words) for language, words in languages.items()},
        patterns=(*base.patterns, *extra.patterns),
        weight=extra.weight if "weight" in extra.model_fields_set else base.weight,
    )


def effective_topic_rules(config: InsightsConfig, path: Path | None = None) -> list[TopicRule]:
    """The defaults (unless ``default_topics = false``) changed by ``[insights.topics.*]``.

    A table for a default topic extends it (``replace = true`` replaces it, ``enabled = false``
    removes it); a table for a new name adds a topic after the defaults.
    """
    rules: dict[str, TopicRule] = {}
    if config.default_topics:
        rules = {name: _rule(name, table) for name, table in default_topic_configs().items()}
    for name, table in config.topics.items():
        if not table.enabled:
            rules.pop(name, None)
            continue
        if name in rules and not table.replace:
            rules[name] = _extend(rules[name], table)
            continue
        if not (table.keywords or table.keywords_by_language or table.patterns):
            raise ConfigError(
                "a topic needs keywords, keywords_by_language or patterns",
                path=path,
                key=f"{SECTION}.topics.{name}",
            )
        rules[name] = _rule(name, table)
    return list(rules.values())


@dataclass(frozen=True, slots=True)
class _LanguageKeywords:
    """The keywords that apply in one language, indexed, with the rule each belongs to."""

    index: KeywordIndex
    rules: tuple[int, ...]
    texts: tuple[str, ...]


class TopicClassifier:
    """The compiled topic rules; ``classify`` gives ``(topic, score)`` pairs, strongest first."""

    def __init__(self, rules: Iterable[TopicRule], *, max_topics: int = 5) -> None:
        self.rules = tuple(rules)
        self.max_topics = max_topics
        self._patterns = tuple(
            (number, re.compile(pattern))
            for number, rule in enumerate(self.rules)
            for pattern in rule.patterns
        )
        self._by_language: dict[str | None, _LanguageKeywords] = {}

    def _keywords_in(self, language: str | None) -> _LanguageKeywords:
        keywords = self._by_language.get(language)
        if keywords is None:
            # A keyword listed twice for a topic (in two languages) is one keyword of it.
            pairs = tuple(
                dict.fromkeys(
                    (number, keyword)
                    for number, rule in enumerate(self.rules)
                    for keyword in self._keywords_for(rule, language)
                )
            )
            keywords = _LanguageKeywords(
                index=KeywordIndex(keyword for _, keyword in pairs),
                rules=tuple(number for number, _ in pairs),
                texts=tuple(keyword for _, keyword in pairs),
            )
            self._by_language[language] = keywords
        return keywords

    @staticmethod
    def _keywords_for(rule: TopicRule, language: str | None) -> list[str]:
        keywords = list(rule.keywords)
        if language is None:
            for words in rule.keywords_by_language.values():
                keywords.extend(words)
        else:
            keywords.extend(rule.keywords_by_language.get(language, ()))
        return keywords

    def classify(self, text: str, language: str | None = None) -> list[tuple[str, float]]:
        """The topics of ``text`` with their scores in (0, 1], strongest first, at most
        ``max_topics``; keywords of ``language`` apply (of every language when ``None``)."""
        keywords = self._keywords_in(language)
        hits: dict[int, int] = {}
        for number in keywords.index.matches(text):
            rule = keywords.rules[number]
            hits[rule] = hits.get(rule, 0) + 1
        for rule, pattern in self._patterns:
            if pattern.search(text):
                hits[rule] = hits.get(rule, 0) + 1
        # By score, then in the order of the rules.
        found = sorted(
            (-round(min(1.0, self.rules[rule].weight * (1 - 0.5**count)), 4), rule)
            for rule, count in hits.items()
        )
        return [(self.rules[rule].name, -negative) for negative, rule in found[: self.max_topics]]

    def explain(self, text: str, language: str | None = None) -> dict[str, list[str]]:
        """The keywords and patterns of each topic that match ``text`` (for tuning rules)."""
        reasons: dict[str, list[str]] = {}
        keywords = self._keywords_in(language)
        matched = sorted(
            (keywords.texts[number], keywords.rules[number])
            for number in keywords.index.matches(text)
        )
        for keyword, rule in matched:
            reasons.setdefault(self.rules[rule].name, []).append(keyword)
        for rule, pattern in self._patterns:
            if pattern.search(text):
                reasons.setdefault(self.rules[rule].name, []).append(f"/{pattern.pattern}/")
        return reasons


def build_topic_classifier(config: InsightsConfig, path: Path | None = None) -> TopicClassifier:
    """Compile the effective topic rules of ``config``; a bad rule raises ConfigError."""
    return TopicClassifier(effective_topic_rules(config, path), max_topics=config.max_topics)
