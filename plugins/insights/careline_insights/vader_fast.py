"""VADER's compound score, computed faster than ``SentimentIntensityAnalyzer.polarity_scores``.

This module re-expresses the compound score of ``polarity_scores`` from vaderSentiment 3.3.2
(C.J. Hutto, MIT licence, https://github.com/cjhutto/vaderSentiment) with per-message
precomputation: emoji are looked for only in non-ASCII text and replaced with ``str.replace``,
every token is stripped and lower-cased once (and remembered), and the rules read that one list
instead of lower-casing the whole message again for each lexicon word. All data — the lexicon,
the emoji map, ``BOOSTER_DICT``, ``NEGATE``, ``SPECIAL_CASES`` and the constants — comes from
vaderSentiment itself, and its own functions do the parts that are not hot (stripping a new
token, boosters, idioms, punctuation emphasis, normalisation). VADER's quirks and bugs are kept
on purpose — "but" finding scores by value, the precedence of "never so"/"so" three words back,
a description glued to the word after its emoji, and the like. The tests in
``plugins/insights/tests/test_insights_sentiment_parity.py`` hold the result equal, bit for bit,
to the library's ``polarity_scores(text)["compound"]``.
"""

from __future__ import annotations

import re
from typing import Any

from vaderSentiment.vaderSentiment import (
    BOOSTER_DICT,
    C_INCR,
    N_SCALAR,
    NEGATE,
    SPECIAL_CASES,
    SentimentIntensityAnalyzer,
    SentiText,
    normalize,
    scalar_inc_dec,
)

# Tokens remembered with their word; past this many, a new token's word is computed each time.
_CACHE_LIMIT = 100_000

_NEGATE = frozenset(NEGATE)
_SO_THIS = ("so", "this")
_OR_NOR = ("or", "nor")
# The words of the multi-word special cases and boosters ("the shit", "kind of"): VADER's idiom
# check can only change a score with one of them near the scored word.
_IDIOM_WORDS = frozenset(
    word for key in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in key for word in key.split(" ")
)
_special_idioms_check = SentimentIntensityAnalyzer._special_idioms_check


class _Words(dict[str, str]):
    """A whitespace-separated token → the word VADER reads in it (punctuation stripped unless
    that leaves two characters or fewer), lower-cased."""

    __slots__ = ()

    def __missing__(self, token: str) -> str:
        word: str = SentiText._strip_punc_if_word(token).lower()
        if len(self) < _CACHE_LIMIT:
            self[token] = word
        return word


class FastVader:
    """VADER's compound score with an analyzer's lexicon and emoji map (the emoji read once)."""

    def __init__(self, analyzer: Any) -> None:
        self._analyzer = analyzer
        self._lexicon: dict[str, float] = analyzer.lexicon
        # The words that can score: a booster counts 0 even where the lexicon has it.
        self._scoring = frozenset(self._lexicon).difference(BOOSTER_DICT)
        self._words = _Words()
        # VADER looks emoji up one character at a time, so only one-character keys ever match.
        # It puts a space before a description unless the emoji starts the text or follows a
        # space; a space too many changes nothing, since only the whitespace-split words and
        # the number of "!" and "?" are read afterwards.
        self._emoji = {key: " " + text for key, text in analyzer.emojis.items() if len(key) == 1}
        self._emoji_chars = frozenset(self._emoji)
        self._emoji_table = {ord(key): text for key, text in self._emoji.items()}
        # When no description holds an emoji, each emoji found can be replaced on its own.
        self._replace_each = all(
            self._emoji_chars.isdisjoint(text) for text in self._emoji.values()
        )
        # A cheap first look: the emoji below U+2000 one by one, then everything from U+2000 on.
        low = "".join(sorted(key for key in self._emoji if key < "\u2000"))
        self._maybe_emoji = re.compile(f"[{re.escape(low)}\u2000-\U0010ffff]").search
        self._ascii_has_emoji = any(key.isascii() for key in self._emoji)

    def compound(self, text: str) -> float:
        """Equal to ``analyzer.polarity_scores(text)["compound"]``."""
        if (self._ascii_has_emoji or not text.isascii()) and self._maybe_emoji(text):
            text = self._replace_emoji(text)
        tokens = text.split()
        lowers = list(map(self._words.__getitem__, tokens))
        scoring = self._scoring.intersection(lowers)
        if not scoring:
            return 0.0  # every word scores 0, or there is none: so does VADER's compound
        count = len(tokens)
        # Some words, not all, in ALL CAPS. Stripping ASCII punctuation never changes
        # str.isupper(), so the tokens answer for the words.
        capitals = sum(map(str.isupper, tokens))
        cap_diff = 0 < capitals < count
        lexicon = self._lexicon
        sentiments: list[Any] = [0] * count
        for i, word in enumerate(lowers):
            if word in scoring and not (word == "kind" and i < count - 1 and lowers[i + 1] == "of"):
                sentiments[i] = _valence(lexicon, i, word, tokens, lowers, cap_diff)
        if "but" in lowers:
            _but_check(sentiments, lowers.index("but"))
        total = float(sum(sentiments))
        if total > 0:
            total += self._analyzer._punctuation_emphasis(text)
        elif total < 0:
            total -= self._analyzer._punctuation_emphasis(text)
        return round(normalize(total), 4)

    def _replace_emoji(self, text: str) -> str:
        """The text with each emoji VADER knows replaced by a space and its description."""
        found = self._emoji_chars.intersection(text)
        if not found:
            return text
        if not self._replace_each:
            return text.translate(self._emoji_table)
        for char in found:
            text = text.replace(char, self._emoji[char])
        return text


def _valence(
    lexicon: dict[str, float],
    i: int,
    word: str,
    tokens: list[str],
    lowers: list[str],
    cap_diff: bool,
) -> Any:
    """``SentimentIntensityAnalyzer.sentiment_valence`` for the lexicon word at ``i``, with its
    ``_negation_check``, ``_special_idioms_check`` and ``_least_check``."""
    valence: Any = lexicon[word]
    # "no" before another lexicon word negates that word instead of counting itself.
    if word == "no" and i != len(lowers) - 1 and lowers[i + 1] in lexicon:
        valence = 0.0
    if (
        (i > 0 and lowers[i - 1] == "no")
        or (i > 1 and lowers[i - 2] == "no")
        or (i > 2 and lowers[i - 3] == "no" and lowers[i - 1] in _OR_NOR)
    ):
        valence = lexicon[word] * N_SCALAR
    if cap_diff and tokens[i].isupper():
        if valence > 0:
            valence += C_INCR
        else:
            valence -= C_INCR
    # The three words before, nearest first, unless they are lexicon words themselves: each
    # adds its booster scalar (0.0 for other words, added all the same) and may negate.
    if i > 0:
        one = lowers[i - 1]
        if one not in lexicon:
            scalar = _scalar(tokens[i - 1], one, valence, cap_diff)
            valence = valence + scalar
            if one in _NEGATE or "n't" in one:
                valence = valence * N_SCALAR
        if i > 1:
            two = lowers[i - 2]
            if two not in lexicon:
                scalar = _scalar(tokens[i - 2], two, valence, cap_diff)
                if scalar != 0:
                    scalar = scalar * 0.95
                valence = valence + scalar
                if two == "never" and one in _SO_THIS:
                    valence = valence * 1.25
                elif two == "without" and one == "doubt":
                    pass
                elif two in _NEGATE or "n't" in two:
                    valence = valence * N_SCALAR
            if i > 2:
                three = lowers[i - 3]
                if three not in lexicon:
                    scalar = _scalar(tokens[i - 3], three, valence, cap_diff)
                    if scalar != 0:
                        scalar = scalar * 0.9
                    valence = valence + scalar
                    # VADER's precedence: (never, then so/this) or (so/this just before).
                    if (three == "never" and two in _SO_THIS) or one in _SO_THIS:
                        valence = valence * 1.25
                    elif three == "without" and (two == "doubt" or one == "doubt"):
                        pass
                    elif three in _NEGATE or "n't" in three:
                        valence = valence * N_SCALAR
                    # Every word the idiom check reads, with this one at 3.
                    window = lowers[i - 3 : i + 3]
                    if not _IDIOM_WORDS.isdisjoint(window):
                        valence = _special_idioms_check(valence, window, 3)
    # "least" just before negates, except in "at least" and "very least".
    if (
        i > 0
        and lowers[i - 1] == "least"
        and "least" not in lexicon
        and (i == 1 or (lowers[i - 2] != "at" and lowers[i - 2] != "very"))
    ):
        valence = valence * N_SCALAR
    return valence


def _scalar(token: str, lower: str, valence: Any, cap_diff: bool) -> Any:
    """VADER's ``scalar_inc_dec`` for a word before a lexicon word: 0.0 unless it boosts."""
    if lower not in BOOSTER_DICT:
        return 0.0
    return scalar_inc_dec(SentiText._strip_punc_if_word(token), valence, cap_diff)


def _but_check(sentiments: list[Any], but: int) -> None:
    """``SentimentIntensityAnalyzer._but_check`` in place: the scores before the first "but" are
    halved, the ones after it multiplied by 1.5.

    VADER finds each score again with ``sentiments.index(score)``, so a score equal to an
    earlier one — or to what an earlier one has become — changes that earlier entry instead
    (twice), and itself not at all. The replay keeps this. Zeros only ever find zeros and stay
    zero, and zeros change no sum, so only the non-zero scores are replayed.
    """
    scored = [k for k, sentiment in enumerate(sentiments) if sentiment != 0]
    for k in scored:
        sentiment = sentiments[k]  # unchanged so far: a step changes no entry after its own
        first = next(j for j in scored if sentiments[j] == sentiment)
        if first < but:
            sentiments[first] = sentiment * 0.5
        elif first > but:
            sentiments[first] = sentiment * 1.5
