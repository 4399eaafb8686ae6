"""Merging the answers of several ``careline_enrich_message`` hooks (docs/hooks.md): the first
non-``None`` scalar wins (the platform's language only when no plugin names one), topics, tags,
personal data and attributes combine, and a topic keeps its highest score."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pluggy
from careline import hookimpl, hookspecs
from careline.config import Settings
from careline.pipeline_batch import enrich_with
from careline.types import Author, Enrichment, InboundMessage, PersonalDataMatch, Visibility
from hypothesis import given
from hypothesis import strategies as st

words = st.sampled_from(["refund", "delivery", "billing", "vip", "angry", "late"])
ANSWERS = st.none() | st.builds(
    Enrichment,
    sentiment=st.none() | st.floats(-1, 1),
    sentiment_label=st.none() | st.sampled_from(["negative", "positive"]),
    language=st.none() | st.sampled_from(["en", "de", "fr-CA", ""]),
    topics=st.lists(words, max_size=3).map(tuple),
    topic_scores=st.dictionaries(words, st.floats(0, 1), max_size=3),
    personal_data=st.lists(st.builds(PersonalDataMatch, kind=words), max_size=2).map(tuple),
    tags=st.lists(words, max_size=3).map(tuple),
    attributes=st.dictionaries(st.sampled_from(["a", "b", "c"]), st.integers(), max_size=2),
)
# Answers that only carry attributes, as the escalation plugin's: the common case in practice.
ATTRIBUTES_ONLY = st.builds(
    Enrichment, attributes=st.dictionaries(st.sampled_from(["a", "b", "x"]), st.integers())
)


class Answering:
    def __init__(self, answer: Enrichment | None) -> None:
        self.answer = answer

    @hookimpl
    def careline_enrich_message(self, message: InboundMessage) -> Enrichment | None:
        return self.answer


def _first(values: list[Any]) -> Any:
    return next((value for value in values if value is not None), None)


def expected(answers: list[Enrichment | None], platform_language: str | None) -> Enrichment:
    given_ = [answer for answer in answers if answer is not None]
    scores: dict[str, float] = {}
    attributes: dict[str, Any] = {}
    for answer in given_:
        for topic, score in answer.topic_scores.items():
            scores[topic] = max(score, scores.get(topic, score))
        attributes.update(answer.attributes)
    return Enrichment(
        sentiment=_first([a.sentiment for a in given_]),
        sentiment_label=_first([a.sentiment_label for a in given_]),
        language=_first([a.language for a in given_]) or platform_language,
        topics=tuple(dict.fromkeys(t for a in given_ for t in a.topics)),
        tags=tuple(dict.fromkeys(t for a in given_ for t in a.tags)),
        topic_scores=scores,
        personal_data=tuple(m for a in given_ for m in a.personal_data),
        attributes=attributes,
    )


@given(
    answers=st.lists(ANSWERS | ATTRIBUTES_ONLY, max_size=4),
    platform_language=st.none() | st.sampled_from(["en", "und"]),
)
def test_the_answers_merge_as_documented(
    answers: list[Enrichment | None], platform_language: str | None
) -> None:
    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    # pluggy calls the last registered first: register in reverse to ask in list order
    for n, answer in reversed(list(enumerate(answers))):
        pm.register(Answering(answer), name=f"p{n}")
    item = InboundMessage(
        channel="testchannel",
        account="brand",
        external_id="m1",
        text="where is my refund?",
        author=Author(external_id="u1"),
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        visibility=Visibility.PUBLIC,
        language=platform_language,
    )
    merged = enrich_with(pm, Settings(home=Path("."), environ={}), item)
    assert merged == expected(answers, platform_language)
