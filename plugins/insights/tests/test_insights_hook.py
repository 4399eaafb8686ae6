"""careline-insights through careline's plugin manager and pipeline."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from careline.config import ConfigError, Settings
from careline.models import Conversation, Message
from careline.testing.channel import delivery
from careline.testing.channel import message as message_item
from careline.testing.flow import deliver_and_process
from careline.types import Author, Direction, Enrichment, InboundMessage, MessageKind, Visibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import select

PLUGIN = "careline-insights"


def inbound(
    text: str,
    *,
    language: str | None = None,
    direction: Direction = Direction.INBOUND,
    kind: MessageKind = MessageKind.MESSAGE,
) -> InboundMessage:
    return InboundMessage(
        channel="testchannel",
        account="brand",
        external_id="m1",
        text=text,
        author=Author(external_id="u1", handle="@customer"),
        created_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        visibility=Visibility.PUBLIC,
        direction=direction,
        kind=kind,
        language=language,
    )


@pytest.fixture
def pm(careline_plugin_manager):
    return careline_plugin_manager(PLUGIN)


def settings_with(tmp_path: Path, **table: object) -> Settings:
    return Settings(home=tmp_path, data={"insights": table} if table else {})


def enrich(pm, message: InboundMessage, settings: Settings) -> list[Enrichment]:
    return [
        answer
        for answer in pm.hook.careline_enrich_message(message=message, settings=settings)
        if answer is not None
    ]


def test_the_plugin_is_found_by_its_entry_point(pm) -> None:
    names = {pm.get_name(plugin) for plugin in pm.get_plugins()}
    assert "insights" in names


def test_an_angry_delivery_complaint_is_enriched_through_the_hook(pm, tmp_path) -> None:
    text = "@AcmeHelp my order never arrived and nobody answers. Worst service ever 😡"
    (answer,) = enrich(pm, inbound(text, language="en"), settings_with(tmp_path))
    assert answer.language == "en"
    assert answer.sentiment is not None and answer.sentiment < -0.5
    assert answer.sentiment_label == "negative"
    assert set(answer.topics[:2]) == {"complaint", "order"}
    assert set(answer.topic_scores) == set(answer.topics)
    assert answer.personal_data == ()


def test_the_platform_language_wins_over_detection(pm, tmp_path) -> None:
    settings = settings_with(tmp_path)
    text = "Meine Bestellung ist immer noch nicht angekommen"
    (detected,) = enrich(pm, inbound(text), settings)
    (tagged,) = enrich(pm, inbound(text, language="de-AT"), settings)
    (overridden,) = enrich(pm, inbound(text, language="nl"), settings)
    assert (detected.language, tagged.language, overridden.language) == ("de", "de", "nl")
    assert "order" in tagged.topics


def test_undetermined_platform_tags_fall_back_to_detection(pm, tmp_path) -> None:
    text = "Pourquoi ai-je été débité deux fois ce mois-ci ?"
    (answer,) = enrich(pm, inbound(text, language="und"), settings_with(tmp_path))
    assert answer.language == "fr"
    assert "billing" in answer.topics


def test_brand_messages_and_deletions_are_not_enriched(pm, tmp_path) -> None:
    settings = settings_with(tmp_path)
    assert enrich(pm, inbound("thanks!", direction=Direction.OUTBOUND), settings) == []
    assert enrich(pm, inbound("", kind=MessageKind.DELETE), settings) == []
    assert len(enrich(pm, inbound("edited: still broken", kind=MessageKind.EDIT), settings)) == 1


def test_enabled_false_switches_enrichment_off(pm, tmp_path) -> None:
    settings = settings_with(tmp_path, enabled=False)
    assert enrich(pm, inbound("my card 4111 1111 1111 1111 was charged twice"), settings) == []


def test_personal_data_comes_back_as_kinds_and_spans_only(pm, tmp_path) -> None:
    text = "email me at jane.doe@example.com or call +44 20 7946 0958"
    (answer,) = enrich(pm, inbound(text, language="en"), settings_with(tmp_path))
    assert [(m.kind, text[m.start : m.end]) for m in answer.personal_data] == [
        ("email", "jane.doe@example.com"),
        ("phone", "+44 20 7946 0958"),
    ]
    assert "jane.doe" not in repr(answer.personal_data)


def test_startup_accepts_the_defaults(pm, tmp_path) -> None:
    pm.hook.careline_startup(settings=settings_with(tmp_path))


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"colour": "blue"}, "insights.colour"),
        ({"languages": ["en", "xx"]}, "insights.languages"),
        ({"patterns": {"order_number": "ORD-("}}, "insights.patterns"),
        ({"topics": {"recall": {"weight": 2.0}}}, "insights.topics.recall"),
        (
            {"topics": {"billing": {"keywords": ["ok"], "colour": 1}}},
            "insights.topics.billing.colour",
        ),
        ({"phone_region": "XX"}, "insights.phone_region"),
    ],
)
def test_startup_fails_on_bad_configuration_naming_the_key(pm, tmp_path, table, key) -> None:
    with pytest.raises(ConfigError) as raised:
        pm.hook.careline_startup(settings=settings_with(tmp_path, **table))
    assert raised.value.key == key
    assert str(tmp_path / "careline.toml") in str(raised.value)


def test_the_pipeline_stores_what_insights_learned(careline_runtime) -> None:
    runtime = careline_runtime(PLUGIN)
    text = "I was charged twice for my subscription! Refund please, card 4111-1111-1111-1111"
    deliver_and_process(runtime, "testchannel", delivery(message_item("m1", text=text, lang="en")))
    with runtime.db.session() as session:
        stored = session.exec(select(Message)).one()
        conversation = session.exec(select(Conversation)).one()
    assert stored.language == "en"
    assert stored.topics[0] == "billing"
    assert stored.sentiment is not None
    assert [(item["kind"], text[item["start"] : item["end"]]) for item in stored.personal_data] == [
        ("card", "4111-1111-1111-1111")
    ]
    assert "4111" not in repr(stored.personal_data)
    assert conversation.topic == "billing"
    assert conversation.language == "en"


@given(
    text=st.text(max_size=300),
    tag=st.one_of(
        st.none(), st.sampled_from(["en", "de-DE", "und", "pt_BR", "qme"]), st.text(max_size=8)
    ),
)
@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_the_hook_never_raises_on_arbitrary_text_and_tags(
    pm, tmp_path_factory, text: str, tag: str | None
) -> None:
    settings_ = Settings(home=tmp_path_factory.getbasetemp())
    (answer,) = enrich(pm, inbound(text, language=tag), settings_)
    assert answer.sentiment is None or -1 <= answer.sentiment <= 1
    assert all(0 <= m.start < m.end <= len(text) for m in answer.personal_data)
    assert list(answer.topic_scores) == list(answer.topics)
