"""Routing rules through ``careline_route``: each condition, each action, first match wins."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from careline.config import Settings
from careline.types import Direction, MessageView, Priority, Source, Visibility
from careline_routing import business_hours
from hypothesis import given, settings
from hypothesis import strategies as st


@pytest.fixture(scope="module")
def route(routing_pm, routing_settings, make_view, make_message):
    """Route one message under the given rules: ``route(rules, text, view=..., message=...)``."""

    def run(
        rules: list[dict[str, Any]],
        text: str = "hello",
        *,
        view: dict[str, Any] | None = None,
        message: dict[str, Any] | None = None,
        **routing: Any,
    ):
        settings = routing_settings(rules=rules, **routing)
        return routing_pm.hook.careline_route(
            conversation=make_view(**(view or {})),
            message=make_message(text, **(message or {})),
            settings=settings,
        )

    return run


def queue_for(route, condition: dict[str, Any], text: str = "hello", **kwargs: Any) -> str:
    return route([{**condition, "queue": "hit"}], text, **kwargs).queue


# --- conditions -------------------------------------------------------------------------------
def test_channel_by_name_or_list(route):
    assert queue_for(route, {"channel": "twitter"}) == "hit"
    assert queue_for(route, {"channel": ["facebook", "Twitter"]}) == "hit"
    assert queue_for(route, {"channel": "facebook"}) == "general"


def test_source_and_earned_fallback(route):
    earned = {"source": Source.EARNED}
    assert queue_for(route, {"source": "earned"}, view=earned) == "hit"
    assert queue_for(route, {"source": "earned"}) == "general"
    # an earned mention nobody wrote a rule for lands in the listening queue
    assert route([], "love this brand", view=earned).queue == "listening"
    assert route([], "x", view=earned, earned_queue="social-listening").queue == "social-listening"


def test_visibility(route):
    private = {"visibility": Visibility.PRIVATE}
    assert queue_for(route, {"visibility": "private"}, view=private) == "hit"
    assert queue_for(route, {"visibility": "private"}) == "general"


def test_language_from_view_first_then_message_with_regional_forms(route):
    assert queue_for(route, {"language": ["de"]}, view={"language": "de-AT"}) == "hit"
    assert queue_for(route, {"language": "de"}, message={"language": "de"}) == "hit"
    assert (
        queue_for(route, {"language": "de"}, view={"language": "en"}, message={"language": "de"})
        == "general"
    )
    assert queue_for(route, {"language": "pt-BR"}, view={"language": "pt-PT"}) == "general"
    assert queue_for(route, {"language": "de"}) == "general"  # unknown language never matches


def test_sentiment_bounds_are_strict_and_unknown_never_matches(route):
    assert queue_for(route, {"sentiment_below": -0.5}, view={"sentiment": -0.6}) == "hit"
    assert queue_for(route, {"sentiment_below": -0.5}, view={"sentiment": -0.5}) == "general"
    assert queue_for(route, {"sentiment_above": 0.5}, view={"sentiment": 0.9}) == "hit"
    assert queue_for(route, {"sentiment_below": 0.0}) == "general"


def test_topic_from_the_view_and_the_stored_messages(route, make_message):
    assert queue_for(route, {"topic": ["billing", "refund"]}, view={"topic": "Billing"}) == "hit"
    stored = MessageView(
        id=1,
        conversation_id=1,
        channel="twitter",
        external_id="m1",
        direction=Direction.INBOUND,
        visibility=Visibility.PUBLIC,
        text="x",
        created_at=datetime(2026, 1, 5, tzinfo=UTC),
        topics=("refund",),
    )
    view = {"topic": "delivery", "messages": (stored,)}
    assert queue_for(route, {"topic": "refund"}, view=view) == "hit"
    assert queue_for(route, {"topic": "billing"}, view={"topic": "delivery"}) == "general"


def test_keywords_are_case_insensitive_whole_words(route):
    rule = {"keywords": ["refund", "#fail", "charged twice"]}
    assert queue_for(route, rule, "I want a REFUND now") == "hit"
    assert queue_for(route, rule, "what an epic #FAIL") == "hit"
    assert queue_for(route, rule, "I was Charged  twice") == "general"  # phrase as written
    assert queue_for(route, rule, "I was charged twice!") == "hit"
    assert queue_for(route, rule, "refunds are slow") == "general"  # not the word refund


def test_regex_as_written(route):
    assert queue_for(route, {"regex": "^RT @"}, "RT @brand: big news") == "hit"
    assert queue_for(route, {"regex": "^RT @"}, "rt @brand") == "general"
    assert queue_for(route, {"regex": "(?i)^rt @"}, "rt @brand") == "hit"


def test_followers_from_view_then_message_author(route):
    assert queue_for(route, {"followers_at_least": 1000}, view={"author_followers": 1000}) == "hit"
    assert queue_for(route, {"followers_at_least": 1000}, message={"followers": 5000}) == "hit"
    assert (
        queue_for(route, {"followers_at_least": 1000}, view={"author_followers": 999}) == "general"
    )
    assert queue_for(route, {"followers_at_least": 1}) == "general"  # unknown count


def test_verified(route):
    assert queue_for(route, {"verified": True}, view={"author_verified": True}) == "hit"
    assert queue_for(route, {"verified": True}, message={"verified": True}) == "hit"
    assert queue_for(route, {"verified": False}) == "hit"
    assert queue_for(route, {"verified": True}) == "general"


def test_contact_attributes(route):
    vip = {"contact_attributes": {"vip": True, "tier": "Gold", "orders": 3}}
    assert queue_for(route, {"contact": {"vip": True}}, view=vip) == "hit"
    assert queue_for(route, {"contact": {"tier": ["gold", "platinum"]}}, view=vip) == "hit"
    assert queue_for(route, {"contact": {"vip": True, "orders": 3}}, view=vip) == "hit"
    assert queue_for(route, {"contact": {"vip": True, "orders": 4}}, view=vip) == "general"
    assert (
        queue_for(route, {"contact": {"orders": True}}, view={"contact_attributes": {"orders": 1}})
        == "general"
    )
    assert queue_for(route, {"contact": {"vip": False}}) == "general"  # unset is not false


def test_personal_data(route):
    found = {"personal_data_kinds": ("iban",)}
    assert queue_for(route, {"personal_data": True}, view=found) == "hit"
    assert queue_for(route, {"personal_data": False}, view=found) == "general"
    assert queue_for(route, {"personal_data": False}) == "hit"


def test_repeat_contact(route):
    assert queue_for(route, {"repeat_contact": 2}, view={"previous_conversations": 2}) == "hit"
    assert queue_for(route, {"repeat_contact": 2}, view={"previous_conversations": 1}) == "general"


def test_business_hours_uses_the_core_calendar_when_present(route, monkeypatch):
    class Calendar:
        @classmethod
        def from_settings(cls, settings):
            return cls()

        def is_open(self, when):
            return 9 <= when.hour < 17

    class CoreModule:
        BusinessHours = Calendar

    monkeypatch.setattr(business_hours.importlib, "import_module", lambda name: CoreModule)
    night = {"created_at": datetime(2026, 1, 5, 22, 0, tzinfo=UTC)}
    assert queue_for(route, {"business_hours": False}, message=night) == "hit"
    assert queue_for(route, {"business_hours": True}, message=night) == "general"
    assert queue_for(route, {"business_hours": True}) == "hit"


def test_business_hours_without_the_core_module_is_always_open(route, monkeypatch, caplog):
    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(business_hours.importlib, "import_module", missing)
    night = {"created_at": datetime(2026, 1, 5, 22, 0, tzinfo=UTC)}
    assert queue_for(route, {"business_hours": True}, message=night) == "hit"
    assert "treat every moment as open" in caplog.text


def test_all_conditions_of_a_rule_must_hold(route):
    rule = {"channel": "twitter", "sentiment_below": -0.5, "followers_at_least": 10_000}
    angry_big = {"sentiment": -0.8, "author_followers": 120_000}
    assert queue_for(route, rule, view=angry_big) == "hit"
    assert queue_for(route, rule, view={**angry_big, "author_followers": 50}) == "general"


# --- actions ----------------------------------------------------------------------------------
def test_actions_land_in_the_decision_with_rule_and_explanation(route):
    decision = route(
        [
            {
                "name": "angry influencer",
                "visibility": "public",
                "sentiment_below": -0.5,
                "followers_at_least": 10_000,
                "queue": "senior",
                "priority": "urgent",
                "tags": ["pr-risk", "influencer"],
                "set_topic": "outage",
                "suggest_private": True,
            }
        ],
        "third outage this week, unbelievable",
        view={"sentiment": -0.72, "author_followers": 120_000},
    )
    assert decision.queue == "senior"
    assert decision.priority is Priority.URGENT
    assert decision.tags == ("pr-risk", "influencer")
    assert decision.topic == "outage"
    assert decision.suggest_private is True
    assert decision.ignore_reason is None
    assert decision.rule == "angry influencer"
    assert decision.explanation.startswith("rule 'angry influencer' matched: ")
    assert "sentiment -0.72 (wanted below -0.5)" in decision.explanation
    assert "followers 120,000 (wanted at least 10,000)" in decision.explanation


def test_ignore_retweets_and_plain_thanks(route):
    rules = [
        {"name": "retweets", "regex": "^RT @", "ignore": "no reply needed"},
        {"name": "thanks", "regex": r"(?i)^\W*(thanks|thank you|thx)\W*$", "ignore": True},
    ]
    retweet = route(rules, "RT @brand: new store opening")
    assert (retweet.ignore_reason, retweet.rule, retweet.queue) == (
        "no reply needed",
        "retweets",
        "general",
    )
    assert route(rules, "Thank you!!").ignore_reason == "no reply needed"
    assert route(rules, "thanks, but my parcel never came").ignore_reason is None


def test_priority_only_rule_keeps_the_fallback_queue(route):
    decision = route(
        [{"contact": {"vip": True}, "priority": "high"}], view={"contact_attributes": {"vip": True}}
    )
    assert (decision.queue, decision.priority, decision.rule) == (
        "general",
        Priority.HIGH,
        "rules[0]",
    )
    assert "default queue general" in decision.explanation


def test_no_match_uses_default_queue_and_says_so(route):
    decision = route(
        [{"keywords": "refund", "queue": "billing"}], "where is my parcel?", default_queue="care"
    )
    assert (decision.queue, decision.rule, decision.priority) == ("care", "default_queue", None)
    assert decision.explanation == "no rule matched; default queue care"


def test_reopened_conversation_keeps_its_queue_when_no_rule_names_one(route):
    decision = route([], view={"queue": "billing-de"})
    assert (decision.queue, decision.rule) == ("billing-de", "current_queue")


def test_first_matching_rule_wins(route):
    rules = [
        {
            "name": "german billing",
            "language": "de",
            "keywords": ["rechnung"],
            "queue": "billing-de",
        },
        {"name": "german", "language": "de", "queue": "care-de"},
        {"name": "billing", "keywords": ["rechnung", "invoice"], "queue": "billing"},
    ]
    assert (
        route(rules, "Meine Rechnung ist falsch", view={"language": "de"}).rule == "german billing"
    )
    assert route(rules, "Wo ist mein Paket?", view={"language": "de"}).rule == "german"
    assert route(rules, "Rechnung?", view={"language": "en"}).rule == "billing"


def test_disabled_routing_leaves_the_decision_to_the_core(route):
    assert route([{"queue": "x"}], enabled=False) is None


# --- properties -------------------------------------------------------------------------------
words = st.sampled_from(["refund", "outage", "thanks", "love", "broken", "RT", "@brand", "#fail"])
rule_strategy = st.fixed_dictionaries(
    {"queue": st.sampled_from(["billing", "senior", "care-de", "spam"])},
    optional={
        "channel": st.sampled_from(["twitter", "facebook", "instagram"]),
        "source": st.sampled_from(["owned", "earned"]),
        "visibility": st.sampled_from(["public", "private"]),
        "sentiment_below": st.floats(-1, 1),
        "followers_at_least": st.integers(0, 100_000),
        "keywords": st.lists(words, min_size=1, max_size=3),
    },
)
message_strategy = st.fixed_dictionaries(
    {
        "channel": st.sampled_from(["twitter", "facebook", "instagram"]),
        "source": st.sampled_from(list(Source)),
        "visibility": st.sampled_from(list(Visibility)),
        "sentiment": st.none() | st.floats(-1, 1),
        "followers": st.none() | st.integers(0, 200_000),
        "text": st.lists(words, max_size=6).map(" ".join),
    }
)


def oracle_matches(rule: dict[str, Any], facts: dict[str, Any]) -> bool:
    """An independent reading of the documented semantics for a subset of the conditions."""
    if "channel" in rule and rule["channel"] != facts["channel"]:
        return False
    if "source" in rule and rule["source"] != facts["source"].value:
        return False
    if "visibility" in rule and rule["visibility"] != facts["visibility"].value:
        return False
    if "sentiment_below" in rule and not (
        facts["sentiment"] is not None and facts["sentiment"] < rule["sentiment_below"]
    ):
        return False
    if "followers_at_least" in rule and not (
        facts["followers"] is not None and facts["followers"] >= rule["followers_at_least"]
    ):
        return False
    if "keywords" in rule:
        tokens = facts["text"].lower().split()
        if not any(keyword.lower() in tokens for keyword in rule["keywords"]):
            return False
    return True


@settings(max_examples=200, deadline=None)
@given(rules=st.lists(rule_strategy, max_size=8), facts=message_strategy)
def test_every_conversation_gets_exactly_the_first_matching_rules_queue(
    routing_pm, routing_settings, make_view, make_message, rules, facts
):
    settings = routing_settings(rules=rules)
    decision = routing_pm.hook.careline_route(
        conversation=make_view(
            channel=facts["channel"],
            source=facts["source"],
            visibility=facts["visibility"],
            sentiment=facts["sentiment"],
            author_followers=facts["followers"],
        ),
        message=make_message(facts["text"], channel=facts["channel"]),
        settings=settings,
    )
    expected = next((i for i, rule in enumerate(rules) if oracle_matches(rule, facts)), None)
    assert isinstance(decision.queue, str) and decision.queue
    if expected is None:
        fallback = "listening" if facts["source"] is Source.EARNED else "general"
        assert (decision.queue, decision.rule) == (fallback, decision.rule)
        assert decision.rule in {"default_queue", "earned_queue"}
    else:
        assert decision.rule == f"rules[{expected}]"
        assert decision.queue == rules[expected]["queue"]


@settings(max_examples=150, deadline=None)
@given(
    keyword=st.text(alphabet="abcxyzä#@-", min_size=1, max_size=6).filter(lambda k: k.strip("-")),
    before=st.sampled_from(["", " ", "(", "x", "1", "é"]),
    after=st.sampled_from(["", " ", "!", "s", "_", "."]),
    upper=st.booleans(),
)
def test_keywords_match_only_whole_words_in_any_case(route, keyword, before, after, upper):
    word = keyword.upper() if upper else keyword
    text = f"{before}{word}{after}"

    def wordish(char: str) -> bool:
        return char.isalnum() or char == "_"

    # documented: a keyword matches unless a letter, digit or _ is glued to either side
    expected = not (before and wordish(before[-1])) and not (after and wordish(after[0]))
    assert (queue_for(route, {"keywords": [keyword]}, text) == "hit") is expected


def test_business_hours_with_the_real_core_calendar(routing_pm, make_view, make_message):
    settings = Settings(
        home=Path("/nonexistent"),
        data={
            "business_hours": {
                "enabled": True,
                "timezone": "Europe/Berlin",
                "monday": ["09:00-17:00"],
            },
            "routing": {
                "rules": [{"business_hours": False, "queue": "after-hours", "priority": "low"}]
            },
        },
    )
    # 07:30 UTC is 08:30 in Berlin: closed; 09:30 UTC is 10:30: open
    early = datetime(2026, 1, 5, 7, 30, tzinfo=UTC)
    later = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)
    route = routing_pm.hook.careline_route
    closed = route(
        conversation=make_view(), message=make_message(created_at=early), settings=settings
    )
    opened = route(
        conversation=make_view(), message=make_message(created_at=later), settings=settings
    )
    assert (closed.queue, closed.priority) == ("after-hours", Priority.LOW)
    assert "business hours closed at Mon 07:30 UTC (wanted closed)" in closed.explanation
    assert opened.queue == "general"
