"""Sentiment: VADER's compound score and label on care messages, emoji included."""

from __future__ import annotations

import pytest
from careline_insights.config import InsightsConfig
from careline_insights.enrich import Enricher
from careline_insights.sentiment import score_sentiment, sentiment_label
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.mark.parametrize(
    "text",
    [
        "Thank you so much, you guys are amazing!",
        "Great service, the refund arrived in a day 👍",
        "love the new app ❤️",
        "Problem solved, thanks a lot for your help :)",
    ],
)
def test_obviously_positive_messages(text: str) -> None:
    assert score_sentiment(text).label == "positive"


@pytest.mark.parametrize(
    "text",
    [
        "Worst customer service ever. Never again.",
        "This is ridiculous, I have waited 3 weeks and still nothing",
        "my parcel is lost 😡😡",
        "Terrible. Absolutely terrible.",
    ],
)
def test_obviously_negative_messages(text: str) -> None:
    assert score_sentiment(text).label == "negative"


@pytest.mark.parametrize(
    "text", ["What time does the store open on Saturday?", "Is the store open on Sunday?"]
)
def test_plain_questions_are_neutral(text: str) -> None:
    assert score_sentiment(text).label == "neutral"


@pytest.mark.parametrize(
    ("emoji", "label"),
    [
        ("😡", "negative"),
        ("👎", "negative"),
        ("💔", "negative"),
        ("👍", "positive"),
        ("🙌", "positive"),
    ],
)
def test_care_emoji_carry_their_sentiment(emoji: str, label: str) -> None:
    assert score_sentiment(f"{emoji}{emoji}").label == label


def test_thresholds_are_configurable() -> None:
    strict = Enricher(InsightsConfig(positive_threshold=0.5, negative_threshold=-0.5))
    lenient = Enricher(InsightsConfig())
    text = "Where is my parcel? Tracking number 12345"  # VADER: +0.08
    assert lenient.enrich_text(text, "en").sentiment_label == "positive"
    assert strict.enrich_text(text, "en").sentiment_label == "neutral"


def test_only_configured_languages_get_a_score() -> None:
    enricher = Enricher(InsightsConfig())
    assert enricher.enrich_text("Das ist eine Katastrophe", "de").sentiment is None
    assert enricher.enrich_text("This is a disaster", "en").sentiment is not None
    everywhere = Enricher(InsightsConfig(sentiment_languages=["*"]))
    assert everywhere.enrich_text("Super Service!", "de").sentiment_label == "positive"


@given(
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=-1, max_value=1),
    st.floats(min_value=-1, max_value=1),
)
def test_labels_follow_the_thresholds(score: float, a: float, b: float) -> None:
    negative, positive = sorted((a, b))
    label = sentiment_label(score, positive_threshold=positive, negative_threshold=negative)
    if score >= positive:
        assert label == "positive"
    elif score <= negative:
        assert label == "negative"
    else:
        assert label == "neutral"


@settings(deadline=None)
@given(st.text(max_size=300))
def test_scores_stay_within_minus_one_and_one(text: str) -> None:
    assert -1 <= score_sentiment(text).score <= 1
