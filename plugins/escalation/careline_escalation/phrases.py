"""Whole-word phrase matching for content and manager-request triggers.

A phrase is one or more words; it matches a text when its words appear in order, as whole
words, separated by any whitespace, ignoring case (Unicode case folding, so "STRASSE" finds
"Straße"). A word ending in ``*`` matches any word starting with it. "sue" therefore never
matches "issue", and "lawyer*" matches "lawyers".

Every message is checked against every category's phrases, so :class:`PhraseMatcher` first
narrows the phrases down by the text's words (a set lookup per word) and runs the regular
expressions of the few phrases left; see :func:`anchor`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

WORD_RUN = re.compile(r"\w+")


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


@dataclass(frozen=True, slots=True)
class Anchor:
    """A word run every text containing the phrase has: a whole word, or a word's start."""

    run: str
    prefix: bool


def anchor(phrase: str) -> Anchor | None:
    """The longest run of word characters that a text must contain for ``phrase`` to match.

    The pattern bounds the phrase by non-word characters and joins its words by whitespace, so
    each run of word characters in a phrase's word is a whole word of the text too, except the
    last run of a ``*`` word, which only starts one ("lawyer*" → a word starting "lawyer").
    ``None`` when the phrase has no word characters at all (":-(").
    """
    whole: list[str] = []
    starts: list[str] = []
    for word in validate_phrase(phrase).casefold().split(" "):
        runs = WORD_RUN.findall(word.rstrip("*"))
        if word.endswith("*") and runs:
            starts.append(runs.pop())
        whole.extend(runs)
    if whole:
        return Anchor(max(whole, key=len), prefix=False)
    if starts:
        return Anchor(max(starts, key=len), prefix=True)
    return None


@dataclass(frozen=True, slots=True)
class FoldedText:
    """A text case-folded once, with its words, to be checked against many matchers."""

    folded: str
    words: frozenset[str]

    @classmethod
    def of(cls, text: str) -> FoldedText:
        """Fold ``text`` and split it into runs of word characters."""
        folded = text.casefold()
        return cls(folded, frozenset(WORD_RUN.findall(folded)))


@dataclass(frozen=True)
class PhraseMatcher:
    """A compiled set of phrases; :meth:`find` names the first one a text contains."""

    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    _by_word: dict[str, tuple[int, ...]] = field(repr=False, compare=False)
    _by_start: dict[str, tuple[int, ...]] = field(repr=False, compare=False)
    _always: tuple[int, ...] = field(repr=False, compare=False)
    _starts: tuple[str, ...] = field(repr=False, compare=False)
    _start_lengths: tuple[int, ...] = field(repr=False, compare=False)

    @classmethod
    def compile(cls, phrases: Iterable[str]) -> PhraseMatcher:
        """Compile ``phrases`` (duplicates ignored, order kept)."""
        unique = tuple(dict.fromkeys(validate_phrase(p) for p in phrases))
        by_word: dict[str, list[int]] = {}
        by_start: dict[str, list[int]] = {}
        always: list[int] = []
        for index, phrase in enumerate(unique):
            found = anchor(phrase)
            if found is None:
                always.append(index)
            else:
                (by_start if found.prefix else by_word).setdefault(found.run, []).append(index)
        return cls(
            phrases=unique,
            patterns=tuple(phrase_pattern(p) for p in unique),
            _by_word={run: tuple(indexes) for run, indexes in by_word.items()},
            _by_start={run: tuple(indexes) for run, indexes in by_start.items()},
            _always=tuple(always),
            _starts=tuple(by_start),
            _start_lengths=tuple(sorted({len(run) for run in by_start})),
        )

    def find(self, text: str | FoldedText) -> str | None:
        """The first phrase (as configured) that ``text`` contains, else ``None``."""
        folded = text if isinstance(text, FoldedText) else FoldedText.of(text)
        candidates = set(self._always)
        by_word = self._by_word
        for word in folded.words & by_word.keys():
            candidates.update(by_word[word])
        if self._by_start:
            starts = self._starts
            for word in folded.words:
                if word.startswith(starts):  # one C call per word rules out nearly all
                    for length in self._start_lengths:
                        found = self._by_start.get(word[:length])
                        if found is not None:
                            candidates.update(found)
        for index in sorted(candidates):
            if self.patterns[index].search(folded.folded):
                return self.phrases[index]
        return None
