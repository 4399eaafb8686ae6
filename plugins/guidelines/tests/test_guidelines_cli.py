"""careline guidelines check / templates, on a real instance and database."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import click
import pytest
from careline.models import Agent, Contact, Conversation, Identity, Message
from careline.types import Direction, Visibility

POSTED = "@acme my order never came, email me at anna@example.org"


@pytest.fixture
def instance(
    careline_db, careline_settings, careline_home, careline_plugin_manager, test_channel_plugin
):
    """An instance with Anna's public conversation and agent Jane (^JS); returns (id, run)."""
    now = datetime.now(UTC)  # the CLI runs on the system clock
    (careline_home / "careline.toml").open("a").write(
        '\n[guidelines.rules.links]\nallowed_domains = ["acme.com"]\n'
        '\n[guidelines.templates.late_order]\ntitle = "Late order"\n'
        'body = "Hi {{ customer.first_name }}, sorry your order is late. {{ agent.signature }}"\n'
        'topics = ["delivery"]\n'
    )
    with careline_db.session() as session:
        contact = Contact(name="Anna Schmidt", created_at=now)
        session.add(contact)
        session.flush()
        session.add(
            Identity(
                contact_id=contact.id, channel="testchannel", external_id="u1", handle="anna_s"
            )
        )
        agent = Agent(name="jane", initials="JS")
        session.add(agent)
        session.flush()
        conversation = Conversation(
            channel="testchannel",
            account="brand",
            thread_key="t1",
            visibility=Visibility.PUBLIC,
            contact_id=contact.id,
            created_at=now,
            updated_at=now,
            last_inbound_at=now,
            assignee_id=agent.id,
            topic="delivery",
            language="en",
        )
        session.add(conversation)
        session.flush()
        start = POSTED.index("anna@")
        session.add(
            Message(
                conversation_id=conversation.id,
                channel="testchannel",
                account="brand",
                external_id="m1",
                direction=Direction.INBOUND,
                visibility=Visibility.PUBLIC,
                text=POSTED,
                created_at=now - timedelta(minutes=5),
                personal_data=[
                    {"kind": "email", "start": start, "end": start + len("anna@example.org")}
                ],
            )
        )
        conversation_id = conversation.id
    pm = careline_plugin_manager("careline-guidelines", "careline-insights", test_channel_plugin)
    return conversation_id, pm


def test_check_prints_findings_with_the_span_underlined(careline_cli, careline_settings, instance):
    conversation_id, pm = instance
    env = {"CARELINE_DATABASE_URL": careline_settings.database_url}
    draft = "Hi Anna, we wrote to anna@example.org, see evil.io/x ^JS"
    result = careline_cli(
        "guidelines", "check", draft, "--conversation", str(conversation_id), env=env, pm=pm
    )
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith(
        "block    personal_data_public: This public reply contains an e-mail address"
    )
    assert lines[1] == "    " + draft
    assert lines[2] == "    " + " " * draft.index("anna@") + "^" * len("anna@example.org")
    assert any(
        line.startswith("block    links: evil.io is not one of the brand's domains")
        for line in lines
    )
    assert lines[-1].endswith("this reply would be blocked.")


def test_check_as_json_and_private(careline_cli, careline_settings, instance):
    conversation_id, pm = instance
    env = {"CARELINE_DATABASE_URL": careline_settings.database_url}
    result = careline_cli(
        "guidelines",
        "check",
        "Thanks Anna, we wrote to anna@example.org ^JS",
        "--conversation",
        str(conversation_id),
        "--private",
        "--agent",
        "jane",
        "--json",
        env=env,
        pm=pm,
    )
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["visibility"] == "private"
    assert document["verdict"] == "ok"
    assert [f["rule"] for f in document["findings"]] == []


def test_check_a_clean_reply(careline_cli, careline_settings, instance):
    conversation_id, pm = instance
    env = {"CARELINE_DATABASE_URL": careline_settings.database_url}
    result = careline_cli(
        "guidelines",
        "check",
        "Hi Anna, so sorry! Please send us a DM with your order number. ^JS",
        "--conversation",
        str(conversation_id),
        env=env,
        pm=pm,
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "0 findings: this reply can be sent."


def test_check_unknown_conversation_and_agent_are_one_line_errors(
    careline_cli, careline_settings, instance
):
    conversation_id, pm = instance
    env = {"CARELINE_DATABASE_URL": careline_settings.database_url}
    result = careline_cli("guidelines", "check", "Hi", "--conversation", "999", env=env, pm=pm)
    assert result.exit_code != 0
    assert "no conversation with id 999" in result.output
    result = careline_cli(
        "guidelines",
        "check",
        "Hi",
        "--conversation",
        str(conversation_id),
        "--agent",
        "bob",
        env=env,
        pm=pm,
    )
    assert result.exit_code != 0
    assert "no agent called 'bob'" in result.output


def test_templates_lists_and_renders_for_a_conversation(careline_cli, careline_settings, instance):
    conversation_id, pm = instance
    env = {"CARELINE_DATABASE_URL": careline_settings.database_url}
    result = careline_cli(
        "guidelines", "templates", "--conversation", str(conversation_id), env=env, pm=pm
    )
    assert result.exit_code == 0, result.output
    assert "late_order — Late order (any language, topics: delivery)" in result.output
    assert "    Hi Anna, sorry your order is late. ^JS" in result.output
    listing = careline_cli("guidelines", "templates", "--json", env=env, pm=pm)
    ids = [template["id"] for template in json.loads(listing.output)]
    assert ids == ["apology_dm", "order_number_dm", "thanks", "outage", "late_order"]


def test_careline_register_commands_adds_the_guidelines_group(guidelines_pm):
    group = click.Group("careline")
    guidelines_pm.hook.careline_register_commands(cli=group)
    assert sorted(group.commands["guidelines"].commands) == ["check", "templates"]
