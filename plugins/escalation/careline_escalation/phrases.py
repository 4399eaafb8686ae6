"""Whole-word phrase matching for content and manager-request triggers.

A phrase is one or more words; it matches a text when its words appear in order, as whole
words, separated by any whitespace, ignoring case (Unicode case folding, so "STRASSE" finds
"Straße"). A word ending in ``*`` matches any word starting with it. "sue" therefore never
matches "issue", and "lawyer*" matches "lawyers".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


def validate_phrase(phrase: str) -> str:
    """Return ``phrase`` stripped, or raise ``ValueError`` when it cannot match anything sane."""
    cleaned = " ".join(phrase.split())
    if not cleaned:
        raise ValueError("a phrase may not be blank")
    if any(word.strip("*") == "" for word in cleaned.split(" ")):
        raise ValueError(f"phrase {phrase!r} has a word that is only '*'")
    if any("*" in word.rstrip("*") for word in cleaned.split(" ")):
        raise ValueError(f"phrase {phrase!r}: '*' is allowed only at the end of a word")
    return cleaned


def phrase_pattern(phrase: str) -> re.Pattern[str]:
    """The regular expression that finds ``phrase`` in case-folded text."""
    parts = []
    for word in validate_phrase(phrase).casefold().split(" "):
        if word.endswith("*"):
            parts.append(re.escape(word.rstrip("*")) + r"\w*")
        else:
            parts.append(re.escape(word))
    # Lookarounds instead of \b: phrases may start or end with punctuation ("self-harm").
    return re.compile(r"(?<!\w)" + r"\s+".join(parts) + r"(?!\w)")


@dataclass(frozen=True)
class PhraseMatcher:
    """A compiled set of phrases; :meth:`find` names the first one a text contains."""

    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def compile(cls, phrases: Iterable[str]) -> PhraseMatcher:
        """Compile ``phrases`` (duplicates ignored, order kept)."""
        unique = tuple(dict.fromkeys(validate_phrase(p) for p in phrases))
        return cls(phrases=unique, patterns=tuple(phrase_pattern(p) for p in unique))

    def find(self, text: str) -> str | None:
        """The first phrase (as configured) that ``text`` contains, else ``None``."""
        folded = text.casefold()
        for phrase, pattern in zip(self.phrases, self.patterns, strict=True):
            if pattern.search(folded):
                return phrase
        return None
