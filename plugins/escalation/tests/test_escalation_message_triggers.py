"""Triggers on a new customer message, called through ``careline_escalate_on_message``."""

from __future__ import annotations

from typing import Any

import pytest
from careline.types import (
    ConversationStatus,
    Direction,
    EscalationRequest,
    MessageKind,
    Priority,
    Visibility,
)
from careline_escalation.defaults import CATEGORY_PHRASES, MANAGER_PHRASES
from careline_escalation.message_triggers import SAID_ATTRIBUTE
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def fired_groups(pm: Any, settings: Any, conversation: Any, message: Any) -> list[Any]:
    """What the hook's implementations return, finding the phrases themselves."""
    return pm.hook.careline_escalate_on_message(  # type: ignore[no-any-return]
        conversation=conversation, message=message, settings=settings, enrichment=None
    )


def fired(pm: Any, settings: Any, conversation: Any, message: Any) -> dict[str, EscalationRequest]:
    """The requests the hook returns, by trigger id."""
    groups = fired_groups(pm, settings, conversation, message)
    return {request.trigger: request for group in groups for request in group or []}


@pytest.mark.parametrize(
    ("text", "trigger", "target"),
    [
        ("If this isn't fixed by Friday my lawyer will be in touch.", "content:legal", "legal"),
        ("Ich werde Sie verklagen, das ist Betrug.", "content:legal", "legal"),
        (
            "I'm a reporter at the Daily Ledger working on a story about your outage",
            "content:press",
            "pr",
        ),
        ("The charger caught fire on my desk last night", "content:safety", "safety"),
        ("Your employee at the Leeds store shouted at my daughter", "content:hr", "hr"),
        ("Le livreur m'a insulté, c'est du harcèlement", "content:hr", "hr"),
    ],
)
def test_content_phrases_escalate_to_their_target(
    escalation_pm: Any, make_settings: Any, views: Any, text: str, trigger: str, target: str
) -> None:
    result = fired(escalation_pm, make_settings({}), views.conversation(), views.message(text))
    assert trigger in result
    assert result[trigger].target == target
    assert result[trigger].notify[0] == f"target:{target}"
    assert "the message says" in result[trigger].reason


def test_an_insights_topic_escalates_without_any_phrase(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    message = views.message("Please call me back about the incident with my son.")
    conversation = views.conversation(topic="safety")
    result = fired(escalation_pm, make_settings({}), conversation, message)
    assert result["content:safety"].raise_priority is Priority.URGENT
    assert "topic 'safety'" in result["content:safety"].reason


def test_the_stored_message_topics_count_too(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    message = views.message("Could someone from your press office call me?")
    stored = views.stored(message, topics=("media",))
    result = fired(
        escalation_pm, make_settings({}), views.conversation(messages=(stored,)), message
    )
    assert result["content:press"].target == "pr"


def test_a_custom_category_with_its_own_keywords(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    table = {"content": {"recall": {"keywords": ["recall*", "Rückruf"], "raise_priority": "high"}}}
    result = fired(
        escalation_pm,
        make_settings(table),
        views.conversation(),
        views.message("Is my kettle part of the RECALL?"),
    )
    assert result["content:recall"].target == "recall"
    assert result["content:recall"].raise_priority is Priority.HIGH


def test_a_disabled_or_public_only_category_does_not_fire(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    text = "My solicitor has the screenshots."
    off = make_settings({"content": {"legal": {"enabled": False}}})
    assert "content:legal" not in fired(
        escalation_pm, off, views.conversation(), views.message(text)
    )
    public_only = make_settings({"content": {"legal": {"public_only": True}}})
    private = views.message(text, visibility=Visibility.PRIVATE)
    assert "content:legal" not in fired(escalation_pm, public_only, views.conversation(), private)
    assert "content:legal" in fired(
        escalation_pm, public_only, views.conversation(), views.message(text)
    )


def test_the_target_table_adds_recipients_priority_and_queue(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    table = {
        "webhooks": {"legal": {"url": "https://hooks.example/legal"}},
        "email": {"host": "smtp.example", "from": "care@acme.example"},
        "targets": {
            "legal": {
                "notify": ["webhook:legal", "email:legal@acme.example"],
                "raise_priority": "urgent",
                "reassign_queue": "legal-review",
            }
        },
    }
    result = fired(
        escalation_pm,
        make_settings(table),
        views.conversation(),
        views.message("See you in court."),
    )
    request = result["content:legal"]
    assert request.notify == ("target:legal", "webhook:legal", "email:legal@acme.example")
    assert request.raise_priority is Priority.URGENT
    assert request.reassign_queue == "legal-review"


@pytest.mark.parametrize(
    ("followers", "verified", "sentiment", "visibility", "expected"),
    [
        (250_000, False, -0.6, Visibility.PUBLIC, True),
        (10_000, False, -0.3, Visibility.PUBLIC, True),
        (9_999, False, -0.9, Visibility.PUBLIC, False),
        (300, True, -0.5, Visibility.PUBLIC, True),
        (250_000, False, 0.4, Visibility.PUBLIC, False),
        (250_000, False, None, Visibility.PUBLIC, False),
        (250_000, False, -0.6, Visibility.PRIVATE, False),
    ],
)
def test_influence_needs_reach_negativity_and_an_audience(
    escalation_pm: Any,
    make_settings: Any,
    views: Any,
    followers: int,
    verified: bool,
    sentiment: float | None,
    visibility: Visibility,
    expected: bool,
) -> None:
    message = views.message(
        "Third time this month the app logs me out. Done with you.",
        followers=followers,
        verified=verified,
        visibility=visibility,
    )
    conversation = views.conversation(sentiment=sentiment, visibility=visibility)
    result = fired(escalation_pm, make_settings({}), conversation, message)
    assert ("influence" in result) is expected
    if expected:
        assert result["influence"].target == "pr"
        assert result["influence"].raise_priority is Priority.HIGH
        assert "@kim_r" in result["influence"].reason


def test_influence_falls_back_to_the_followers_the_core_knows(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    message = views.message("Worst service ever.", followers=None)
    conversation = views.conversation(sentiment=-0.8, author_followers=40_000)
    assert "influence" in fired(escalation_pm, make_settings({}), conversation, message)


@pytest.mark.parametrize(
    ("sentiment", "visibility", "table", "expected"),
    [
        (-0.75, Visibility.PUBLIC, {}, True),
        (-0.74, Visibility.PUBLIC, {}, False),
        (-0.95, Visibility.PRIVATE, {}, False),
        (-0.95, Visibility.PRIVATE, {"sentiment": {"public_only": False}}, True),
        (-0.5, Visibility.PUBLIC, {"sentiment": {"threshold": -0.4}}, True),
        (-0.95, Visibility.PUBLIC, {"sentiment": {"enabled": False}}, False),
    ],
)
def test_very_negative_sentiment(
    escalation_pm: Any,
    make_settings: Any,
    views: Any,
    sentiment: float,
    visibility: Visibility,
    table: dict[str, Any],
    expected: bool,
) -> None:
    message = views.message("Absolutely disgusting, never again.", visibility=visibility)
    stored = views.stored(message, sentiment=sentiment)
    # The message's own sentiment wins over the conversation's rolling value.
    conversation = views.conversation(sentiment=0.0, messages=(stored,), visibility=visibility)
    result = fired(escalation_pm, make_settings(table), conversation, message)
    assert ("sentiment:very_negative" in result) is expected


@pytest.mark.parametrize(("previous", "expected"), [(0, False), (1, False), (2, True), (5, True)])
def test_repeat_contact_on_the_third_conversation(
    escalation_pm: Any, make_settings: Any, views: Any, previous: int, expected: bool
) -> None:
    conversation = views.conversation(previous_conversations=previous, contact_name="Kim Reyes")
    result = fired(escalation_pm, make_settings({}), conversation, views.message("Hello again."))
    assert ("repeat_contact" in result) is expected
    if expected:
        assert (
            f"Kim Reyes is contacting us for the {previous + 1}" in result["repeat_contact"].reason
        )


def test_repeat_contact_threshold_is_configurable(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    settings = make_settings({"repeat_contact": {"min_conversations": 2}})
    conversation = views.conversation(previous_conversations=1)
    assert "repeat_contact" in fired(escalation_pm, settings, conversation, views.message("Hi"))


@pytest.mark.parametrize(
    "text",
    [
        "Put me through to a supervisor please",
        "Can I speak to someone in charge?",
        "Ich verlange Ihren Vorgesetzten.",
        "Je veux parler au responsable du magasin.",
    ],
)
def test_asking_for_a_manager(
    escalation_pm: Any, make_settings: Any, views: Any, text: str
) -> None:
    result = fired(escalation_pm, make_settings({}), views.conversation(), views.message(text))
    assert result["manager_request"].target == "supervisor"


def test_manager_phrases_can_be_extended_and_defaults_dropped(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    table = {"manager_request": {"phrases": ["team lead"], "use_default_phrases": False}}
    settings = make_settings(table)
    conversation = views.conversation()
    assert "manager_request" in fired(
        escalation_pm, settings, conversation, views.message("Get your team lead")
    )
    assert "manager_request" not in fired(
        escalation_pm, settings, conversation, views.message("Get your manager")
    )


def test_outbound_messages_and_deletions_never_escalate(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    text = "My lawyer says I should speak to your manager"
    conversation = views.conversation(sentiment=-0.9, previous_conversations=5)
    echo = views.message(text, direction=Direction.OUTBOUND)
    deleted = views.message(text, kind=MessageKind.DELETE)
    assert fired(escalation_pm, make_settings({}), conversation, echo) == {}
    assert fired(escalation_pm, make_settings({}), conversation, deleted) == {}


def test_a_plain_question_escalates_nothing(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    conversation = views.conversation(sentiment=-0.2, status=ConversationStatus.NEW)
    message = views.message("Hi! When does the spring sale start?")
    assert fired(escalation_pm, make_settings({}), conversation, message) == {}


def test_the_plugin_switched_off_returns_nothing(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    settings = make_settings({"enabled": False})
    message = views.message("I will sue you and tell every journalist")
    assert fired(escalation_pm, settings, views.conversation(), message) == {}


PHRASE_TEXTS = st.lists(
    st.sampled_from([*CATEGORY_PHRASES["legal"], *MANAGER_PHRASES, "refund", "thanks", "!", ""])
    | st.text(max_size=12),
    max_size=8,
).map(" ".join)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=PHRASE_TEXTS, private=st.booleans())
def test_the_phrases_found_while_enriching_fire_what_finding_them_here_fires(
    escalation_pm: Any, make_settings: Any, views: Any, text: str, private: bool
) -> None:
    """The plugin's enrichment (computed in an enrichment process, with ``[pipeline]
    enrich_processes``) carries the phrases the text says; given it, the hook fires exactly
    what it fires finding them itself."""
    settings_ = make_settings({"manager_request": {"enabled": True}})
    visibility = Visibility.PRIVATE if private else Visibility.PUBLIC
    message = views.message(text, visibility=visibility)
    (enrichment,) = escalation_pm.hook.careline_enrich_message(message=message, settings=settings_)
    assert SAID_ATTRIBUTE in enrichment.attributes
    conversation = views.conversation(visibility=visibility)
    with_enrichment = escalation_pm.hook.careline_escalate_on_message(
        conversation=conversation, message=message, settings=settings_, enrichment=enrichment
    )
    assert with_enrichment == fired_groups(escalation_pm, settings_, conversation, message)


def test_a_message_no_trigger_reads_is_not_enriched(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    outbound = views.message("my lawyer will call", direction=Direction.OUTBOUND)
    answers = escalation_pm.hook.careline_enrich_message(
        message=outbound, settings=make_settings({})
    )
    assert answers == []
    off = make_settings({"enabled": False})
    inbound = views.message("my lawyer will call")
    assert escalation_pm.hook.careline_enrich_message(message=inbound, settings=off) == []
