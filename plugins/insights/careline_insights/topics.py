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


WORD_CACHE_SIZE = 50_000
_TOKEN = re.compile(r"\w+(?:'\w+)*")
_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


def tokens(text: str) -> list[str]:
    """The case-folded words of ``text``; apostrophes stay inside words, hyphens split them."""
    return _TOKEN.findall(text.translate(_APOSTROPHES).casefold())


@dataclass(frozen=True, slots=True)
class _Keyword:
    rule: int
    text: str


@dataclass(frozen=True, slots=True)
class _Phrase:
    rest: tuple[str, ...]
    last_is_prefix: bool
    keyword: _Keyword

    def matches_at(self, words: list[str], position: int) -> bool:
        end = position + 1 + len(self.rest)
        if end > len(words):
            return False
        if self.last_is_prefix:
            return tuple(words[position + 1 : end - 1]) == self.rest[:-1] and words[
                end - 1
            ].startswith(self.rest[-1])
        return tuple(words[position + 1 : end]) == self.rest


@dataclass
class _KeywordIndex:
    """Every keyword of every rule for one language, arranged for lookups by word."""

    words: dict[str, list[_Keyword]] = field(default_factory=dict)
    prefixes: dict[str, list[_Keyword]] = field(default_factory=dict)
    phrases: dict[str, list[_Phrase]] = field(default_factory=dict)
    symbols: list[tuple[str, _Keyword]] = field(default_factory=list)
    longest_prefix: int = 0
    # Customers reuse a small vocabulary, so the keywords each word matches are remembered.
    _word_hits: dict[str, frozenset[_Keyword]] = field(default_factory=dict)

    def add(self, rule: int, keyword: str) -> None:
        entry = _Keyword(rule, keyword)
        is_prefix = keyword.rstrip().endswith("*")
        words = tokens(keyword.rstrip().rstrip("*"))
        if not words:
            # Emoji and other keywords without letters: plain substring matches.
            self.symbols.append((keyword.strip().casefold(), entry))
        elif len(words) > 1:
            phrase = _Phrase(tuple(words[1:]), is_prefix, entry)
            self.phrases.setdefault(words[0], []).append(phrase)
        elif is_prefix:
            self.prefixes.setdefault(words[0], []).append(entry)
            self.longest_prefix = max(self.longest_prefix, len(words[0]))
        else:
            self.words.setdefault(words[0], []).append(entry)

    def _word_matches(self, word: str) -> frozenset[_Keyword]:
        hits = self._word_hits.get(word)
        if hits is None:
            found = list(self.words.get(word, ()))
            for end in range(1, min(len(word), self.longest_prefix) + 1):
                found.extend(self.prefixes.get(word[:end], ()))
            hits = frozenset(found)
            if len(self._word_hits) >= WORD_CACHE_SIZE:
                self._word_hits.clear()
            self._word_hits[word] = hits
        return hits

    def matches(self, text: str) -> set[_Keyword]:
        """The keywords that occur in ``text``."""
        found: set[_Keyword] = set()
        if self.symbols:
            folded = text.casefold()
            for symbol, entry in self.symbols:
                if symbol in folded:
                    found.add(entry)
        words = tokens(text)
        for position, word in enumerate(words):
            hits = self._word_matches(word)
            if hits:
                found.update(hits)
            phrases = self.phrases.get(word)
            if phrases:
                for phrase in phrases:
                    if phrase.matches_at(words, position):
                        found.add(phrase.keyword)
        return found


class TopicClassifier:
    """The compiled topic rules; ``classify`` gives ``(topic, score)`` pairs, strongest first."""

    def __init__(self, rules: Iterable[TopicRule], *, max_topics: int = 5) -> None:
        self.rules = tuple(rules)
        self.max_topics = max_topics
        self._patterns = tuple(
            tuple(re.compile(pattern) for pattern in rule.patterns) for rule in self.rules
        )
        self._by_language: dict[str | None, _KeywordIndex] = {}

    def _index_for(self, language: str | None) -> _KeywordIndex:
        index = self._by_language.get(language)
        if index is None:
            index = _KeywordIndex()
            for number, rule in enumerate(self.rules):
                for keyword in self._keywords_for(rule, language):
                    index.add(number, keyword)
            self._by_language[language] = index
        return index

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
        hits = [0] * len(self.rules)
        for keyword in self._index_for(language).matches(text):
            hits[keyword.rule] += 1
        for number, patterns in enumerate(self._patterns):
            for pattern in patterns:
                if pattern.search(text):
                    hits[number] += 1
        found: list[tuple[float, int]] = []
        for number, count in enumerate(hits):
            if count:
                score = round(min(1.0, self.rules[number].weight * (1 - 0.5**count)), 4)
                found.append((-score, number))
        found.sort()
        return [
            (self.rules[number].name, -negative) for negative, number in found[: self.max_topics]
        ]

    def explain(self, text: str, language: str | None = None) -> dict[str, list[str]]:
        """The keywords and patterns of each topic that match ``text`` (for tuning rules)."""
        reasons: dict[str, list[str]] = {}
        for keyword in sorted(self._index_for(language).matches(text), key=lambda k: k.text):
            reasons.setdefault(self.rules[keyword.rule].name, []).append(keyword.text)
        for number, patterns in enumerate(self._patterns):
            for pattern in patterns:
                if pattern.search(text):
                    reasons.setdefault(self.rules[number].name, []).append(f"/{pattern.pattern}/")
        return reasons


def build_topic_classifier(config: InsightsConfig, path: Path | None = None) -> TopicClassifier:
    """Compile the effective topic rules of ``config``; a bad rule raises ConfigError."""
    return TopicClassifier(effective_topic_rules(config, path), max_topics=config.max_topics)
