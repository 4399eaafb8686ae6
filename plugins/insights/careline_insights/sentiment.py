"""Sentiment of a message: VADER's compound score and a negative/neutral/positive label."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

from careline_insights.vader_fast import FastVader

NEGATIVE = "negative"
NEUTRAL = "neutral"
POSITIVE = "positive"

# VADER replaces an emoji by its description before scoring; for these common care emoji the
# description carries no sentiment ("pouting face", "thumbs down") or the wrong one
# ("broken heart" scores positive), so they stand for a word VADER knows instead.
EMOJI_WORDS = {
    "😡": "furious",
    "🤬": "furious",
    "😤": "annoyed",
    "😒": "annoyed",
    "🙄": "annoyed",
    "🤦": "ugh",
    "👎": "bad",
    "💔": "heartbroken",
    "💩": "crap",
    "🤮": "disgusting",
    "👍": "good",
    "👏": "applause",
    "🙌": "yay",
    "💯": "excellent",
}


@dataclass(frozen=True, slots=True)
class Sentiment:
    """A compound score in [-1, 1] and its label."""

    score: float
    label: str


@functools.cache
def analyzer() -> SentimentIntensityAnalyzer:
    """The process's one VADER analyzer: building it reads the lexicon (tens of ms)."""
    instance = SentimentIntensityAnalyzer()
    instance.emojis.update(EMOJI_WORDS)
    return instance


@functools.cache
def scorer() -> FastVader:
    """The process's one fast scorer: VADER's compound score, equal to ``analyzer()``'s to the
    bit, in about a fifth of the time (see ``vader_fast``)."""
    return FastVader(analyzer())


def sentiment_label(score: float, *, positive_threshold: float, negative_threshold: float) -> str:
    """``positive`` at or above the positive threshold, ``negative`` at or below the negative
    one, else ``neutral`` (VADER's own convention with thresholds ±0.05)."""
    if score >= positive_threshold:
        return POSITIVE
    if score <= negative_threshold:
        return NEGATIVE
    return NEUTRAL


def score_sentiment(
    text: str, *, positive_threshold: float = 0.05, negative_threshold: float = -0.05
) -> Sentiment:
    """Score ``text`` with VADER (English lexicon, emoji, emoticons, negation, ALL CAPS)."""
    score = scorer().compound(text)
    label = sentiment_label(
        score, positive_threshold=positive_threshold, negative_threshold=negative_threshold
    )
    return Sentiment(score=score, label=label)
