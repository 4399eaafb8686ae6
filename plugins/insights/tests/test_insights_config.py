"""The [insights] table: defaults, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
from careline.config import ConfigError, Settings
from careline_insights.config import InsightsConfig, load_config, parse_config
from hypothesis import given, settings
from hypothesis import strategies as st


def test_an_empty_table_gives_the_documented_defaults() -> None:
    config = parse_config({})
    assert config == InsightsConfig()
    assert (config.positive_threshold, config.negative_threshold) == (0.05, -0.05)
    assert config.languages == ["en", "de", "fr", "es", "nl", "it", "pt", "pl"]
    assert config.personal_data == ["email", "phone", "card"]
    assert config.enabled and config.default_topics and config.detect_language


def test_phone_region_is_upper_cased() -> None:
    assert parse_config({"phone_region": "gb"}).phone_region == "GB"


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ({"colour": "blue"}, "insights.colour", "unknown key"),
        ({"positive_threshold": 2}, "insights.positive_threshold", "less than or equal to 1"),
        (
            {"positive_threshold": -0.2, "negative_threshold": 0.2},
            "insights.negative_threshold",
            "must not be above positive_threshold",
        ),
        ({"languages": ["en", "klingon"]}, "insights.languages", "ISO 639"),
        ({"languages": []}, "insights.languages", "at least one language"),
        ({"sentiment_languages": ["EN"]}, "insights.sentiment_languages", "ISO 639"),
        ({"min_language_confidence": 1.5}, "insights.min_language_confidence", "less than"),
        ({"max_topics": 0}, "insights.max_topics", "greater than or equal to 1"),
        ({"personal_data": ["iban"]}, "insights.personal_data", "[insights.patterns]"),
        ({"phone_region": "Atlantis"}, "insights.phone_region", "region"),
        ({"patterns": {"Order Number": "x"}}, "insights.patterns", "pattern name"),
        ({"patterns": {"email": "x@y"}}, "insights.patterns", "built-in kind"),
        ({"patterns": {"anything": ".*"}}, "insights.patterns", "matches the empty text"),
        ({"topics": {"Big Topic": {"keywords": ["x"]}}}, "insights.topics", "topic name"),
        ({"topics": {"vip": {"keywords": [" "]}}}, "insights.topics.vip.keywords", "empty"),
        (
            {"topics": {"vip": {"keywords_by_language": {"english": ["x"]}}}},
            "insights.topics.vip.keywords_by_language",
            "ISO 639",
        ),
        ({"topics": {"vip": {"weight": 0}}}, "insights.topics.vip.weight", "greater than 0"),
    ],
)
def test_invalid_values_name_their_key(table: dict, key: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(table)
    assert raised.value.key == key
    assert message in str(raised.value)


def test_load_config_validates_once_per_settings(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, data={"insights": {"phone_region": "DE"}})
    first = load_config(settings)
    assert first.phone_region == "DE"
    assert load_config(settings) is first


def test_secrets_style_references_are_resolved(tmp_path: Path) -> None:
    settings = Settings(
        home=tmp_path,
        data={"insights": {"phone_region": "$env:CARE_REGION"}},
        environ={"CARE_REGION": "FR"},
    )
    assert load_config(settings).phone_region == "FR"


@settings(deadline=None)
@given(st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=5), max_size=4))
def test_arbitrary_tables_either_validate_or_raise_config_error(table: dict) -> None:
    try:
        parse_config(table)
    except ConfigError as error:
        key = error.key
    else:
        key = "insights"
    assert key is not None
    assert key.startswith("insights")


def test_the_documented_example_is_valid_and_does_what_it_says(tmp_path: Path) -> None:
    import re
    import tomllib

    from careline_insights.enrich import Enricher

    page = Path(__file__).resolve().parents[3] / "docs" / "plugins" / "insights.md"
    example = re.search(r"```toml\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    assert example is not None
    table = tomllib.loads(example.group(1))["insights"]
    enricher = Enricher(parse_config(table))
    answer = enricher.enrich_text("Is this kettle part of the product recall? ORD-123456", "en")
    assert answer.topics[0] == "recall"
    assert [m.kind for m in answer.personal_data] == ["order_number"]
    assert "billing" in enricher.enrich_text("Warum noch eine Lastschrift?", "de").topics
    assert "spam" not in enricher.enrich_text("click here to make money with crypto", "en").topics
    national = enricher.enrich_text("ring me on 020 7946 0958", "en").personal_data
    assert [m.kind for m in national] == ["phone"]
