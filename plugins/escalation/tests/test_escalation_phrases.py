"""Whole-word phrase matching (content and manager-request triggers)."""

from __future__ import annotations

import pytest
from careline_escalation.defaults import CATEGORY_PHRASES, MANAGER_PHRASES
from careline_escalation.phrase_sets import PhraseSets
from careline_escalation.phrases import (
    ASCII_WORD_RUN,
    WORD_RUN,
    PhraseMatcher,
    fold,
    phrase_pattern,
    validate_phrase,
)
from hypothesis import given, settings
from hypothesis import strategies as st

words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüéñß", min_size=2, max_size=8)
separators = st.sampled_from([" ", "  ", "\n", "\t", " \u00a0"])
punctuation = st.sampled_from(["", ".", ",", "!", "?", ":", " — ", '"', "'", "("])


@settings(max_examples=150)
@given(
    phrase_words=st.lists(words, min_size=1, max_size=3),
    before=st.lists(words, max_size=4),
    after=st.lists(words, max_size=4),
    glue=separators,
    left=punctuation,
    right=punctuation,
    upper=st.booleans(),
)
def test_a_phrase_is_found_wherever_its_words_stand_alone(
    phrase_words: list[str],
    before: list[str],
    after: list[str],
    glue: str,
    left: str,
    right: str,
    upper: bool,
) -> None:
    phrase = " ".join(phrase_words)
    written = glue.join(phrase_words)
    written = written.upper() if upper else written
    text = " ".join([*before, left + written + right, *after])
    assert PhraseMatcher.compile([phrase]).find(text) == phrase


@settings(max_examples=150)
@given(word=words, prefix=words, suffix=words)
def test_a_word_inside_a_longer_word_does_not_match(word: str, prefix: str, suffix: str) -> None:
    matcher = PhraseMatcher.compile([word])
    assert matcher.find(prefix + word) is None
    assert matcher.find(word + suffix) is None
    assert matcher.find(prefix + word + suffix) is None


@settings(max_examples=100)
@given(stem=words, ending=words)
def test_a_trailing_star_matches_any_ending(stem: str, ending: str) -> None:
    matcher = PhraseMatcher.compile([stem + "*"])
    assert matcher.find(f"» {stem}{ending} 42") == stem + "*"
    assert matcher.find(f"» 0{stem}{ending} 42") is None  # "x" could start a stem too


def test_sue_is_not_found_in_issue_and_lawyer_star_finds_lawyers() -> None:
    legal = PhraseMatcher.compile(["sue you", "lawyer*"])
    assert legal.find("There is an issue with your app") is None
    assert legal.find("I will SUE YOU for this") == "sue you"
    assert legal.find("My lawyers are reading this thread.") == "lawyer*"


def test_case_folding_handles_sharp_s() -> None:
    assert PhraseMatcher.compile(["Straße"]).find("IN DER STRASSE") == "Straße"


@pytest.mark.parametrize(
    "text",
    [
        "I want to speak to your manager right now",
        "Get me a SUPERVISOR.",
        "Is there someone in charge I can speak to?",
        "Ich möchte Ihren Vorgesetzten sprechen!",
        "Je veux parler à un responsable.",
        "Quiero hablar con el gerente",
        "Voglio parlare con il responsabile",
        "Ik wil een leidinggevende spreken",
        "Quero falar com o responsável",
    ],
)
def test_default_manager_phrases_cover_several_languages(text: str) -> None:
    assert PhraseMatcher.compile(MANAGER_PHRASES).find(text) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, my order arrived and the manual was helpful",
        "Where is my parcel? Tracking says delivered.",
        "Love the new brand colours!",
        "Is there an issue with the app today?",
    ],
)
def test_everyday_care_messages_fire_no_default_phrase(text: str) -> None:
    for phrases in (*CATEGORY_PHRASES.values(), MANAGER_PHRASES):
        assert PhraseMatcher.compile(phrases).find(text) is None


@pytest.mark.parametrize("bad", ["", "   ", "*", "law*yer", "a * b"])
def test_phrases_that_cannot_match_sanely_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="phrase"):
        validate_phrase(bad)


@settings(max_examples=300)
@given(text=st.one_of(st.text(), st.text(alphabet=st.characters(max_codepoint=127))))
def test_folding_splits_any_text_into_its_unicode_word_runs(text: str) -> None:
    folded, words = fold(text)
    assert folded == text.casefold()
    assert list(words) == WORD_RUN.findall(folded)


def test_the_ascii_word_characters_are_the_unicode_ones() -> None:
    for code in range(128):
        assert bool(ASCII_WORD_RUN.match(chr(code))) == bool(WORD_RUN.match(chr(code)))


def first_match_by_scanning(phrases: list[str], text: str) -> str | None:
    """What the matcher must answer: every phrase's pattern tried in order, no shortcuts."""
    unique = list(dict.fromkeys(validate_phrase(p) for p in phrases))
    folded = text.casefold()
    return next((p for p in unique if phrase_pattern(p).search(folded)), None)


phrase_words = st.text(alphabet="abcßİ-#'.:(", min_size=1, max_size=5).filter(
    lambda word: word.strip("*")
)
phrase_texts = st.builds(
    " ".join,
    st.lists(
        st.one_of(phrase_words, st.builds(lambda w: w + "*", phrase_words)), min_size=1, max_size=3
    ),
)


@settings(max_examples=300)
@given(
    phrases=st.lists(phrase_texts, min_size=1, max_size=8),
    text=st.text(alphabet="abcABCSSßİi̇ \n-#'.:(", max_size=40),
)
def test_narrowing_by_words_finds_what_scanning_every_pattern_finds(
    phrases: list[str], text: str
) -> None:
    matcher = PhraseMatcher.compile(phrases)
    expected = first_match_by_scanning(phrases, text)
    assert matcher.find(text) == expected


@settings(max_examples=200)
@given(
    phrases=st.lists(
        st.sampled_from(sorted({*MANAGER_PHRASES, *CATEGORY_PHRASES["legal"]})),
        min_size=1,
        max_size=6,
    ),
    before=st.text(max_size=20),
    picked=st.integers(min_value=0),
    after=st.text(max_size=20),
)
def test_the_default_phrases_are_found_as_before_in_any_surroundings(
    phrases: list[str], before: str, picked: int, after: str
) -> None:
    text = f"{before} {phrases[picked % len(phrases)].replace('*', 'ers')} {after}"
    assert PhraseMatcher.compile(phrases).find(text) == first_match_by_scanning(phrases, text)


def first_match_of_each_set(sets: dict[str, list[str]], text: str) -> dict[str, str]:
    """What one index over several sets must answer: each set's own matcher, set by set."""
    found = {name: PhraseMatcher.compile(phrases).find(text) for name, phrases in sets.items()}
    assert found == {name: first_match_by_scanning(phrases, text) for name, phrases in sets.items()}
    return {name: phrase for name, phrase in found.items() if phrase is not None}


around = st.text(alphabet="abcABCSSßİi̇ \n-#'.:(", max_size=12)


@settings(max_examples=300)
@given(
    sets=st.dictionaries(
        st.sampled_from(["content:legal", "content:press", "manager_request"]),
        st.lists(phrase_texts, max_size=6),
        max_size=3,
    ),
    before=around,
    picked=st.integers(min_value=0),
    ending=st.text(alphabet="abcß-", max_size=3),
    upper=st.booleans(),
    after=around,
)
def test_one_index_over_several_sets_finds_what_each_set_finds(
    sets: dict[str, list[str]], before: str, picked: int, ending: str, upper: bool, after: str
) -> None:
    every = [phrase for phrases in sets.values() for phrase in phrases]
    said = every[picked % len(every)].replace("*", ending) if every else ""
    text = before + (said.upper() if upper else said) + after
    combined = PhraseSets.compile(sets)
    expected = first_match_of_each_set(sets, text)
    assert combined.find(text) == expected


@settings(max_examples=200)
@given(
    names=st.lists(st.sampled_from(sorted(CATEGORY_PHRASES)), unique=True, max_size=4),
    with_manager=st.booleans(),
    picked=st.lists(st.integers(min_value=0), min_size=1, max_size=3),
    glue=st.text(max_size=12),
)
def test_the_default_sets_together_find_what_each_finds_alone(
    names: list[str], with_manager: bool, picked: list[int], glue: str
) -> None:
    sets = {name: list(CATEGORY_PHRASES[name]) for name in names}
    if with_manager:
        sets["manager_request"] = list(MANAGER_PHRASES)
    every = sorted({*MANAGER_PHRASES, *(p for ps in CATEGORY_PHRASES.values() for p in ps)})
    said = [every[n % len(every)].replace("*", "ers") for n in picked]
    text = glue.join(["", *said, ""])
    assert PhraseSets.compile(sets).find(text) == first_match_of_each_set(sets, text)
