"""The [guidelines] table: validated at start-up, errors name the key."""

from __future__ import annotations

import pytest
from careline.config import ConfigError
from careline.types import ReplyTemplate, Severity
from careline_guidelines.config import guidelines_config


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ({"colour": "red"}, "guidelines.colour", "unknown key"),
        ({"rules": {"length": {"severity": "loud"}}}, "guidelines.rules.length.severity", "block"),
        (
            {"rules": {"tone": {"caps_ratio": 2}}},
            "guidelines.rules.tone.caps_ratio",
            "less than or equal to 1",
        ),
        (
            {"rules": {"duplicate": {"window": "soon"}}},
            "guidelines.rules.duplicate.window",
            "not a duration",
        ),
        (
            {"rules": {"banned_phrases": {"phrases": ["ok", " "]}}},
            "guidelines.rules.banned_phrases.phrases",
            "may not be empty",
        ),
        ({"rules": {"nonsense": {}}}, "guidelines.rules.nonsense", "unknown key"),
        ({"templates": {"x": {"title": "X"}}}, "guidelines.templates.x.body", "Field required"),
        (
            {"rules": {"required_elements": {"signature_visibilities": ["secret"]}}},
            "guidelines.rules.required_elements.signature_visibilities.0",
            "public",
        ),
    ],
)
def test_bad_configuration_fails_at_startup_naming_the_key(
    guidelines_pm, make_settings, table, key, message
):
    settings = make_settings(table)
    with pytest.raises(ConfigError) as caught:
        guidelines_pm.hook.careline_startup(settings=settings)
    assert caught.value.key == key
    assert message in str(caught.value)
    assert str(settings.config_path) in str(caught.value)


def test_defaults_are_valid_and_documented_severities(guidelines_pm, make_settings):
    settings = make_settings()
    guidelines_pm.hook.careline_startup(settings=settings)
    rules = guidelines_config(settings).rules
    assert rules.length.severity is Severity.BLOCK
    assert rules.banned_phrases.legal_severity is Severity.APPROVAL
    assert rules.tone.severity is Severity.WARN


def test_disabled_plugin_checks_and_lists_nothing(
    check, guidelines_pm, make_settings, make_conversation, agent
):
    settings = make_settings({"enabled": False})
    assert check("x" * 500 + " calm down", settings=settings) == []
    assert guidelines_pm.hook.careline_reply_templates(conversation=None, settings=settings) == []
    template = ReplyTemplate(id="t", title="T", body="Hi")
    rendered = guidelines_pm.hook.careline_render_template(
        template=template, conversation=make_conversation(), agent=agent, settings=settings
    )
    assert rendered is None


def test_every_rule_can_be_switched_off(check):
    text = "CALM DOWN!!! MAIL ANNA@EXAMPLE.ORG OR SEE BIT.LY/X " + "x" * 300
    assert check(text)
    rules = [
        "length",
        "personal_data_public",
        "customer_shared_personal_data",
        "banned_phrases",
        "required_elements",
        "links",
        "duplicate",
        "tone",
        "window",
    ]
    off = {"rules": {rule: {"enabled": False} for rule in rules}}
    assert check(text, config=off) == []
