"""``careline report``, the ``[reports]`` table and start-up validation."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pluggy
import pytest
from careline import events
from careline.config import ConfigError, Settings
from careline.db import Database
from careline_reports.eventlog import LoggedConversation, LoggedEvent, write_agents, write_event_log
from careline_reports.periods import parse_moment, parse_period
from click.testing import Result
from hypothesis import given
from hypothesis import strategies as st

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
PERIOD = ("--since", "2026-01-01", "--until", "2026-01-12")


def _log() -> list[LoggedConversation]:
    def at(minutes: int) -> datetime:
        return MONDAY + timedelta(minutes=minutes)

    answered = (
        LoggedEvent(events.CONVERSATION_OPENED, at(0)),
        LoggedEvent(events.MESSAGE_RECEIVED, at(0)),
        LoggedEvent(events.REPLIED, at(12), {"automated": False, "via": "careline"}, 1),
        LoggedEvent(events.RESOLVED, at(40), {}, 1),
    )
    waiting = (
        LoggedEvent(events.CONVERSATION_OPENED, at(30)),
        LoggedEvent(events.MESSAGE_RECEIVED, at(30)),
    )
    return [
        LoggedConversation(1, "x", answered, assignee_id=1, topic="delivery"),
        LoggedConversation(2, "facebook", waiting, assignee_id=2),
    ]


@pytest.fixture
def cli(
    careline_cli: Callable[..., Result],
    careline_db: Database,
    careline_settings: Settings,
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
) -> Callable[..., Result]:
    with careline_db.engine.begin() as connection:
        write_agents(connection, {1: "ann", 2: "bob"})
        write_event_log(connection, _log())
    environment = {"CARELINE_DATABASE_URL": careline_settings.database_url}

    def run(*args: str) -> Result:
        return careline_cli(*args, env=environment, pm=careline_plugin_manager("careline-reports"))

    return run


def test_report_list_names_every_report(cli: Callable[..., Result]) -> None:
    result = cli("report", "--list")
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.output.splitlines()] == [
        "agents",
        "channels",
        "overview",
        "topics",
        "volume",
    ]


def test_report_overview_as_text_shows_the_headline(cli: Callable[..., Result]) -> None:
    result = cli("report", "overview", *PERIOD, "--tz", "Europe/Amsterdam")
    assert result.exit_code == 0, result.output
    assert "Care overview" in result.output
    assert "2026-01-01 00:00 → 2026-01-12 00:00 (Europe/Amsterdam)" in result.output
    assert "12m 00s" in result.output  # the first response time
    assert "Backlog" in result.output


def test_report_json_to_a_file_with_filters(cli: Callable[..., Result], tmp_path: Path) -> None:
    out = tmp_path / "agents.json"
    result = cli(
        "report", "overview", *PERIOD, "--agent", "ann", "--format", "json", "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote {out}"
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["figures"]["conversations"] == 1
    assert data["figures"]["first_response_time_mean_seconds"] == 720
    assert data["parameters"]["agent_id"] == 1
    assert data["parameters"]["since"] == "2026-01-01T00:00:00+00:00"


@pytest.mark.parametrize(
    ("name", "fmt", "marker"),
    [
        ("volume", "html", "<svg"),
        ("channels", "csv", "# Channels"),
        ("topics", "text", "delivery"),
        ("agents", "text", "ann"),
    ],
)
def test_every_report_renders(cli: Callable[..., Result], name: str, fmt: str, marker: str) -> None:
    result = cli("report", name, *PERIOD, "--format", fmt, "--business-hours")
    assert result.exit_code == 0, result.output
    assert marker in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("report",), "name a report"),
        (("report", "nps"), "no report named 'nps'"),
        (("report", "overview", "--agent", "zed"), "no agent named 'zed'"),
        (("report", "overview", "--tz", "Mars/Olympus"), "unknown time zone"),
        (("report", "overview", "--since", "last tuesday"), "not a duration or a date"),
        (
            ("report", "overview", "--since", "2026-02-01", "--until", "2026-01-01"),
            "the period is empty",
        ),
    ],
)
def test_report_errors_are_one_clear_line(
    cli: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    result = cli(*args)
    assert result.exit_code != 0
    assert message in result.output
    assert "Traceback" not in result.output


def test_startup_rejects_a_bad_reports_table(
    careline_plugin_manager: Callable[..., pluggy.PluginManager], careline_settings: Settings
) -> None:
    pm = careline_plugin_manager("careline-reports")
    careline_settings.data["reports"] = {"top_topics": 0}
    with pytest.raises(ConfigError, match=r"reports\.top_topics"):
        pm.hook.careline_startup(settings=careline_settings)
    careline_settings._state.clear()
    careline_settings.data["reports"] = {"colour": "blue"}
    with pytest.raises(ConfigError, match=r"reports\.colour: unknown key"):
        pm.hook.careline_startup(settings=careline_settings)
    careline_settings._state.clear()
    careline_settings.data["reports"] = {"timezone": "Europe/Amsterdam", "default_period": "7d"}
    pm.hook.careline_startup(settings=careline_settings)


def test_the_reports_command_is_registered(
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
) -> None:
    import click

    group = click.Group("careline")
    careline_plugin_manager("careline-reports").hook.careline_register_commands(cli=group)
    assert "report" in group.commands


NOW = datetime(2026, 3, 29, 12, 0, tzinfo=UTC)


@given(days=st.integers(1, 3650), hours=st.integers(0, 23))
def test_a_duration_goes_back_from_now(days: int, hours: int) -> None:
    zone = ZoneInfo("Europe/Amsterdam")
    assert parse_moment(f"{days}d", now=NOW, zone=zone) == NOW - timedelta(days=days)
    assert parse_moment(f"{hours + 1}h", now=NOW, zone=zone) == NOW - timedelta(hours=hours + 1)


@given(
    day=st.dates(min_value=datetime(2000, 1, 1).date(), max_value=datetime(2100, 1, 1).date()),
    zone=st.sampled_from(["UTC", "Europe/Amsterdam", "America/New_York", "Asia/Kolkata"]),
)
def test_a_date_is_local_midnight(day: object, zone: str) -> None:
    moment = parse_moment(str(day), now=NOW, zone=ZoneInfo(zone))
    local = moment.astimezone(ZoneInfo(zone))
    assert (local.date(), local.hour, local.minute) == (day, 0, 0)
    assert moment.tzinfo is UTC


def test_period_defaults_and_offsets() -> None:
    zone = ZoneInfo("UTC")
    assert parse_period(None, None, now=NOW, zone=zone, default="30d") == (
        NOW - timedelta(days=30),
        NOW,
    )
    assert parse_moment("2026-03-01T10:00+02:00", now=NOW, zone=zone) == datetime(
        2026, 3, 1, 8, 0, tzinfo=UTC
    )
    with pytest.raises(ValueError, match="period is empty"):
        parse_period("now", "1d", now=NOW, zone=zone, default="30d")
