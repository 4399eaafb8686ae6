"""The agent's command line: agents, tokens, conversations, events, approvals, channels."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from careline.db import Database
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver_and_process


@pytest.fixture
def cli(
    careline_cli,
    careline_database_url,
    careline_plugin_manager,
    test_channel_plugin,
    careline_runtime,
):
    Database.from_url(careline_database_url).create_schema()
    pm = careline_plugin_manager(test_channel_plugin)
    env = {"CARELINE_DATABASE_URL": careline_database_url}

    def run(*args: str):
        return careline_cli(*args, env=env, pm=pm)

    run.runtime = careline_runtime()  # the same database, for delivering messages
    return run


def test_agents_and_tokens(cli) -> None:
    added = cli("agents", "add", "Jo Smith", "--role", "supervisor", "--languages", "en,de")
    assert added.exit_code == 0, added.output
    listed = cli("agents", "list")
    assert "Jo Smith" in listed.output
    assert "en,de" in listed.output
    token = cli("agents", "token", "create", "Jo Smith")
    clear = token.output.splitlines()[0]
    assert clear.startswith("cl_")
    assert "shown once" in token.output
    assert cli("agents", "token", "revoke", clear[:10]).exit_code == 0
    assert cli("agents", "add", "Jo Smith").exit_code != 0
    assert cli("agents", "disable", "Jo Smith").exit_code == 0
    assert "Jo Smith" not in cli("agents", "list").output


def test_conversation_lifecycle(cli, test_platform) -> None:
    deliver_and_process(
        cli.runtime, "testchannel", delivery(message("m1", text="where is my parcel?"))
    )
    cli("agents", "add", "Jo")
    listed = cli("conversations", "list")
    assert "#1" in listed.output
    shown = cli("conversations", "show", "1")
    assert "where is my parcel?" in shown.output
    assert "first response due" in shown.output
    assert cli("conversations", "assign", "1", "Jo").exit_code == 0
    preview = cli("conversations", "reply", "1", "Sorry! ^J", "--preview", "--as", "Jo")
    assert "queued" in preview.output
    assert test_platform.sent == []
    sent = cli("conversations", "reply", "1", "Sorry! ^J", "--as", "Jo")
    assert sent.exit_code == 0, sent.output
    assert [m.text for m in test_platform.sent] == ["Sorry! ^J"]
    assert cli("conversations", "note", "1", "refund issued").exit_code == 0
    assert (
        cli("conversations", "escalate", "1", "--to", "legal", "--reason", "threat").exit_code == 0
    )
    assert (
        cli("conversations", "follow-up", "1", "--in", "2w", "--note", "fix ships").exit_code == 0
    )
    assert cli("conversations", "resolve", "1").exit_code == 0
    assert cli("conversations", "csat", "1", "5").exit_code == 0
    assert cli("conversations", "resolve", "1").exit_code != 0
    assert cli("conversations", "reopen", "1").exit_code == 0
    assert cli("conversations", "pending", "1").exit_code == 0
    assert cli("conversations", "ignore", "1", "--reason", "thanks").exit_code == 0
    assert "ignored" in cli("conversations", "list", "--status", "ignored").output
    assert cli("escalations", "ack", "1").exit_code == 0
    assert cli("escalations", "resolve", "1").exit_code == 0
    assert "No conversations" not in cli("conversations", "list", "--json").output
    assert cli("conversations", "show", "99").exit_code != 0


def test_reply_refused_outside_window_exits_non_zero(cli) -> None:
    nine_days_ago = datetime.now(UTC) - timedelta(days=9)
    deliver_and_process(
        cli.runtime, "testchannel", delivery(message("d1", visibility="private", at=nine_days_ago))
    )
    result = cli("conversations", "reply", "1", "Hello?")
    assert result.exit_code == 1
    assert "window closed" in result.output


def test_events_list_and_replay(cli) -> None:
    deliver_and_process(cli.runtime, "testchannel", b'{"messages": [{"id": 1}]}')
    failed = cli("events", "list", "--failed")
    assert "failed" in failed.output
    assert "bad message" in failed.output
    replayed = cli("events", "replay", "--id", "1")
    assert "1 failed again" in replayed.output
    assert cli("events", "replay").exit_code != 0


def test_approvals_channels_notifications_and_worker(cli) -> None:
    assert "Nothing waits" in cli("approvals", "list").output
    assert "testchannel" in cli("channels", "list").output
    assert cli("channels", "reconnect", "testchannel").exit_code == 0
    assert cli("channels", "reconnect", "nochannel").exit_code != 0
    assert "No notifications" in cli("notifications", "list").output
    once = cli("worker", "--once")
    assert once.exit_code == 0
    assert "processed" in once.output
