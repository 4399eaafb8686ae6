"""A smoke run over real customer-care tweets (shared/data/twitter-customer-care)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from careline.config import Settings
from careline.types import Enrichment

DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "twitter-customer-care"


def customer_texts() -> list[str]:
    if not DATA.is_dir():
        pytest.skip(
            f"real care texts not found at {DATA.resolve()} (shared/data is beside CI's checkout)"
        )
    texts = []
    for name in ("dev.json", "test.json"):
        for dialog in json.loads((DATA / name).read_text(encoding="utf-8")):
            texts.extend(turn["message"] for turn in dialog["dialogContent"] if "agent" not in turn)
    return texts


@pytest.fixture(scope="module")
def enriched() -> list[tuple[str, Enrichment]]:
    from careline_insights.config import InsightsConfig
    from careline_insights.enrich import Enricher

    enricher = Enricher(InsightsConfig())
    return [(text, enricher.enrich_text(text)) for text in customer_texts()]


def test_every_real_message_is_enriched(enriched) -> None:
    assert len(enriched) > 1000
    assert all(
        answer.sentiment is not None or answer.language not in (None, "en")
        for _, answer in enriched
    )


def test_the_distribution_is_plausible(enriched) -> None:
    total = len(enriched)
    first_topics = Counter(answer.topics[0] for _, answer in enriched if answer.topics)
    with_topic = sum(first_topics.values())
    english = sum(1 for _, answer in enriched if answer.language == "en")
    labels = Counter(answer.sentiment_label for _, answer in enriched)
    assert with_topic / total > 0.6
    assert first_topics["praise"] / total < 0.05
    assert first_topics["spam"] / total < 0.02
    assert english / total > 0.9
    assert labels["negative"] / total > 0.15


def test_public_e_mail_addresses_are_spotted_without_false_cards(enriched) -> None:
    kinds = Counter(match.kind for _, answer in enriched for match in answer.personal_data)
    assert kinds["email"] >= 5
    assert kinds["card"] == 0
    for text, answer in enriched:
        for match in answer.personal_data:
            if match.kind == "email":
                assert "@" in text[match.start : match.end]


def test_real_texts_through_the_hook(careline_plugin_manager, tmp_path) -> None:
    from datetime import UTC, datetime

    from careline.types import Author, InboundMessage, Visibility

    pm = careline_plugin_manager("careline-insights")
    settings = Settings(home=tmp_path)
    for number, text in enumerate(customer_texts()[:50]):
        message = InboundMessage(
            channel="twitter",
            account="brand",
            external_id=str(number),
            text=text,
            author=Author(external_id="customer"),
            created_at=datetime(2020, 4, 1, tzinfo=UTC),
            visibility=Visibility.PUBLIC,
            language="en",
        )
        (answer,) = pm.hook.careline_enrich_message(message=message, settings=settings)
        assert answer.language == "en"
