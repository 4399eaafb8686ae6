"""The ``[escalation]`` table: defaults, and clear errors naming the key at start-up."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from careline.config import ConfigError, load_settings
from careline.types import Priority
from careline_escalation.config import EscalationConfig
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def test_defaults_enable_every_trigger_with_sensible_values() -> None:
    config = EscalationConfig.model_validate({})
    assert sorted(config.content) == ["hr", "legal", "press", "safety"]
    assert config.content["legal"].target == "legal"
    assert config.content["safety"].raise_priority is Priority.URGENT
    assert config.influence.min_followers == 10_000
    assert config.sentiment.threshold == -0.75
    assert config.repeat_contact.min_conversations == 3
    assert config.sla.warn.at_percent == 80
    assert config.sla.reassign.after.total_seconds() == 1800
    assert config.reopen.enabled is False
    assert config.webhooks == {}
    assert config.email is None


def test_a_category_table_changes_only_the_keys_it_names() -> None:
    config = EscalationConfig.model_validate(
        {"content": {"legal": {"keywords": ["ombudsman"]}, "recall": {"keywords": ["recall"]}}}
    )
    assert config.content["legal"].target == "legal"
    assert config.content["legal"].keywords == ["ombudsman"]
    assert config.content["recall"].target == "recall"
    assert config.content["recall"].topics == ["recall"]
    assert "press" in config.content


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        ({"sentiment": {"treshold": -0.5}}, "escalation.sentiment.treshold", "unknown key"),
        ({"influence": {"raise_priority": "asap"}}, "escalation.influence.raise_priority", ""),
        ({"sla": {"warn": {"at_percent": 120}}}, "escalation.sla.warn.at_percent", "100"),
        ({"sla": {"reassign": {"after": "soon"}}}, "escalation.sla.reassign.after", "duration"),
        ({"sla": {"targets": ["first_reply"]}}, "escalation.sla.targets.0", ""),
        (
            {"content": {"legal": {"keywords": ["  "]}}},
            "escalation.content.legal.keywords",
            "blank",
        ),
        (
            {"targets": {"legal": {"notify": ["legal@acme"]}}},
            "escalation.targets.legal.notify",
            "recipient",
        ),
        (
            {"targets": {"legal": {"notify": ["agent:bob"]}}},
            "escalation.targets.legal.notify",
            "agent",
        ),
        (
            {"targets": {"legal": {"notify": ["webhook:legal"]}}},
            "escalation.targets.legal.notify",
            "no webhook named 'legal'",
        ),
        (
            {"targets": {"legal": {"notify": ["email:legal@acme.example"]}}},
            "escalation.targets.legal.notify",
            "[escalation.email]",
        ),
        ({"webhooks": {"ops": {"url": "ftp://x"}}}, "escalation.webhooks.ops.url", "http"),
        ({"webhooks": {"ops": {}}}, "escalation.webhooks.ops.url", "required"),
        (
            {"webhooks": {"ops": {"url": "https://x", "format": "teams"}}},
            "escalation.webhooks.ops.format",
            "",
        ),
        (
            {"webhooks": {"ops": {"url": "https://x", "recipients": ["role: supervisor"]}}},
            "escalation.webhooks.ops.recipients",
            "pattern",
        ),
        ({"email": {"host": "smtp.x", "from": "careline"}}, "escalation.email.from", "e-mail"),
        (
            {"email": {"host": "smtp.x", "from": "c@x.example", "username": "c"}},
            "escalation.email.password",
            "password",
        ),
    ],
)
def test_bad_configuration_fails_at_startup_naming_the_key(
    escalation_pm: Any, make_settings: Any, table: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        escalation_pm.hook.careline_startup(settings=make_settings(table))
    assert raised.value.key is not None
    assert raised.value.key.startswith(key)
    assert message in str(raised.value)


def test_an_unset_environment_variable_is_named(escalation_pm: Any, make_settings: Any) -> None:
    table = {"webhooks": {"legal": {"url": "https://hooks.example/x", "secret": "$env:LEGAL_HOOK"}}}
    with pytest.raises(ConfigError, match="LEGAL_HOOK is not set") as raised:
        escalation_pm.hook.careline_startup(settings=make_settings(table))
    assert raised.value.key == "escalation.webhooks.legal.secret"
    escalation_pm.hook.careline_startup(settings=make_settings(table, env={"LEGAL_HOOK": "k"}))


def test_a_literal_secret_in_the_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "careline.toml").write_text(
        '[escalation.webhooks.legal]\nurl = "https://hooks.example/x"\nsecret = "hunter2"\n'
    )
    with pytest.raises(ConfigError, match=r"\$env:NAME") as raised:
        load_settings(tmp_path)
    assert raised.value.key == "escalation.webhooks.legal.secret"


def test_doubtful_choices_are_logged_at_startup(
    escalation_pm: Any, make_settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    table = {
        "webhooks": {"ops": {"url": "https://hooks.example/x"}},
        "email": {"host": "smtp.x", "from": "c@x.example", "security": "none"},
    }
    with caplog.at_level(logging.WARNING, logger="careline.escalation"):
        escalation_pm.hook.careline_startup(settings=make_settings(table))
    text = caplog.text
    assert "webhook 'ops' receives nothing" in text
    assert "webhook 'ops' is not signed" in text
    assert "without TLS" in text


sections = st.sampled_from(
    ["", "influence", "sentiment", "repeat_contact", "manager_request", "reopen", "sla", "sla.warn"]
)
names = st.from_regex(r"[a-z][a-z_]{2,12}", fullmatch=True)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(section=sections, name=names)
def test_any_unknown_key_is_reported_with_its_full_path(
    escalation_pm: Any, make_settings: Any, section: str, name: str
) -> None:
    known = set(EscalationConfig.model_fields) | {
        "min_followers",
        "verified",
        "max_sentiment",
        "public_only",
        "target",
        "raise_priority",
        "threshold",
        "min_conversations",
        "phrases",
        "use_default_phrases",
        "targets",
        "warn",
        "breach",
        "reassign",
        "at_percent",
        "notify",
        "enabled",
    }
    if name in known:
        return
    table: dict[str, Any] = {name: 1}
    for part in reversed([p for p in section.split(".") if p]):
        table = {part: table}
    with pytest.raises(ConfigError, match="unknown key") as raised:
        escalation_pm.hook.careline_startup(settings=make_settings(table))
    assert raised.value.key == ".".join(p for p in ["escalation", section, name] if p)
