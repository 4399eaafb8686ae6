"""required_elements: the agent's signature and a greeting by the customer's name."""

from __future__ import annotations

import pytest
from careline.types import AgentView, Role, Severity, Visibility

SIGN = {"rules": {"required_elements": {"require_signature": True}}}
GREET = {"rules": {"required_elements": {"require_greeting_name": True}}}


def required(findings):
    return [f for f in findings if f.rule == "required_elements"]


@pytest.mark.parametrize(
    "text",
    [
        "Hi Anna, on its way ^JS",
        "Hi Anna, on its way -JS",
        "Hi Anna, on its way - JS",
        "^js Hi Anna",
    ],
)
def test_signed_replies_pass(check, text):
    assert required(check(text, config=SIGN)) == []


@pytest.mark.parametrize(
    "text", ["Hi Anna, on its way", "Hi Anna ^JSX", "Hi Anna ^AB", "Hi Anna, JS"]
)
def test_unsigned_replies_are_told_how_to_sign(check, text):
    [finding] = required(check(text, config=SIGN))
    assert finding.severity is Severity.WARN
    assert '"^JS"' in finding.message
    assert finding.span == (len(text), len(text))


def test_initials_come_from_the_name_when_not_set(check):
    agent = AgentView(id=4, name="Maria del Carmen", role=Role.AGENT)
    assert required(check("Hi Anna ^MDC", config=SIGN, agent=agent)) == []
    assert '"^MDC"' in required(check("Hi Anna", config=SIGN, agent=agent))[0].message


def test_automated_replies_without_agent_need_no_signature(check):
    assert required(check("Hi Anna", config=SIGN, agent=None, automated=True)) == []
    assert required(check("Hi Anna", config=SIGN, agent=None))


def test_signature_only_where_configured(check):
    config = {
        "rules": {
            "required_elements": {
                "require_signature": True,
                "signature_visibilities": ["public"],
                "signature_channels": ["testchannel"],
                "severity": "block",
            }
        }
    }
    assert required(check("Hi Anna", config=config))[0].severity is Severity.BLOCK
    assert required(check("Hi Anna", config=config, visibility=Visibility.PRIVATE)) == []
    other = {
        "rules": {
            "required_elements": {"require_signature": True, "signature_channels": ["twitter"]}
        }
    }
    assert required(check("Hi Anna", config=other)) == []


@pytest.mark.parametrize(
    "text", ["Hi Anna, on its way", "@anna_s Anna, sorry!", "Dear ANNA SCHMIDT, sorry"]
)
def test_greetings_by_name_pass(check, text):
    assert required(check(text, config=GREET)) == []


@pytest.mark.parametrize(
    "text", ["Hi there, on its way", "Hi, we wrote to anna@example.org", "Hi Annabelle"]
)
def test_missing_greeting_by_name(check, text):
    [finding] = required(check(text, config=GREET))
    assert '"Hi Anna, …"' in finding.message


def test_greeting_uses_the_handle_when_the_name_is_unknown(check, make_conversation):
    anonymous = make_conversation(contact_name=None)
    assert required(check("@anna_s thanks, on its way", config=GREET, conversation=anonymous)) == []
    assert required(check("Thanks, on its way", config=GREET, conversation=anonymous))


def test_nobody_to_greet_by_name(check, make_conversation):
    unknown = make_conversation(contact_name=None, contact_handle=None)
    assert required(check("Thanks, on its way", config=GREET, conversation=unknown)) == []


def test_nothing_is_required_by_default(check):
    assert required(check("ok")) == []
