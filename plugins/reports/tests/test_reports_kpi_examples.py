"""One example per KPI rule a care leader relies on (docs/kpis.md), on SQLite and PostgreSQL.

Reports are taken from the plugin manager (``careline_register_reports``), as the CLI and the
web app take them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pluggy
import pytest
from careline import events
from careline.config import Settings
from careline.db import Database
from careline.reporting import Report, ReportParams
from careline.types import ReportResult
from careline_reports.eventlog import LoggedConversation, LoggedEvent, write_agents, write_event_log
from careline_reports.reports.base import SESSION_SETTINGS_KEY, CareReport
from sqlmodel import Session

MONDAY = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AGENTS = {1: "ann", 2: "bob"}


def at(minutes: float) -> datetime:
    return MONDAY + timedelta(minutes=minutes)


def opened(minutes: float = 0) -> list[LoggedEvent]:
    return [
        LoggedEvent(events.CONVERSATION_OPENED, at(minutes)),
        LoggedEvent(events.MESSAGE_RECEIVED, at(minutes)),
    ]


def reopened(minutes: float) -> list[LoggedEvent]:
    return [
        LoggedEvent(events.CONVERSATION_REOPENED, at(minutes), {"previous_status": "resolved"}),
        LoggedEvent(events.MESSAGE_RECEIVED, at(minutes)),
    ]


def message(minutes: float, sentiment: float | None = None) -> LoggedEvent:
    return LoggedEvent(events.MESSAGE_RECEIVED, at(minutes), sentiment=sentiment)


def reply(
    minutes: float, agent: int | None = 1, *, automated: bool = False, via: str = "careline"
) -> LoggedEvent:
    return LoggedEvent(events.REPLIED, at(minutes), {"automated": automated, "via": via}, agent)


def resolved(minutes: float, agent: int | None = 1) -> LoggedEvent:
    return LoggedEvent(events.RESOLVED, at(minutes), {}, agent)


def conversation(
    conversation_id: int, *log: LoggedEvent | list[LoggedEvent], **attributes: Any
) -> LoggedConversation:
    flat: list[LoggedEvent] = []
    for item in log:
        flat.extend(item if isinstance(item, list) else [item])
    attributes.setdefault("channel", "x")
    return LoggedConversation(id=conversation_id, events=tuple(flat), **attributes)


@pytest.fixture
def reports(careline_plugin_manager: Callable[..., pluggy.PluginManager]) -> dict[str, Report]:
    pm = careline_plugin_manager("careline-reports")
    return {
        report.name: report for group in pm.hook.careline_register_reports() for report in group
    }


@pytest.fixture
def compute(careline_db: Database, reports: dict[str, Report]) -> Callable[..., ReportResult]:
    with careline_db.engine.begin() as connection:
        write_agents(connection, AGENTS)

    def run(
        name: str, *log: LoggedConversation, settings: Settings | None = None, **params: Any
    ) -> ReportResult:
        with careline_db.engine.begin() as connection:
            write_event_log(connection, log)
        params.setdefault("since", MONDAY - timedelta(days=1))
        params.setdefault("until", MONDAY + timedelta(days=6))
        with Session(careline_db.engine) as session:
            if settings is not None:
                session.info[SESSION_SETTINGS_KEY] = settings
            return reports[name].compute(session, ReportParams(**params))

    return run


def test_the_plugin_registers_five_reports(reports: dict[str, Report]) -> None:
    assert sorted(reports) == ["agents", "channels", "overview", "topics", "volume"]
    assert all(isinstance(report, CareReport) and report.title for report in reports.values())


def test_bot_replies_do_not_count_as_first_response(compute: Callable[..., ReportResult]) -> None:
    result = compute(
        "overview", conversation(1, opened(), reply(1, None, automated=True), reply(12))
    )
    assert result.figures["first_response_time_mean_seconds"] == 12 * 60
    assert result.figures["replies"] == 1
    assert result.figures["automated_replies"] == 1


def test_an_echo_of_a_reply_sent_from_the_platform_app_is_a_first_response(
    compute: Callable[..., ReportResult],
) -> None:
    result = compute("overview", conversation(1, opened(), reply(7, None, via="echo")))
    assert result.figures["first_response_time_median_seconds"] == 7 * 60
    assert result.figures["response_rate"] == 1.0


def test_a_reopen_starts_a_new_cycle_with_its_own_first_response_and_resolution(
    compute: Callable[..., ReportResult],
) -> None:
    log = conversation(
        1, opened(), reply(10), resolved(30), reopened(120), reply(125), resolved(300)
    )
    figures = compute("overview", log).figures
    assert (figures["conversations"], figures["reopened"], figures["cycles"]) == (1, 1, 2)
    assert figures["first_response_time_mean_seconds"] == (10 + 5) / 2 * 60
    assert figures["resolution_time_mean_seconds"] == (30 + 180) / 2 * 60
    assert figures["first_contact_resolution_rate"] == 0.0


def test_ignored_conversations_are_left_out_of_times_and_sla_and_counted_apart(
    compute: Callable[..., ReportResult],
) -> None:
    ignored = conversation(2, opened(), LoggedEvent(events.IGNORED, at(1), {"reason": "retweet"}))
    unanswered = conversation(3, opened(5))
    answered = conversation(1, opened(), reply(20))
    figures = compute("overview", answered, ignored, unanswered, until=at(30)).figures
    assert figures["ignored"] == 1
    assert (figures["answered"], figures["unanswered"]) == (1, 1)
    assert figures["response_rate"] == 0.5
    assert figures["first_response_time_mean_seconds"] == 20 * 60
    assert figures["first_response_sla"] == 1.0  # the unanswered one is not yet due at `until`


def test_first_contact_resolution_needs_one_human_reply_and_no_reopen(
    compute: Callable[..., ReportResult],
) -> None:
    one_reply = conversation(1, opened(), reply(5), resolved(6))
    two_replies = conversation(2, opened(), reply(5), message(7), reply(8), resolved(9))
    bot_and_human = conversation(3, opened(), reply(1, None, automated=True), reply(5), resolved(6))
    figures = compute("overview", one_reply, two_replies, bot_and_human).figures
    assert figures["first_contact_resolution_rate"] == round(2 / 3, 4)


def test_reply_time_measures_each_customer_wait_from_its_first_message(
    compute: Callable[..., ReportResult],
) -> None:
    log = conversation(1, opened(), reply(4), message(10), message(11), reply(16), message(30))
    figures = compute("overview", log).figures
    # waits: 0→4 and 10→16; the last message is still waiting.
    assert figures["reply_time_mean_seconds"] == 5 * 60
    assert figures["reply_time_median_seconds"] == 4 * 60
    assert figures["reply_time_p90_seconds"] == 6 * 60


def test_sla_is_judged_against_the_priority_target(compute: Callable[..., ReportResult]) -> None:
    urgent_late = conversation(1, opened(), reply(20), resolved(60), priority="urgent")
    normal_fast = conversation(2, opened(), reply(20), resolved(60), priority="normal")
    low_waiting = conversation(3, opened(), priority="low")
    resolved_silently = conversation(4, opened(), resolved(300), priority="urgent")
    result = compute(
        "overview", urgent_late, normal_fast, low_waiting, resolved_silently, until=at(5 * 60)
    )
    sla = {row[0]: row[1:3] for row in result.tables[1].rows}
    # urgent: 15m target; low: 4h (waited 5h at `until`); resolved without reply: not judged.
    assert sla["first_response"] == (1, 2)
    # urgent: 4h target — the silent one took 5h; low: 72h not yet passed.
    assert sla["resolution"] == (2, 1)


def test_a_kpi_belongs_to_the_period_of_its_cycle_start(
    compute: Callable[..., ReportResult],
) -> None:
    before = conversation(1, opened(-120), reply(30))
    inside_answered_after = conversation(2, opened(60), reply(60 * 24 * 3))
    figures = compute("overview", before, inside_answered_after, since=at(0), until=at(120)).figures
    assert figures["cycles"] == 1
    assert figures["first_response_time_mean_seconds"] == 3 * 24 * 3600 - 3600
    assert figures["replies"] == 1  # counts of events go by their own time


def test_csat_vsat_and_survey_response_rate(compute: Callable[..., ReportResult]) -> None:
    def surveyed(conversation_id: int, score: int | None) -> LoggedConversation:
        log: list[LoggedEvent] = [
            *opened(),
            reply(5),
            resolved(6),
            LoggedEvent(events.CSAT_REQUESTED, at(7)),
        ]
        if score is not None:
            log.append(LoggedEvent(events.CSAT_RECEIVED, at(60), {"score": score}))
        return conversation(conversation_id, *log)

    figures = compute(
        "overview", surveyed(1, 5), surveyed(2, 4), surveyed(3, 2), surveyed(4, None)
    ).figures
    assert figures["csat_mean"] == round(11 / 3, 4)
    assert figures["csat_share"] == round(2 / 3, 4)
    assert figures["vsat_share"] == round(1 / 3, 4)
    assert figures["survey_response_rate"] == 0.75


def test_backlog_counts_conversations_open_at_the_end_of_the_period(
    compute: Callable[..., ReportResult],
) -> None:
    still_open = conversation(1, opened(), reply(5))
    resolved_later = conversation(2, opened(), resolved(600))
    closed = conversation(3, opened(), resolved(10))
    reopened_open = conversation(4, opened(), resolved(10), reopened(20))
    figures = compute(
        "overview", still_open, resolved_later, closed, reopened_open, until=at(300)
    ).figures
    assert figures["backlog"] == 3


def test_filters_narrow_to_channel_queue_source_and_assignee(
    compute: Callable[..., ReportResult],
) -> None:
    log = [
        conversation(1, opened(), channel="x", queue="care", source="owned", assignee_id=1),
        conversation(2, opened(), channel="facebook", queue="care", source="earned", assignee_id=2),
        conversation(3, opened(), channel="x", queue="vip", source="earned", assignee_id=2),
    ]
    assert compute("overview", *log).figures["conversations"] == 3
    for filters, expected in (
        ({"channel": "x"}, 2),
        ({"queue": "vip"}, 1),
        ({"source": "earned"}, 2),
        ({"agent_id": 2}, 2),
        ({"channel": "instagram"}, 0),
        ({"channel": "x", "source": "earned"}, 1),
    ):
        assert compute("overview", **filters).figures["conversations"] == expected, filters


def test_business_hours_durations_skip_the_weekend(
    compute: Callable[..., ReportResult], careline_settings: Settings
) -> None:
    careline_settings.data["business_hours"] = {
        "enabled": True,
        "timezone": "UTC",
        **{
            day: ["09:00-17:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
        },
    }
    careline_settings.data["sla"] = {"normal": {"first_response": "90m"}}
    friday_late = 4 * 24 * 60 + 7 * 60 + 30  # Friday 16:30
    monday_morning = 7 * 24 * 60 + 30  # Monday 09:30
    log = conversation(1, opened(friday_late), reply(monday_morning))
    figures = compute(
        "overview", log, settings=careline_settings, business_hours=True, until=at(8 * 24 * 60)
    ).figures
    assert figures["first_response_time_mean_seconds"] == (monday_morning - friday_late) * 60
    assert figures["first_response_time_business_mean_seconds"] == 3600
    assert figures["first_response_sla"] == 1.0  # 1h of open time against a 90m target


def test_configured_sla_targets_apply(
    compute: Callable[..., ReportResult], careline_settings: Settings
) -> None:
    careline_settings.data["sla"] = {"normal": {"first_response": "5m"}}
    log = conversation(1, opened(), reply(10))
    assert compute("overview", log).figures["first_response_sla"] == 1.0  # default 1h target
    unbound_default = compute("overview", settings=careline_settings).figures
    assert unbound_default["first_response_sla"] == 0.0  # the same log, against 5m


def test_agents_report_credits_the_first_responder(compute: Callable[..., ReportResult]) -> None:
    log = [
        conversation(1, opened(), reply(5, 1), reply(20, 2), resolved(30, 2)),
        conversation(2, opened(), reply(9, 2), resolved(40, 2)),
        conversation(3, opened(), reply(3, None, via="echo")),
    ]
    table = compute("agents", *log).tables[0]
    rows = {row[0]: dict(zip(table.columns, row, strict=True)) for row in table.rows}
    assert set(rows) == {"ann", "bob", "(no agent)"}
    assert (rows["ann"]["handled"], rows["ann"]["replies"]) == (1, 1)
    assert (rows["bob"]["handled"], rows["bob"]["replies"]) == (1, 2)
    assert rows["ann"]["first_response_time_mean_seconds"] == 5 * 60
    assert rows["bob"]["resolution_time_mean_seconds"] == 40 * 60
    assert rows["(no agent)"]["handled"] == 1


def test_channels_report_has_a_row_per_channel(compute: Callable[..., ReportResult]) -> None:
    log = [
        conversation(1, opened(), reply(5), channel="x"),
        conversation(2, opened(), reply(15), channel="facebook"),
        conversation(3, opened(), reply(25), channel="facebook"),
    ]
    result = compute("channels", *log)
    rows = {
        row[0]: dict(zip(result.tables[0].columns, row, strict=True))
        for row in result.tables[0].rows
    }
    assert rows["facebook"]["conversations"] == 2
    assert rows["facebook"]["first_response_time_mean_seconds"] == 20 * 60
    assert rows["x"]["first_response_time_median_seconds"] == 5 * 60
    # nearest rank: the median of two values is the lower one
    assert result.series[0].values["first_response_time_median_seconds"] == (15 * 60, 5 * 60)


def test_volume_heat_map_uses_the_report_time_zone(compute: Callable[..., ReportResult]) -> None:
    log = [conversation(1, opened(), message(60)), conversation(2, opened(), source="earned")]
    result = compute("volume", *log, timezone="Europe/Amsterdam")
    heat = next(s for s in result.series if s.kind == "heatmap")
    assert heat.values["Mon"][10] == 2  # 09:00 UTC is 10:00 in Amsterdam in winter
    assert heat.values["Mon"][11] == 1
    by_source = {row[0]: row[1:] for row in result.tables[1].rows}
    assert by_source["earned"][0] == 1 and by_source["owned"][2] == 2


def test_topics_report_ranks_topics_and_tags_with_their_change(
    compute: Callable[..., ReportResult],
) -> None:
    week_before = -7 * 24 * 60
    log = [
        conversation(1, opened(), topic="delivery", tags=("late", "vip")),
        conversation(2, opened(5), topic="delivery", tags=("late",)),
        conversation(3, opened(10), topic="billing"),
        conversation(4, opened(week_before), topic="delivery", tags=("late",)),
        conversation(
            5,
            opened(20),
            message(21, sentiment=-0.5),
            message(22, sentiment=0.3),
            LoggedEvent(events.ESCALATED, at(23), {"target": "pr", "reason": "influencer"}),
            LoggedEvent(events.ESCALATED, at(24), {"target": "legal", "reason": "threat"}),
        ),
        conversation(
            6,
            opened(30),
            LoggedEvent(events.ESCALATED, at(31), {"target": "pr", "reason": "influencer"}),
        ),
    ]
    result = compute("topics", *log, since=MONDAY, until=MONDAY + timedelta(days=7))
    topics, tags, escalations = (table.rows for table in result.tables)
    assert topics == (("delivery", 2, 1, 1.0), ("billing", 1, 0, None))
    assert tags == (("late", 2, 1, 1.0), ("vip", 1, 0, None))
    assert escalations == (("pr", "influencer", 2), ("legal", "threat", 1))
    trend, sentiment = result.series
    assert trend.values["delivery"][0] == 2
    assert sentiment.values["mean_sentiment"][0] == -0.1
    assert sentiment.values["mean_sentiment"][1] is None
    assert result.figures["mean_sentiment"] == -0.1
    assert result.figures["escalations"] == 3
    assert result.figures["conversations_with_topic"] == 3
