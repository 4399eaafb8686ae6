"""The keyword index and the topic classifier built on it answer exactly what the
straightforward algorithm does: split the text into words and compare every keyword at every
position."""

from __future__ import annotations

import functools
import re

from careline_insights.config import InsightsConfig
from careline_insights.keywords import KeywordIndex, tokens
from careline_insights.topics import (
    TopicClassifier,
    TopicRule,
    build_topic_classifier,
    effective_topic_rules,
)
from hypothesis import given, settings
from hypothesis import strategies as st

# --- the reference: words by one regular expression, every keyword tried at every word -------
REFERENCE_WORD = re.compile(r"\w+(?:'\w+)*")
REFERENCE_APOSTROPHES = str.maketrans({"’": "'", "ʼ": "'", "`": "'"})


def reference_tokens(text: str) -> list[str]:
    return REFERENCE_WORD.findall(text.translate(REFERENCE_APOSTROPHES).casefold())


def reference_occurs(keyword: str, text: str) -> bool:
    is_start = keyword.rstrip().endswith("*")
    parts = reference_tokens(keyword.rstrip().rstrip("*"))
    if not parts:
        return keyword.strip().casefold() in text.casefold()
    words = reference_tokens(text)
    *leading, last = parts
    for position in range(len(words) - len(parts) + 1):
        window = words[position : position + len(parts)]
        if window[:-1] == leading and (
            window[-1].startswith(last) if is_start else window[-1] == last
        ):
            return True
    return False


def reference_keywords(rule: TopicRule, language: str | None) -> set[str]:
    keywords = set(rule.keywords)
    for code, words in rule.keywords_by_language.items():
        if language is None or code == language:
            keywords.update(words)
    return keywords


def reference_explain(
    rules: list[TopicRule], text: str, language: str | None
) -> dict[str, list[str]]:
    reasons: dict[str, list[str]] = {}
    for rule in rules:
        matched = sorted(k for k in reference_keywords(rule, language) if reference_occurs(k, text))
        matched += [f"/{p}/" for p in rule.patterns if re.search(p, text)]
        if matched:
            reasons[rule.name] = matched
    return reasons


def reference_classify(
    rules: list[TopicRule], text: str, language: str | None, max_topics: int = 5
) -> list[tuple[str, float]]:
    reasons = reference_explain(rules, text, language)
    scored = []
    for number, rule in enumerate(rules):
        if rule.name in reasons:
            hits = len(reasons[rule.name])
            scored.append((round(min(1.0, rule.weight * (1 - 0.5**hits)), 4), number))
    scored.sort(key=lambda entry: (-entry[0], entry[1]))
    return [(rules[number].name, score) for score, number in scored[:max_topics]]


# --- texts built from the keywords --------------------------------------------------------------
@functools.cache
def default_rules() -> list[TopicRule]:
    return effective_topic_rules(InsightsConfig())


@functools.cache
def default_classifier() -> TopicClassifier:
    return build_topic_classifier(InsightsConfig())


def _default_keywords() -> list[str]:
    keywords: set[str] = set()
    for rule in default_rules():
        keywords.update(rule.keywords)
        for words in rule.keywords_by_language.values():
            keywords.update(words)
    return sorted(keywords)


DEFAULT_KEYWORDS = _default_keywords()
LANGUAGES = st.sampled_from([None, "en", "de", "fr", "es", "nl", "ja"])
SEPARATORS = st.sampled_from(
    [" ", "  ", "\n", "\t", "-", ", ", ".", "!", "?", "'", "’", "ʼ", "`", "''", "@", "#", "/",
     "…", "«", "»", "_", "😡", "❤️", " $5 ", "12 €", "\u00a0", ""]
)  # fmt: skip
ODD_WORDS = st.sampled_from(
    ["ŉ", "ß", "STRASSE", "İ", "ﬁ", "ǅ", "Σ", "ς", "café", "CAFÉ", "x²", "٣", "i'm", "I’M",
     "don't", "'quoted'", "dogs'", "o''clock", "ok", "ß'ß", "😍", "❤", "2fa", "wi-fi"]
)  # fmt: skip


def _cased(word: str, case: int) -> str:
    return [word, word.upper(), word.title(), word.swapcase()][case]


def _keyword_text(keyword: str, case: int, ending: str) -> str:
    # A keyword as a customer would write it: a start keyword with an ending, any case.
    text = keyword.rstrip().rstrip("*") + ending if keyword.rstrip().endswith("*") else keyword
    return _cased(text, case)


def texts_from(keywords: list[str]) -> st.SearchStrategy[str]:
    piece = st.one_of(
        st.builds(
            _keyword_text,
            st.sampled_from(keywords),
            st.integers(0, 3),
            st.sampled_from(["", "s", "ed", "ing", "'s", "-x"]),
        ),
        st.sampled_from(keywords),
        st.builds(
            _cased,
            st.sampled_from(keywords).map(lambda k: k.split()[0] if k.split() else k),
            st.integers(0, 3),
        ),
        ODD_WORDS,
        st.text(max_size=6),
    )
    return st.lists(st.tuples(piece, SEPARATORS), max_size=14).map(
        lambda pairs: "".join(word + separator for word, separator in pairs)
    )


@given(texts_from(DEFAULT_KEYWORDS), LANGUAGES)
@settings(max_examples=500, deadline=None)
def test_default_topics_are_what_the_reference_finds(text: str, language: str | None) -> None:
    classifier = default_classifier()
    assert classifier.classify(text, language) == reference_classify(
        default_rules(), text, language
    )
    assert classifier.explain(text, language) == reference_explain(default_rules(), text, language)


# Small alphabets make keywords that collide: one keyword's start is another's word, the same
# keyword stands in two topics, a phrase's word is a keyword of its own.
small_words = st.text(alphabet="abcßŉ'’-", min_size=1, max_size=4)
small_keywords = st.one_of(
    st.builds(
        lambda words, star: " ".join(words) + ("*" if star else ""),
        st.lists(small_words, min_size=1, max_size=3),
        st.booleans(),
    ),
    st.sampled_from(["😡", "❤️", ":-(", "$$", "a-b", "A'B", "b*", "ab **", "-*"]),
).filter(lambda keyword: keyword.strip(" *"))
small_rules = st.lists(
    st.builds(
        lambda number, keywords, german, weight: TopicRule(
            name=f"t{number}",
            keywords=tuple(keywords),
            keywords_by_language={"de": tuple(german)},
            weight=weight,
        ),
        st.integers(0, 5),
        st.lists(small_keywords, max_size=5),
        st.lists(small_keywords, max_size=3),
        st.sampled_from([0.5, 1.0, 1.5]),
    ),
    min_size=1,
    max_size=4,
    unique_by=lambda rule: rule.name,
)
small_texts = st.lists(
    st.tuples(
        st.one_of(small_words, small_keywords, st.text(alphabet="abcABCßŉ'’ʼ`-😡❤️ ", max_size=8)),
        st.sampled_from([" ", "", "-", "'", ".", "\n", "😡"]),
    ),
    max_size=10,
).map(lambda pairs: "".join(word + separator for word, separator in pairs))


@given(small_rules, small_texts, st.sampled_from([None, "en", "de"]), st.integers(1, 5))
@settings(max_examples=500, deadline=None)
def test_colliding_keywords_are_what_the_reference_finds(
    rules: list[TopicRule], text: str, language: str | None, max_topics: int
) -> None:
    classifier = TopicClassifier(rules, max_topics=max_topics)
    assert classifier.classify(text, language) == reference_classify(
        rules, text, language, max_topics
    )
    assert classifier.explain(text, language) == reference_explain(rules, text, language)


@given(st.lists(small_keywords, max_size=8), small_texts)
@settings(max_examples=300, deadline=None)
def test_the_index_names_every_occurring_keyword(keywords: list[str], text: str) -> None:
    expected = {
        number for number, keyword in enumerate(keywords) if reference_occurs(keyword, text)
    }
    assert KeywordIndex(keywords).matches(text) == expected


@given(st.one_of(st.text(max_size=200), texts_from(DEFAULT_KEYWORDS), small_texts))
@settings(max_examples=500, deadline=None)
def test_tokens_are_the_reference_words(text: str) -> None:
    assert tokens(text) == reference_tokens(text)


def test_tokens_examples() -> None:
    assert tokens("'quoted' dogs' o''clock it's") == ["quoted", "dogs", "o", "clock", "it's"]
    assert tokens("ŉ café wi-fi") == ["ʼn", "café", "wi", "fi"]
