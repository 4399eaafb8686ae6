"""The fast scorer (``vader_fast``) gives vaderSentiment's own compound score, bit for bit."""

from __future__ import annotations

import importlib.util
import itertools
import json
import math
from collections.abc import Callable
from pathlib import Path

import pytest
from careline_insights.sentiment import EMOJI_WORDS, analyzer, score_sentiment, scorer
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SPECIAL_CASES

ROOT = Path(__file__).resolve().parents[3]
DATA = ROOT / ".." / "shared" / "data" / "twitter-customer-care"


def assert_same_score(text: str) -> None:
    expected = analyzer().polarity_scores(text)["compound"]
    actual = scorer().compound(text)
    assert type(actual) is type(expected), text
    assert actual == expected, text
    assert math.copysign(1.0, actual) == math.copysign(1.0, expected), text  # -0.0 is not 0.0


LEXICON = sorted(analyzer().lexicon)
EMOJI = sorted(analyzer().emojis)  # one character each or sequences (VADER matches the former)
# The words VADER's rules look for, alone and in the phrases they look for.
QUIRK_WORDS = ["but", "kind", "of", "least", "at least", "very least", "the least", "at", "very"]
QUIRK_WORDS += ["never so", "never this", "never", "so", "this", "never so very", "never this much"]
QUIRK_WORDS += ["without doubt", "without a doubt", "without", "doubt", "no", "or", "nor", "not"]
QUIRK_WORDS += ["isn't", "n't", "the", "to", "for", "ok or", "no way nor"]
QUIRK_WORDS += [key for key in (*SPECIAL_CASES, *BOOSTER_DICT) if " " in key]
RULE_WORDS = [
    *BOOSTER_DICT,
    *NEGATE,
    *SPECIAL_CASES,
    *(w for k in SPECIAL_CASES for w in k.split()),
]
EMOTICONS = [":)", ":(", ":D", ":-)", ":-(", ";)", "<3", ":P", ":/", "xD", ":'("]
# A few lexicon words, drawn often: equal scores meet (VADER's "but" finds scores by value) and
# idioms form ("the shit", "kiss of death", "bad ass").
FEW_WORDS = ["good", "bad", "great", "love", "hate", "no", "kind", "shit", "bomb", "ass", "heart"]
FEW_WORDS += ["death", "die", "kiss", "stop", "right", "yeah", "doubt", "like", "lol", "ok"]


def half_words(words: list[str]) -> dict[str, str]:
    """A word → the shortest lexicon word scoring half as much, where there is one."""
    lexicon = analyzer().lexicon
    by_score: dict[float, str] = {}
    for word, score in sorted(lexicon.items(), key=lambda item: (-len(item[0]), item)):
        if word.isalpha():
            by_score[score] = word
    return {w: by_score[lexicon[w] / 2] for w in words if lexicon.get(w, 0.1) / 2 in by_score}


# ... and words scoring half as much: "but" halves the scores before it, so such a word after it
# finds the halved earlier score first and changes that one instead of itself.
HALVES = half_words(FEW_WORDS)
FEW_WORDS += HALVES.values()
PUNCTUATION = ["", "", "", "", "", "", "!", "?", "!!!", "??", "?!", ".", ",", "...", "'", "("]
CASES: list[Callable[[str], str]] = [str, str, str, str, str.upper, str.title]
SEPARATORS = [" ", " ", " ", " ", " ", " ", "", "  ", "\n", "\t", "\u00a0", " - "]
# How a word is written: punctuation before, case, punctuation after, what follows it.
DECORATIONS = list(itertools.product(PUNCTUATION, CASES, PUNCTUATION, SEPARATORS))
decoration = st.integers(min_value=0, max_value=len(DECORATIONS) - 1)
repeat = st.sampled_from([False, False, False, True])
TEXT_CASES: list[Callable[[str], str]] = [str, str, str.upper, str.lower]

any_word = st.one_of(
    st.sampled_from(QUIRK_WORDS),
    st.sampled_from(QUIRK_WORDS),
    st.sampled_from(RULE_WORDS),
    st.sampled_from(FEW_WORDS),
    st.sampled_from(FEW_WORDS),
    st.sampled_from(LEXICON),
    st.sampled_from(EMOTICONS),
    st.sampled_from(sorted(EMOJI_WORDS)),
    st.sampled_from(EMOJI),
    st.text(max_size=6),
)


@st.composite
def texts(draw: st.DrawFn) -> str:
    text = draw(st.sampled_from(["", "", " ", "  \n"]))
    words: list[str] = []
    for _ in range(draw(st.integers(min_value=0, max_value=25))):
        # Words come back: equal scores meet, which VADER's "but" handles by value.
        if draw(repeat) and words:
            word = draw(st.sampled_from(words))
        else:
            word = draw(any_word)
            words.append(word)
        before, case, after, separator = DECORATIONS[draw(decoration)]
        text += before + case(word) + after + separator
    text += draw(st.sampled_from(["", "", "!", "?", "!!!!!", " "]))
    return draw(st.sampled_from(TEXT_CASES))(text)  # all in capitals: no word stands out


# The library's own examples, and rules whose quirks are easy to get wrong.
EXAMPLES = [
    "",
    "   ",
    "VADER is smart, handsome, and funny.",
    "VADER is smart, handsome, and funny!",
    "VADER is very smart, handsome, and funny.",
    "VADER is VERY SMART, handsome, and FUNNY.",
    "VADER is VERY SMART, uber handsome, and FRIGGIN FUNNY!!!",
    "VADER is not smart, handsome, nor funny.",
    "At least it isn't a horrible book.",
    "The book was only kind of good.",
    "The plot was good, but the characters are uncompelling and the dialog is not great.",
    "Today SUX!",
    "Today only kinda sux! But I'll get by, lol",
    "Make sure you :) or :D today!",
    "Catch utf-8 emoji such as 💘 and 💋 and 😁",
    "Not bad at all",
    "Sentiment analysis has never been this good!",
    "With VADER, sentiment analysis is the shit!",
    "On the other hand, VADER is quite bad ass",
    "Without a doubt, excellent idea.",
    "Roger Dodger is one of the least compelling variations on this theme.",
    "Roger Dodger is at least compelling as a variation on the theme.",
    "good good but good good",
    "I love it but jw",  # "but" finds jw's score (1.6) in the halved love (3.2): that one halves
    "great good but bad good great",
    "good bad but",
    "but",
    "no good",
    "it is NO problem",  # "no" before a lexicon word scores 0.0, in capitals -0.733
    "no no no good",
    "no problem or worries",
    "the kiss of death it was",
    "it is to die for",
    "yeah right that was good",
    "kind of",
    "sort of good kind of bad",
    "I was never so happy",
    "I am so so happy",
    "least",
    "very least good",
    "GOOD",
    "GOOD bad",
    "VERY good",
    "good VERY",
    "not VERY good",
    "😀",
    "a😀b",
    "😀😀 😀",
    "🔛 go",  # the description "ON! arrow" brings its own exclamation mark
    "🔛 great",
    "💔💔",
    "my parcel is lost 😡😡",
    "❤️",
    "\u00a0good\u00a0",
    "good\x1cbad",
    "ΣΑΣ good",
    "İ love it",
    "good" * 3 + "!" * 10 + "?" * 10,
]


@pytest.mark.parametrize("text", EXAMPLES)
def test_examples_score_like_the_library(text: str) -> None:
    assert_same_score(text)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts())
@example("no good but good good")
def test_texts_built_from_vader_rules_score_like_the_library(text: str) -> None:
    assert_same_score(text)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*HALVES, *HALVES.values(), "but", "but", "x", "very", "not"]), max_size=12
    )
)
def test_scores_around_but_like_the_library(words: list[str]) -> None:
    assert_same_score(" ".join(words))


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_any_text_scores_like_the_library(text: str) -> None:
    assert_same_score(text)


def test_score_sentiment_uses_the_library_score() -> None:
    for text in EXAMPLES:
        assert score_sentiment(text).score == analyzer().polarity_scores(text)["compound"]


def test_the_benchmark_corpus_scores_like_the_library() -> None:
    spec = importlib.util.spec_from_file_location("bench_corpus", ROOT / "bench" / "corpus.py")
    assert spec is not None and spec.loader is not None
    corpus = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(corpus)
    corpus_texts, _ = corpus.customer_texts()
    assert len(corpus_texts) > 1000
    for text in corpus_texts:
        assert_same_score(text)


def test_real_care_tweets_score_like_the_library() -> None:
    if not DATA.is_dir():
        pytest.skip(
            f"real care texts not found at {DATA.resolve()} (shared/data is beside CI's checkout)"
        )
    messages: list[str] = []
    for name in ("dev.json", "test.json"):
        for dialog in json.loads((DATA / name).read_text(encoding="utf-8")):
            messages.extend(turn["message"] for turn in dialog["dialogContent"])
            messages.append(dialog["agentURL"]["url_utterance"])
    assert len(messages) > 2000
    for text in messages:  # the customers' turns and the brands'
        assert_same_score(text)
