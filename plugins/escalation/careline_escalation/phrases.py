"""Whole-word phrase matching for content and manager-request triggers.

A phrase is one or more words; it matches a text when its words appear in order, as whole
words, separated by any whitespace, ignoring case (Unicode case folding, so "STRASSE" finds
"Straße"). A word ending in ``*`` matches any word starting with it. "sue" therefore never
matches "issue", and "lawyer*" matches "lawyers".

Every message is checked against every category's phrases, so the phrases are first narrowed
down by the text's words (:class:`AnchorIndex`: a set lookup per word) and only the regular
expressions of the few left run; see :func:`anchor`. :class:`PhraseMatcher` does this for one
set, :class:`~careline_escalation.phrase_sets.PhraseSets` for all of a message's sets at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

WORD_RUN = re.compile(r"\w+")
# In ASCII text \w means the same with re.ASCII, and is checked with a table rather than the
# Unicode database: most texts are ASCII, and split faster so.
ASCII_WORD_RUN = re.compile(r"\w+", re.ASCII)


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
    """What every text containing the phrase has: a word run to file the phrase under (a whole
    word, or a word's start), and all the whole words the phrase needs."""

    run: str
    prefix: bool
    words: frozenset[str]


def anchor(phrase: str) -> Anchor | None:
    """The longest run of word characters that a text must contain for ``phrase`` to match
    (a whole word rather than a word's start of the same length), and the whole words it must.

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
    # The longer the run, the fewer texts have it, and the fewer patterns run; a whole word is
    # the stricter test of the same length.
    choices = [(run, False) for run in whole] + [(run, True) for run in starts]
    if not choices:
        return None
    run, prefix = max(choices, key=lambda choice: (len(choice[0]), not choice[1]))
    return Anchor(run, prefix, frozenset(whole))


def fold(text: str) -> tuple[str, Sequence[str]]:
    """``text`` case-folded, and its runs of word characters (in order, repeats kept)."""
    folded = text.casefold()
    return folded, (ASCII_WORD_RUN if folded.isascii() else WORD_RUN).findall(folded)


@dataclass(frozen=True, slots=True)
class AnchorIndex:
    """The phrases of a list that a text may contain, judged by the text's words alone.

    Every phrase is filed under its :func:`anchor`; :meth:`candidates` leaves out only phrases
    whose anchor or one of whose whole words the text lacks, which therefore cannot match.
    """

    _always: tuple[int, ...]
    _by_word: dict[str, tuple[int, ...]]
    _needs: tuple[frozenset[str], ...]
    _needed: frozenset[str]
    _key: Callable[[str], str]
    _start_keys: frozenset[str]
    _by_key: dict[str, tuple[tuple[str, tuple[int, ...]], ...]]

    @classmethod
    def build(cls, phrases: Iterable[str]) -> AnchorIndex:
        """Index ``phrases`` by their anchors; a candidate is named by its position in them."""
        always: list[int] = []
        needs: list[frozenset[str]] = []
        by_word: dict[str, list[int]] = {}
        by_start: dict[str, list[int]] = {}
        for index, phrase in enumerate(phrases):
            found = anchor(phrase)
            needs.append(found.words if found else frozenset())
            if found is None:
                always.append(index)
            else:
                (by_start if found.prefix else by_word).setdefault(found.run, []).append(index)
        # Prefix anchors are filed under their first characters, as many as the shortest has,
        # so that one slice and one set lookup per word rule out nearly every word.
        length = min((len(run) for run in by_start), default=1)
        by_key: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for run, indexes in by_start.items():
            by_key.setdefault(run[:length], []).append((run, tuple(indexes)))
        return cls(
            _always=tuple(always),
            _by_word={run: tuple(indexes) for run, indexes in by_word.items()},
            _needs=tuple(needs),
            _needed=frozenset().union(*needs),
            _key=itemgetter(slice(0, length)),
            _start_keys=frozenset(by_key),
            _by_key={key: tuple(runs) for key, runs in by_key.items()},
        )

    def candidates(self, words: Sequence[str]) -> list[int]:
        """The positions, in order, of the phrases a text with these words may contain."""
        found = set(self._always)
        needs = self._needs
        present = self._needed.intersection(words)
        by_word = self._by_word
        for word in by_word.keys() & present:
            found.update(index for index in by_word[word] if needs[index] <= present)
        # map() keeps the common case (no word starts like any prefix anchor) in C.
        if self._start_keys and not self._start_keys.isdisjoint(map(self._key, words)):
            key, by_key = self._key, self._by_key
            for word in words:
                for run, indexes in by_key.get(key(word), ()):
                    if word.startswith(run):
                        found.update(index for index in indexes if needs[index] <= present)
        return sorted(found)


def compile_phrases(
    phrases: Iterable[str],
) -> tuple[tuple[str, ...], tuple[re.Pattern[str], ...]]:
    """``phrases`` validated, without repeats (order kept), and their patterns."""
    unique = tuple(dict.fromkeys(validate_phrase(p) for p in phrases))
    return unique, tuple(phrase_pattern(p) for p in unique)


@dataclass(frozen=True)
class PhraseMatcher:
    """A compiled set of phrases; :meth:`find` names the first one a text contains."""

    phrases: tuple[str, ...]
    patterns: tuple[re.Pattern[str], ...]
    _index: AnchorIndex = field(repr=False, compare=False)

    @classmethod
    def compile(cls, phrases: Iterable[str]) -> PhraseMatcher:
        """Compile ``phrases`` (duplicates ignored, order kept)."""
        unique, patterns = compile_phrases(phrases)
        return cls(phrases=unique, patterns=patterns, _index=AnchorIndex.build(unique))

    def find(self, text: str) -> str | None:
        """The first phrase (as configured) that ``text`` contains, else ``None``."""
        folded, words = fold(text)
        for index in self._index.candidates(words):
            if self.patterns[index].search(folded):
                return self.phrases[index]
        return None
