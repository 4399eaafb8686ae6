"""The ``[routing]`` table: valid tables load, bad ones fail at start-up naming the key."""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

import pytest
from careline.config import ConfigError
from careline_routing.config import RoutingConfig, RuleConfig
from hypothesis import given, settings
from hypothesis import strategies as st

RULE_KEYS = sorted(RuleConfig.model_fields)
QUEUE_KEYS = ["title", "strategy", "members", "required_skills", "reassign_after"]
TOP_KEYS = sorted(RoutingConfig.model_fields)


def startup_error(routing_pm, routing_settings, **routing: Any) -> str:
    with pytest.raises(ConfigError) as caught:
        routing_pm.hook.careline_startup(settings=routing_settings(**routing))
    return str(caught.value)


def test_a_realistic_table_loads_at_startup(routing_pm, routing_settings):
    settings = routing_settings(
        default_queue="care",
        rules=[
            {"name": "retweets", "regex": "^RT @", "ignore": True},
            {
                "name": "angry influencer",
                "channel": ["twitter", "instagram"],
                "visibility": "public",
                "sentiment_below": -0.5,
                "followers_at_least": 10_000,
                "queue": "senior",
                "priority": "urgent",
                "tags": ["pr-risk"],
            },
            {"contact": {"vip": True, "tier": ["gold", "platinum"]}, "priority": "high"},
        ],
        queues={"senior": {"strategy": "round_robin", "reassign_after": "30m"}},
    )
    routing_pm.hook.careline_startup(settings=settings)
    config = RoutingConfig.model_validate(settings.section("routing"))
    assert config.queues["senior"].reassign_after == timedelta(minutes=30)
    assert config.rules[0].ignore_reason == "no reply needed"


def test_sentiment_out_of_range_names_the_rule_position(routing_pm, routing_settings):
    rules = [{"queue": "a"}] * 3 + [{"name": "angry", "sentiment_below": 3, "queue": "senior"}]
    message = startup_error(routing_pm, routing_settings, rules=rules)
    assert message == (
        "/nonexistent-careline-home/careline.toml: routing.rules[3].sentiment_below: "
        "must be a number between -1 and 1 (rule 'angry')"
    )


@pytest.mark.parametrize(
    ("rule", "key", "expected"),
    [
        ({"sentiment_below": "low", "queue": "q"}, "rules[0].sentiment_below", "between -1 and 1"),
        ({"sentiment_above": math.nan, "queue": "q"}, "rules[0].sentiment_above", "-1 and 1"),
        ({"priority": "asap"}, "rules[0].priority", '"low", "normal", "high", "urgent"'),
        ({"channel": [], "queue": "q"}, "rules[0].channel", "at least one value"),
        ({"keywords": [1, 2], "queue": "q"}, "rules[0].keywords", "a keyword or a list"),
        ({"regex": "(unclosed", "queue": "q"}, "rules[0].regex", "not a valid regular expression"),
        ({"followers_at_least": -5, "queue": "q"}, "rules[0].followers_at_least", "0 or more"),
        ({"repeat_contact": 0, "queue": "q"}, "rules[0].repeat_contact", "1 or more"),
        ({"verified": "yes", "queue": "q"}, "rules[0].verified", "true or false"),
        ({"source": "paid", "queue": "q"}, "rules[0].source", '"owned" or "earned"'),
        ({"contact": {}, "queue": "q"}, "rules[0].contact", "at least one attribute"),
        ({"channel": "twitter"}, "rules[0]", "needs at least one action"),
        (
            {"sentiment_below": -0.5, "sentiment_above": 0.2, "queue": "q"},
            "rules[0]",
            "never matches",
        ),
        (
            {"sentiment_bellow": -0.5, "queue": "q"},
            "rules[0].sentiment_bellow",
            "'sentiment_below'",
        ),
        ({"queue": ""}, "rules[0].queue", "must not be empty"),
        ("not a table", "rules[0]", "must be a table of conditions and actions"),
    ],
)
def test_each_bad_rule_value_gets_a_clear_message(
    routing_pm, routing_settings, rule, key, expected
):
    message = startup_error(routing_pm, routing_settings, rules=[rule])
    assert f"routing.{key}: " in message
    assert expected in message


@pytest.mark.parametrize(
    ("queues", "key", "expected"),
    [
        ({"senior": {"strategy": "random"}}, "queues.senior.strategy", '"round_robin"'),
        ({"senior": {"reassign_after": "soon"}}, "queues.senior.reassign_after", '"30m"'),
        ({"senior": {"reassign_after": "0m"}}, "queues.senior.reassign_after", "longer than zero"),
        ({"senior": {"members": "ann"}}, "queues.senior.members", "a list of agent names"),
        ({"senior": {"size": 3}}, "queues.senior.size", "unknown key"),
        ({"senior": 5}, "queues.senior", "must be a table"),
    ],
)
def test_each_bad_queue_value_gets_a_clear_message(
    routing_pm, routing_settings, queues, key, expected
):
    message = startup_error(routing_pm, routing_settings, queues=queues)
    assert f"routing.{key}: " in message
    assert expected in message


def test_unknown_top_level_key_and_wrong_shapes(routing_pm, routing_settings):
    assert "routing.default_queues: unknown key (did you mean 'default_queue'?" in startup_error(
        routing_pm, routing_settings, default_queues="x"
    )
    assert "routing.rules: must be an array of tables" in startup_error(
        routing_pm, routing_settings, rules={"queue": "x"}
    )
    assert "routing.default_strategy: must be one of" in startup_error(
        routing_pm, routing_settings, default_strategy="fifo"
    )


def test_compiled_once_per_settings(routing_pm, routing_settings):
    settings = routing_settings(rules=[{"keywords": ["refund"], "queue": "billing"}])
    routing_pm.hook.careline_startup(settings=settings)
    first = settings._state["routing:policy"]
    routing_pm.hook.careline_startup(settings=settings)
    assert settings._state["routing:policy"] is first


# --- property: arbitrary TOML-like tables never crash, they only raise ConfigError ------------
WEIRD = "\n\u2028\x0b\x1c\"'. "
keys = st.text(max_size=6) | st.text(alphabet=WEIRD, max_size=3)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | st.text(alphabet=WEIRD, max_size=4)
    | st.sampled_from(["owned", "public", "urgent", "round_robin", "30m", "(?i)x", "[", "de"])
)
toml_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=12,
)
rule_tables = st.dictionaries(st.sampled_from(RULE_KEYS) | keys, toml_values, max_size=6)
queue_tables = st.dictionaries(st.sampled_from(QUEUE_KEYS) | keys, toml_values, max_size=4)
routing_tables = st.fixed_dictionaries(
    {},
    optional={
        "rules": st.lists(rule_tables | toml_values, max_size=4) | toml_values,
        "queues": st.dictionaries(keys, queue_tables | toml_values, max_size=3) | toml_values,
        "default_queue": toml_values,
        "default_strategy": toml_values,
        "enabled": toml_values,
        "agents_without_queues_take_all": toml_values,
    },
) | st.dictionaries(st.sampled_from(TOP_KEYS) | keys, toml_values, max_size=4)


@settings(max_examples=300, deadline=None)
@given(table=routing_tables)
def test_arbitrary_tables_only_ever_raise_config_error(routing_pm, routing_settings, table):
    try:
        routing_pm.hook.careline_startup(settings=routing_settings(**table))
    except ConfigError as error:
        text = str(error)
        assert "careline.toml: routing" in text
        assert len(text.splitlines()) == 1, "the CLI shows only the first line"
        assert ": " in text.split("careline.toml: ", 1)[1]


@settings(max_examples=150, deadline=None)
@given(
    rule=st.fixed_dictionaries(
        {"queue": st.text(min_size=1, max_size=8).filter(str.strip)},
        optional={
            "channel": st.sampled_from(["twitter", "facebook"]),
            "keywords": st.lists(st.text(min_size=1, max_size=10).filter(str.strip), min_size=1),
            "sentiment_below": st.floats(-1, 1),
            "followers_at_least": st.integers(0, 10**9),
            "language": st.lists(st.sampled_from(["de", "en", "fr-CA"]), min_size=1),
        },
    )
)
def test_well_formed_rules_always_load(routing_pm, routing_settings, rule):
    routing_pm.hook.careline_startup(settings=routing_settings(rules=[rule]))
