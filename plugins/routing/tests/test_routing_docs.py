"""The documentation's example table is real: it loads, and routes the documented messages."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from careline.config import Settings
from careline.types import Priority, Source, Visibility
from careline_routing.config import QueueConfig, RoutingConfig, RuleConfig

PAGE = Path(__file__).resolve().parents[3] / "docs" / "plugins" / "routing.md"


def example_table() -> dict:
    text = PAGE.read_text(encoding="utf-8")
    section = text.split("## A complete example", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.DOTALL)
    assert block, "the example section has no TOML block"
    return tomllib.loads(block.group(1))


@pytest.fixture(scope="module")
def documented_settings() -> Settings:
    return Settings(home=Path("/nonexistent"), data=example_table())


def test_every_key_of_every_model_has_a_table_row():
    text = PAGE.read_text(encoding="utf-8")
    for model in (RoutingConfig, RuleConfig, QueueConfig):
        for key in model.model_fields:
            assert f"| `{key}` |" in text, f"{model.__name__}.{key} is not documented"


def test_the_example_loads_at_startup(routing_pm, documented_settings):
    routing_pm.hook.careline_startup(settings=documented_settings)


@pytest.mark.parametrize(
    ("text", "view", "expected"),
    [
        (
            "Third outage this week, @brand. Unacceptable.",
            {"sentiment": -0.72, "author_followers": 48_200},
            ("senior", Priority.URGENT, ("pr-risk",), None, True),
        ),
        (
            "their new sneakers look great",
            {"source": Source.EARNED, "sentiment": 0.7},
            ("listening", None, (), None, False),
        ),
        (
            "RT @brand: Winter sale starts now",
            {},
            ("general", None, (), "no reply needed", False),
        ),
        ("Thank you!!", {}, ("general", None, (), "no reply needed", False)),
        (
            "Meine Rechnung ist doppelt abgebucht worden",
            {"language": "de", "topic": "billing", "visibility": Visibility.PRIVATE},
            ("billing-de", None, (), None, False),
        ),
        (
            "Can you call me back?",
            {"contact_attributes": {"vip": True}},
            ("general", Priority.HIGH, ("vip",), None, False),
        ),
        ("Where is my parcel?", {}, ("general", None, (), None, False)),
    ],
)
def test_the_documented_outcomes(
    routing_pm, documented_settings, make_view, make_message, text, view, expected
):
    decision = routing_pm.hook.careline_route(
        conversation=make_view(**view), message=make_message(text), settings=documented_settings
    )
    outcome = (
        decision.queue,
        decision.priority,
        decision.tags,
        decision.ignore_reason,
        decision.suggest_private,
    )
    assert outcome == expected


def test_documented_assignment_for_german_billing(
    routing_pm, documented_settings, make_view, make_agent
):
    view = make_view(queue="billing-de", language="de", channel="facebook")
    team = [
        make_agent(1, languages=("en",), skills=("billing",)),
        make_agent(2, languages=("de", "en"), skills=("billing",), open_conversations=4),
        make_agent(3, languages=("de",), skills=("billing",), open_conversations=1),
        make_agent(4, languages=("de",)),
    ]
    chosen = routing_pm.hook.careline_assign(
        conversation=view, candidates=team, settings=documented_settings
    )
    assert chosen == 3
    listening = make_view(queue="listening", source=Source.EARNED)
    assert (
        routing_pm.hook.careline_assign(
            conversation=listening, candidates=team, settings=documented_settings
        )
        is None
    )
