"""Language: the platform's tag, else py3langid restricted to the configured languages."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from careline_insights.config import DEFAULT_LANGUAGES
from careline_insights.language import (
    SUPPORTED_LANGUAGES,
    LanguageDetector,
    normalise_language_tag,
    text_for_detection,
)
from hypothesis import given, settings
from hypothesis import strategies as st

ALL_SAMPLES = json.loads((Path(__file__).parent / "language_samples.json").read_text("utf-8"))
# Short care texts in the eight default languages, and a few in languages not listed.
SAMPLES = [sample for sample in ALL_SAMPLES if sample["language"] in DEFAULT_LANGUAGES]
UNLISTED = [sample for sample in ALL_SAMPLES if sample["language"] not in DEFAULT_LANGUAGES]


def test_the_labelled_set_covers_the_default_languages() -> None:
    assert {sample["language"] for sample in SAMPLES} == set(DEFAULT_LANGUAGES)
    assert len(SAMPLES) >= 100
    assert len({sample["language"] for sample in UNLISTED}) >= 8


def test_short_care_texts_are_recognised_in_eight_languages() -> None:
    detector = LanguageDetector(DEFAULT_LANGUAGES)
    answers = [detector.detect(sample["text"]) for sample in SAMPLES]
    right = sum(
        1 for s, a in zip(SAMPLES, answers, strict=True) if a and a.language == s["language"]
    )
    wrong = sum(
        1 for s, a in zip(SAMPLES, answers, strict=True) if a and a.language != s["language"]
    )
    assert right / len(SAMPLES) >= 0.95
    assert wrong <= 1


def test_without_a_confidence_floor_every_sample_gets_an_answer() -> None:
    detector = LanguageDetector(DEFAULT_LANGUAGES, min_confidence=0.0)
    assert all(detector.detect(sample["text"]) for sample in SAMPLES)


def test_text_too_short_or_without_letters_is_undetermined() -> None:
    detector = LanguageDetector(DEFAULT_LANGUAGES)
    assert detector.detect("@AcmeHelp 😡😡 https://t.co/xyz 12345") is None
    assert detector.detect("ok") is None


def test_handles_links_and_digits_do_not_sway_detection() -> None:
    detector = LanguageDetector(["en", "de"])
    text = "@DeutscheBahnHilfe @AcmeGmbH https://example.de/bestellung/123 my train never came"
    answer = detector.detect(text)
    assert answer is not None and answer.language == "en"
    assert "@" not in text_for_detection(text)


def test_messages_in_unlisted_languages_mostly_stay_unknown() -> None:
    detector = LanguageDetector(DEFAULT_LANGUAGES)
    attributed = [s["text"] for s in UNLISTED if detector.detect(s["text"]) is not None]
    assert len(attributed) <= 2, attributed


def test_without_the_unlisted_check_the_nearest_listed_language_is_forced() -> None:
    text = "min beställning har fortfarande inte kommit"
    assert LanguageDetector(["en", "de"]).detect(text) is None
    forced = LanguageDetector(["en", "de"], min_confidence=0.0, unlisted_confidence=1.0)
    answer = forced.detect(text)
    assert answer is not None and answer.language in {"en", "de"}


def test_a_single_listed_language_answers_unless_clearly_another() -> None:
    dutch = LanguageDetector(["nl"])
    answer = dutch.detect("mijn pakket is nog steeds niet bezorgd")
    assert answer is not None and answer.language == "nl"
    assert dutch.detect("my parcel has still not been delivered, where is it?") is None


def test_unknown_languages_are_refused() -> None:
    with pytest.raises(ValueError, match="xx"):
        LanguageDetector(["en", "xx"])


def test_the_supported_list_matches_the_shipped_model() -> None:
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    model = LanguageIdentifier.from_model_file(MODEL_FILE)
    assert set(model.labels) == SUPPORTED_LANGUAGES


@pytest.mark.parametrize(
    ("tag", "language"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("en-GB", "en"),
        ("pt_BR", "pt"),
        ("in", "id"),
        ("iw", "he"),
        ("und", None),
        ("qme", None),
        ("zxx", None),
        ("", None),
        (None, None),
        ("x-klingon", None),
    ],
)
def test_platform_tags_are_normalised(tag: str | None, language: str | None) -> None:
    assert normalise_language_tag(tag) == language


@given(st.one_of(st.none(), st.text(max_size=20)))
def test_normalised_tags_are_lower_case_codes_or_none(tag: str | None) -> None:
    language = normalise_language_tag(tag)
    assert language is None or (language.isalpha() and language.islower() and len(language) <= 3)


@given(st.text(max_size=300))
@settings(max_examples=150, deadline=None)
def test_detection_never_raises_on_arbitrary_unicode(text: str) -> None:
    answer = LanguageDetector(DEFAULT_LANGUAGES).detect(text)
    assert answer is None or (answer.language in DEFAULT_LANGUAGES and 0 < answer.confidence <= 1)
