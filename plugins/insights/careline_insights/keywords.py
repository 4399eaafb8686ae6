"""Keyword matching for topic rules: whole words, phrases, word starts and symbols.

A keyword is one or more words as :func:`tokens` splits them (case-folded, apostrophes kept
inside words, hyphens and other punctuation splitting them). It occurs in a text when its words
are consecutive words of the text; with a trailing ``*`` the last of them need only start the
text's word (``refund*`` → refunds). A keyword without any word (an emoji) occurs wherever the
case-folded text contains it, even glued to a word.

Every message is checked against several hundred keywords, so :class:`KeywordIndex` starts from
the text's words rather than from the keywords: one set intersection finds the whole words and
the phrases worth looking for (those filed under one of the text's words), and a second, of the
first characters of each word, the word starts worth checking.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from operator import itemgetter

# Possessive quantifiers match what greedy ones would here (nothing follows that could make
# them give characters back) without keeping backtracking state.
_WORD = re.compile(r"\w++(?:'\w++)*+")
# In ASCII text \w means the same with re.ASCII, and is checked with a table rather than the
# Unicode database.
_ASCII_WORD = re.compile(r"\w++(?:'\w++)*+", re.ASCII)
# An apostrophe that is not between two word characters.
_LOOSE_APOSTROPHE = re.compile(r"'(?!(?<=\w')\w)", re.ASCII)
# Every ASCII character that is neither a word character nor an apostrophe becomes a space.
_ASCII_SEPARATORS = "".join(
    character if character.isalnum() or character in "_'" else " "
    for character in map(chr, range(128))
)


def tokens(text: str) -> list[str]:
    """The case-folded words of ``text``; apostrophes stay inside words, hyphens split them."""
    # Curly and modifier-letter apostrophes count as straight ones. They are replaced before
    # casefold(), which turns "ŉ" into "ʼn", and replace() is much faster than translate().
    folded = text.replace("’", "'").replace("ʼ", "'").replace("`", "'").casefold()
    if not folded.isascii():
        return _WORD.findall(folded)
    # Most texts are ASCII with every apostrophe inside a word: then the runs of word
    # characters and apostrophes are the words, and split() finds them faster than findall().
    if "'" in folded and _LOOSE_APOSTROPHE.search(folded):
        return _ASCII_WORD.findall(folded)
    return folded.translate(_ASCII_SEPARATORS).split()


def _spaced(words: list[str]) -> str:
    # Words hold no spaces, so " a b " occurs in this exactly where the words a and b follow
    # each other, and " ab" where a word starts with "ab".
    return " " + " ".join(words) + " "


class KeywordIndex:
    """Keywords arranged for finding, in one pass over a text's words, those that occur."""

    def __init__(self, keywords: Iterable[str]) -> None:
        """Index ``keywords``; :meth:`matches` names each by its position among them."""
        words: dict[str, list[int]] = {}
        phrases: dict[str, list[tuple[str, int]]] = {}
        starts: dict[str, list[int]] = {}
        symbols: list[tuple[str, int]] = []
        for number, keyword in enumerate(keywords):
            is_start = keyword.rstrip().endswith("*")
            parts = tokens(keyword.rstrip().rstrip("*"))
            if not parts:
                symbols.append((keyword.strip().casefold(), number))
            elif len(parts) > 1:
                spaced = _spaced(parts)
                # A phrase is filed under its longest whole word: the rarest, as a rule.
                anchor = max(parts[:-1] if is_start else parts, key=len)
                phrases.setdefault(anchor, []).append((spaced[:-1] if is_start else spaced, number))
            elif is_start:
                starts.setdefault(parts[0], []).append(number)
            else:
                words.setdefault(parts[0], []).append(number)
        self._words = {word: tuple(numbers) for word, numbers in words.items()}
        self._phrases = {anchor: tuple(found) for anchor, found in phrases.items()}
        self._vocabulary = frozenset(words).union(phrases)
        self._symbols = tuple(symbols)
        self._ascii_symbols = tuple(entry for entry in symbols if entry[0].isascii())
        # Word starts are filed under their first characters, as many as the shortest has, so
        # that a slice and a set lookup per word rule out nearly every word.
        length = min(map(len, starts), default=1)
        by_key: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
        for start, numbers in starts.items():
            by_key.setdefault(start[:length], []).append((" " + start, tuple(numbers)))
        self._key = itemgetter(slice(0, length))
        self._start_keys = frozenset(by_key)
        self._by_key = {key: tuple(entries) for key, entries in by_key.items()}

    def matches(self, text: str) -> set[int]:
        """The positions of the keywords that occur in ``text``."""
        found: set[int] = set()
        # An ASCII text cannot contain a symbol that is not ASCII (nearly all are emoji).
        symbols = self._ascii_symbols if text.isascii() else self._symbols
        if symbols:
            folded = text.casefold()
            for symbol, number in symbols:
                if symbol in folded:
                    found.add(number)
        words = tokens(text)
        spaced: str | None = None
        for word in self._vocabulary.intersection(words):
            numbers = self._words.get(word)
            if numbers:
                found.update(numbers)
            phrases = self._phrases.get(word)
            if phrases:
                spaced = spaced or _spaced(words)
                for phrase, number in phrases:
                    if phrase in spaced:
                        found.add(number)
        # map() keeps the common case (no word starts like any keyword's start) in C.
        keys = self._start_keys.intersection(map(self._key, words))
        if keys:
            spaced = spaced or _spaced(words)
            for key in keys:
                for start, numbers in self._by_key[key]:
                    if start in spaced:
                        found.update(numbers)
        return found
