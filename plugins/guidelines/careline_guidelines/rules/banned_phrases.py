"""``banned_phrases``: words and phrases a reply must not use (whole words, any case).

Two lists, each for every language and per language: dismissive phrases (``severity``, warn by
default) and legal no-gos — promises and admissions (``legal_severity``, approval by default).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from careline.types import Finding, Severity

from careline_guidelines import defaults
from careline_guidelines.config import BannedPhrasesRule
from careline_guidelines.rules.base import CheckContext
from careline_guidelines.text import phrase_pattern, primary_language

RULE = "banned_phrases"
STATE_KEY = "guidelines:banned_phrases"


@dataclass(frozen=True, slots=True)
class BannedPhrase:
    """One phrase to avoid, compiled, with whether it is a legal no-go."""

    phrase: str
    pattern: re.Pattern[str]
    legal: bool


@dataclass(frozen=True, slots=True)
class PhraseBook:
    """The phrases of every language (``None`` for those that apply to all)."""

    by_language: dict[str | None, tuple[BannedPhrase, ...]]

    def for_language(self, language: str | None) -> Iterable[BannedPhrase]:
        """The phrases for a conversation in ``language`` (every list when it is unknown)."""
        if language is None:
            return [phrase for phrases in self.by_language.values() for phrase in phrases]
        return [*self.by_language.get(None, ()), *self.by_language.get(language, ())]


def build_phrase_book(rule: BannedPhrasesRule) -> PhraseBook:
    """Compile the configured (and, unless switched off, built-in) phrases."""
    lists: dict[str | None, dict[str, bool]] = {}

    def add(language: str | None, phrases: Iterable[str], legal: bool) -> None:
        target = lists.setdefault(primary_language(language), {})
        for phrase in phrases:
            target[phrase] = legal

    if rule.use_defaults:
        for language, builtin in defaults.DISMISSIVE.items():
            add(language, builtin, legal=False)
        for language, builtin in defaults.LEGAL.items():
            add(language, builtin, legal=True)
    add(None, rule.phrases, legal=False)
    add(None, rule.legal_phrases, legal=True)
    for language, configured in rule.phrases_by_language.items():
        add(language, configured, legal=False)
    for language, configured in rule.legal_phrases_by_language.items():
        add(language, configured, legal=True)
    return PhraseBook(
        {
            language: tuple(
                BannedPhrase(phrase, phrase_pattern(phrase), legal)
                for phrase, legal in phrases.items()
            )
            for language, phrases in lists.items()
        }
    )


def check(context: CheckContext) -> list[Finding]:
    """A finding for every banned phrase the draft uses."""
    rule = context.config.rules.banned_phrases
    book = context.settings.plugin_state(STATE_KEY, lambda: build_phrase_book(rule))
    language = primary_language(context.conversation.language)
    found: dict[tuple[int, int], Finding] = {}
    for banned in book.for_language(language):
        for match in banned.pattern.finditer(context.draft.text):
            span = (match.start(), match.end())
            finding = _finding(match.group(), span, banned.legal, rule)
            current = found.get(span)
            if current is None or _rank(finding.severity) > _rank(current.severity):
                found[span] = finding
    return _without_nested(found)


def _without_nested(found: dict[tuple[int, int], Finding]) -> list[Finding]:
    # "per our policy" inside "as per our policy" is one problem, not two.
    kept: list[Finding] = []
    for span in sorted(found, key=lambda s: (s[0], -s[1])):
        finding = found[span]
        if any(
            other.span is not None
            and other.span[0] <= span[0]
            and span[1] <= other.span[1]
            and _rank(other.severity) >= _rank(finding.severity)
            for other in kept
        ):
            continue
        kept.append(finding)
    return kept


def _finding(written: str, span: tuple[int, int], legal: bool, rule: BannedPhrasesRule) -> Finding:
    if legal:
        return Finding(
            rule=RULE,
            severity=rule.legal_severity,
            message=(
                f'"{written}" reads as a legal promise or admission: rephrase it, or have a '
                "supervisor approve the reply."
            ),
            span=span,
        )
    return Finding(
        rule=RULE,
        severity=rule.severity,
        message=f'"{written}" sounds dismissive to a customer: rephrase it.',
        span=span,
    )


def _rank(severity: Severity) -> int:
    return {Severity.WARN: 0, Severity.APPROVAL: 1, Severity.BLOCK: 2}[severity]
