"""Topic rules: the defaults in several languages, configuration, and scoring properties."""

from __future__ import annotations

import functools

import pytest
from careline.config import ConfigError
from careline_insights.config import InsightsConfig, parse_config
from careline_insights.keywords import tokens
from careline_insights.topics import (
    TopicClassifier,
    TopicRule,
    build_topic_classifier,
    default_topic_configs,
)
from hypothesis import given, settings
from hypothesis import strategies as st

EXPECTED_DEFAULTS = {
    "inquiry",
    "order",
    "billing",
    "technical",
    "account",
    "complaint",
    "praise",
    "feedback",
    "legal",
    "press",
    "safety",
    "hr",
    "spam",
}


@functools.cache
def default_classifier() -> TopicClassifier:
    return build_topic_classifier(InsightsConfig())


def topics_of(text: str, language: str | None = "en", **config: object) -> list[str]:
    classifier = build_topic_classifier(InsightsConfig.model_validate(config))
    return [name for name, _ in classifier.classify(text, language)]


def test_the_defaults_cover_every_contact_type() -> None:
    assert set(default_topic_configs()) == EXPECTED_DEFAULTS


@pytest.mark.parametrize(
    ("text", "topic"),
    [
        ("Do you have a store in Leeds? Is it open on Sundays?", "inquiry"),
        ("My package still hasn't arrived, tracking says nothing", "order"),
        ("You charged me twice this month, I want a refund", "billing"),
        ("The app keeps crashing since the update", "technical"),
        ("I'm locked out of my account and the password reset never comes", "account"),
        ("Absolutely disgusting, worst service I've ever had 😡", "complaint"),
        ("Thank you so much, the agent went above and beyond!", "praise"),
        ("Suggestion: it would be great to have a dark mode", "feedback"),
        ("I'm contacting my lawyer and taking legal action", "legal"),
        ("I'm a journalist at the Post working on a story, request for comment", "press"),
        ("The charger caught fire and burned my hand, this is dangerous", "safety"),
        ("Your staff member was racist to my son", "hr"),
        ("Make money from home!! Click here for free followers", "spam"),
    ],
)
def test_english_care_messages_get_their_topic_first(text: str, topic: str) -> None:
    assert topics_of(text)[0] == topic


@pytest.mark.parametrize(
    ("language", "text", "topic"),
    [
        ("de", "Meine Bestellung ist immer noch nicht geliefert", "order"),
        ("de", "Warum habe ich zwei Rechnungen bekommen?", "billing"),
        ("de", "Ich werde meinen Anwalt einschalten", "legal"),
        ("fr", "Ma commande n'est toujours pas livrée", "order"),
        ("fr", "Je veux un remboursement de ma facture", "billing"),
        ("fr", "L'application ne fonctionne pas depuis hier", "technical"),
        ("es", "Mi pedido no ha llegado todavía", "order"),
        ("es", "Me cobraron dos veces, quiero un reembolso", "billing"),
        ("es", "No puedo entrar a mi cuenta, olvidé la contraseña", "account"),
        ("nl", "Mijn pakket is nog steeds niet bezorgd, waar is mijn bestelling", "order"),
        ("nl", "Er is dubbel afgeschreven, ik wil mijn geld terug", "billing"),
        ("nl", "De app werkt niet meer sinds de update", "technical"),
    ],
)
def test_other_languages_have_keywords_of_their_own(language: str, text: str, topic: str) -> None:
    assert topics_of(text, language)[0] == topic


def test_keywords_of_other_languages_do_not_apply_to_a_known_language() -> None:
    assert "order" not in topics_of("paket", "en")
    assert "order" in topics_of("paket", "de")
    assert "order" in topics_of("paket", None)


def test_several_topics_strongest_first() -> None:
    classifier = build_topic_classifier(InsightsConfig())
    result = classifier.classify(
        "I was charged twice, the invoice is wrong and I want a refund for my order", "en"
    )
    names = [name for name, _ in result]
    assert names[:2] == ["billing", "order"]
    scores = [score for _, score in result]
    assert scores == sorted(scores, reverse=True)


def test_a_question_about_a_subject_names_both() -> None:
    assert topics_of("How do I change my delivery address?")[:2] == ["order", "inquiry"]


def test_high_stakes_topics_win_ties() -> None:
    assert topics_of("my lawyer says your order system is a joke")[0] == "legal"


def test_wildcards_phrases_and_curly_apostrophes() -> None:
    assert "billing" in topics_of("They REFUNDED half of it")
    assert "technical" in topics_of("the site doesn’t work at all")
    assert "technical" in topics_of("it   does\nnot   work")
    assert "account" in topics_of("can't log-in")


def test_emoji_keywords_match_next_to_words() -> None:
    assert "complaint" in topics_of("still nothing😡😡")
    assert "praise" in topics_of("you are the best❤️")


def test_a_configured_topic_extends_the_defaults() -> None:
    config = {"topics": {"recall": {"keywords": ["product recall", "recalled"], "weight": 1.4}}}
    assert topics_of("Is this kettle part of the product recall?", **config)[0] == "recall"
    assert "inquiry" in topics_of("Is this kettle part of the product recall?", **config)


def test_a_table_for_a_default_topic_adds_keywords() -> None:
    config = {"topics": {"billing": {"keywords_by_language": {"en": ["direct debit mandate"]}}}}
    assert topics_of("cancel the direct debit mandate", **config)[0] == "billing"
    assert "billing" in topics_of("I want a refund", **config)


def test_replace_swaps_a_default_rule_and_enabled_false_removes_it() -> None:
    replaced = {"topics": {"billing": {"keywords": ["kaching"], "replace": True}}}
    assert "billing" not in topics_of("I want a refund", **replaced)
    assert "billing" in topics_of("kaching!", **replaced)
    removed = {"topics": {"inquiry": {"enabled": False}}}
    assert "inquiry" not in topics_of("How do I do this?", **removed)


def test_default_topics_false_keeps_only_configured_ones() -> None:
    config = {"default_topics": False, "topics": {"vip": {"patterns": [r"(?i)\bvip\b"]}}}
    assert topics_of("VIP customer, refund me now", **config) == ["vip"]


def test_max_topics_caps_the_answer() -> None:
    text = "How do I get a refund for my order? The app crashed and my account is locked. Worst."
    assert len(topics_of(text)) > 2
    assert len(topics_of(text, max_topics=2)) == 2


def test_a_new_topic_without_keywords_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError) as raised:
        build_topic_classifier(parse_config({"topics": {"recall": {"weight": 1.2}}}))
    assert raised.value.key == "insights.topics.recall"


def test_bad_topic_regular_expressions_name_the_key() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"topics": {"recall": {"patterns": ["(unclosed"]}}})
    assert raised.value.key == "insights.topics.recall.patterns"


# --- properties -------------------------------------------------------------------------------
@given(st.text(max_size=300), st.sampled_from([None, "en", "de", "fr", "es", "nl", "ja"]))
@settings(max_examples=200, deadline=None)
def test_classification_never_raises_and_is_well_formed(text: str, language: str | None) -> None:
    classifier = default_classifier()
    result = classifier.classify(text, language)
    assert len(result) <= 5
    assert len({name for name, _ in result}) == len(result)
    assert all(0 < score <= 1 for _, score in result)
    assert [score for _, score in result] == sorted((score for _, score in result), reverse=True)


keyword_words = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäéß", min_size=2, max_size=8)


@given(
    st.lists(keyword_words, min_size=1, max_size=3),
    st.lists(keyword_words, max_size=10),
    st.lists(keyword_words, max_size=10),
    st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_a_planted_keyword_is_always_found(phrase, before, after, shout) -> None:
    keyword = " ".join(phrase)
    classifier = TopicClassifier([TopicRule(name="planted", keywords=(keyword,))])
    planted = keyword.upper() if shout else keyword
    text = " ".join([*before, planted, *after]) + "!"
    assert [name for name, _ in classifier.classify(text)] == ["planted"]


@settings(deadline=None)
@given(st.integers(min_value=1, max_value=6), st.floats(min_value=0.1, max_value=3))
def test_scores_grow_with_hits_and_weight(hits: int, weight: float) -> None:
    keywords = tuple(f"word{chr(97 + i)}" for i in range(hits + 1))
    classifier = TopicClassifier([TopicRule(name="t", keywords=keywords, weight=weight)])
    fewer = classifier.classify(" ".join(keywords[:hits]))[0][1]
    more = classifier.classify(" ".join(keywords[: hits + 1]))[0][1]
    assert fewer <= more <= 1.0
    assert fewer == pytest.approx(min(1.0, weight * (1 - 0.5**hits)), abs=1e-4)


def test_tokens_fold_case_and_keep_apostrophes() -> None:
    assert tokens("Doesn’t WORK, Straße!") == ["doesn't", "work", "strasse"]
