"""Every KPI computed in SQL equals a plain-Python reference computed from the generated log.

Hypothesis generates conversations with random cycles (opened, customer messages, human, bot and
echo replies, resolves, ignores, reopens, CSAT), writes them to the real database (SQLite and
PostgreSQL through ``careline_database_url``) and compares every figure with the reference
below, which follows docs/kpis.md and never reads the database.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from careline import events
from careline.business_hours import BusinessHours
from careline.db import Database
from careline.reporting import ReportParams
from careline.testing.databases import reset_database
from careline.types import Priority
from careline_reports.eventlog import LoggedConversation, LoggedEvent, write_agents, write_event_log
from careline_reports.kpis import compute_cycle_kpis
from careline_reports.measures import BUSINESS, CALENDAR
from careline_reports.sql.activity import activity_totals, backlog
from careline_reports.sql.buckets import DAY, HOUR_OF_WEEK, bucketed_sums
from careline_reports.sql.statistics import DurationStats
from careline_reports.targets import FIRST_RESPONSE, RESOLUTION, KpiSettings, SlaTarget
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

T0 = datetime(2026, 3, 23, 6, 0, tzinfo=UTC)  # a Monday; Europe's DST change (29 March) follows
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
AGENTS = {1: "ann", 2: "bob", 3: "cy"}
ZONES = ("UTC", "Asia/Tokyo", "Europe/Amsterdam", "Asia/Kolkata", "Australia/Adelaide")
ACTIONS = (
    "in",
    "in",
    "human",
    "human",
    "bot",
    "echo",
    "resolve",
    "ignore",
    "reopen",
    "csat_request",
    "csat",
)
HOURS = BusinessHours.from_config(
    {
        "enabled": True,
        "timezone": "Europe/Amsterdam",
        **{day: ["09:00-12:30", "13:30-17:00"] for day in ("monday", "tuesday", "wednesday")},
        "thursday": ["09:00-17:00"],
        "friday": ["10:00-16:00"],
        "holidays": ["2026-03-27"],
    }
)
KPI_SETTINGS = KpiSettings(
    sla={
        Priority.URGENT: SlaTarget(15 * 60, 4 * 3600, business_hours=True),
        Priority.HIGH: SlaTarget(30 * 60, 8 * 3600, business_hours=True),
        Priority.NORMAL: SlaTarget(3600, 24 * 3600),
        Priority.LOW: SlaTarget(4 * 3600, None),
    },
    working_time=HOURS,
)
SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


# --- generating a log --------------------------------------------------------------------------
def _event(kind: str, at: datetime, agent: int | None = None, **data: Any) -> LoggedEvent:
    return LoggedEvent(kind, at, data, agent)


@st.composite
def conversations(draw: st.DrawFn, conversation_id: int) -> LoggedConversation:
    """One conversation whose events follow the status rules of the pipeline."""
    start = T0 + timedelta(seconds=draw(st.integers(0, 10 * 86400)))
    start = start.replace(microsecond=draw(st.integers(0, 999_999)))
    steps = draw(
        st.lists(
            st.tuples(
                st.sampled_from(ACTIONS),
                st.integers(1, 30 * 3600),
                st.integers(0, 999_999),
                st.sampled_from([None, 1, 2, 3]),
                st.integers(1, 5),
            ),
            max_size=12,
        )
    )
    log = [_event(events.CONVERSATION_OPENED, start), _event(events.MESSAGE_RECEIVED, start)]
    state, at = "open", start
    for action, gap, micro, agent, score in steps:
        at = (at + timedelta(seconds=gap)).replace(microsecond=micro)
        if action == "in" and state == "open":
            log.append(_event(events.MESSAGE_RECEIVED, at))
        elif action == "human":
            log.append(_event(events.REPLIED, at, agent or 1, automated=False, via="careline"))
        elif action == "echo":
            log.append(_event(events.REPLIED, at, None, automated=False, via="echo"))
        elif action == "bot":
            log.append(_event(events.REPLIED, at, None, automated=True, via="careline"))
        elif action in ("resolve", "ignore") and state == "open":
            kind = events.RESOLVED if action == "resolve" else events.IGNORED
            log.append(_event(kind, at, agent))
            state = "resolved" if action == "resolve" else "ignored"
        elif action == "reopen" and state != "open":
            log.append(_event(events.CONVERSATION_REOPENED, at, previous_status=state))
            log.append(_event(events.MESSAGE_RECEIVED, at))
            state = "open"
        elif action == "csat_request" and state == "resolved":
            log.append(_event(events.CSAT_REQUESTED, at))
        elif action == "csat":
            log.append(_event(events.CSAT_RECEIVED, at, score=score))
    return LoggedConversation(
        id=conversation_id,
        channel=draw(st.sampled_from(["x", "facebook", "instagram"])),
        source=draw(st.sampled_from(["owned", "earned"])),
        priority=draw(st.sampled_from([p.value for p in Priority])),
        queue=draw(st.sampled_from([None, "care", "vip"])),
        assignee_id=draw(st.sampled_from([None, 1, 2, 3])),
        events=tuple(log),
    )


@st.composite
def event_logs(draw: st.DrawFn) -> list[LoggedConversation]:
    count = draw(st.integers(0, 7))
    return [draw(conversations(n + 1)) for n in range(count)]


@st.composite
def report_params(draw: st.DrawFn) -> ReportParams:
    since = T0 + timedelta(seconds=draw(st.integers(-86400, 6 * 86400)))
    until = since + timedelta(seconds=draw(st.integers(3600, 10 * 86400)))
    filters = draw(
        st.sampled_from(
            [{}, {}, {"channel": "x"}, {"queue": "care"}, {"source": "earned"}, {"agent_id": 2}]
        )
    )
    return ReportParams(
        since=since,
        until=until,
        timezone=draw(st.sampled_from(ZONES)),
        business_hours=draw(st.booleans()),
        **filters,
    )


def _write(database: Database, log: list[LoggedConversation]) -> None:
    reset_database(database.engine)
    with database.engine.begin() as connection:
        write_agents(connection, AGENTS)
        write_event_log(connection, log)


# --- the reference, from docs/kpis.md ------------------------------------------------------------
def seconds(moment: datetime) -> int:
    return (moment.replace(microsecond=0) - EPOCH) // timedelta(seconds=1)


def open_seconds(start: datetime, end: datetime) -> int:
    return int(
        HOURS.elapsed(start.replace(microsecond=0), end.replace(microsecond=0)).total_seconds()
    )


@dataclass
class Cycle:
    conversation: LoggedConversation
    start: LoggedEvent
    events: list[LoggedEvent] = field(default_factory=list)

    @property
    def human_replies(self) -> list[LoggedEvent]:
        return [e for e in self.events if e.type == events.REPLIED and not e.data["automated"]]

    @property
    def first_reply(self) -> LoggedEvent | None:
        return next(iter(self.human_replies), None)

    @property
    def resolved(self) -> datetime | None:
        return next((e.at for e in self.events if e.type == events.RESOLVED), None)

    @property
    def ignored(self) -> bool:
        return any(e.type == events.IGNORED for e in self.events)

    def waits(self) -> list[tuple[datetime, datetime]]:
        answered, waiting = [], None
        for e in [self.start, *self.events]:
            if e.type == events.MESSAGE_RECEIVED and waiting is None:
                waiting = e.at
            elif e in self.human_replies and waiting is not None:
                answered.append((waiting, e.at))
                waiting = None
        return answered


def matches(conversation: LoggedConversation, params: ReportParams) -> bool:
    return (
        params.channel in (None, conversation.channel)
        and params.queue in (None, conversation.queue)
        and params.source in (None, conversation.source)
        and params.agent_id in (None, conversation.assignee_id)
    )


def cycles_of(conversation: LoggedConversation) -> list[Cycle]:
    cycles: list[Cycle] = []
    for e in conversation.events:
        if e.type in (events.CONVERSATION_OPENED, events.CONVERSATION_REOPENED):
            cycles.append(Cycle(conversation, e))
        else:
            cycles[-1].events.append(e)
    return cycles


def group_of(cycle: Cycle, group_key: str) -> str:
    if group_key == "channel":
        return cycle.conversation.channel
    if group_key == "agent":
        first = cycle.first_reply
        return "" if first is None or first.agent_id is None else str(first.agent_id)
    return ""


def reference_kpis(
    log: list[LoggedConversation], params: ReportParams, group_key: str
) -> dict[str, dict[str, Any]]:
    groups: dict[str, dict[str, Any]] = defaultdict(
        lambda: {
            "counts": Counter(),
            "durations": defaultdict(list),
            "sla": defaultdict(lambda: [0, 0]),
        }
    )
    until = params.until
    for conversation in log:
        if not matches(conversation, params):
            continue
        all_cycles = cycles_of(conversation)
        for cycle in all_cycles:
            if not params.since <= cycle.start.at < until:
                continue
            g = groups[group_of(cycle, group_key)]
            counts = g["counts"]
            reopened = cycle.start.type == events.CONVERSATION_REOPENED
            counts["cycles"] += 1
            counts["opened" if not reopened else "reopened"] += 1
            csat = [e.data["score"] for e in cycle.events if e.type == events.CSAT_RECEIVED]
            counts["csat_responses"] += len(csat)
            counts["csat_score_sum"] += sum(csat)
            counts["csat_satisfied"] += sum(1 for s in csat if s >= 4)
            counts["csat_very_satisfied"] += sum(1 for s in csat if s == 5)
            counts["csat_requested"] += sum(
                1 for e in cycle.events if e.type == events.CSAT_REQUESTED
            )
            if cycle.ignored:
                counts["ignored"] += 1
                continue
            start, first, resolved = cycle.start.at, cycle.first_reply, cycle.resolved
            counts["answered"] += first is not None
            counts["resolved"] += resolved is not None
            if not reopened and resolved is not None:
                counts["first_contact_base"] += 1
                if len(all_cycles) == 1 and len(cycle.human_replies) == 1:
                    counts["first_contact_resolved"] += 1
            durations = g["durations"]
            if first is not None:
                durations[("first_response", CALENDAR)].append(seconds(first.at) - seconds(start))
                durations[("first_response", BUSINESS)].append(open_seconds(start, first.at))
            if resolved is not None:
                durations[("resolution", CALENDAR)].append(seconds(resolved) - seconds(start))
                durations[("resolution", BUSINESS)].append(open_seconds(start, resolved))
            for waited_from, reply_at in cycle.waits():
                durations[("reply", CALENDAR)].append(seconds(reply_at) - seconds(waited_from))
                durations[("reply", BUSINESS)].append(open_seconds(waited_from, reply_at))
            target = KPI_SETTINGS.sla[Priority(conversation.priority)]

            for name, answer, still_waiting in (
                (FIRST_RESPONSE, first.at if first else None, resolved is None),
                (RESOLUTION, resolved, True),
            ):
                limit = target.seconds(name)
                if limit is None:
                    continue
                if answer is not None:
                    g["sla"][name][0 if measure(target, start, answer) <= limit else 1] += 1
                elif still_waiting and measure(target, start, until) > limit:
                    g["sla"][name][1] += 1
    return groups


def measure(target: SlaTarget, start: datetime, end: datetime) -> int:
    """SLA time: open time when the target counts business hours, else calendar time."""
    return open_seconds(start, end) if target.business_hours else seconds(end) - seconds(start)


def stats(values: list[int]) -> DurationStats:
    """Nearest rank, written out independently of the product code."""
    if not values:
        return DurationStats()
    ordered = sorted(values)
    n = len(ordered)

    def rank(p: int) -> int:
        r = 1
        while r * 100 < p * n:
            r += 1
        return ordered[r - 1]

    return DurationStats(n, round(sum(ordered) / n, 3), rank(50), rank(90))


# --- the properties ----------------------------------------------------------------------------
@pytest.mark.parametrize("group_key", ["all", "channel", "agent"])
@SETTINGS
@given(log=event_logs(), params=report_params())
def test_cycle_kpis_equal_the_reference(
    careline_db: Database, group_key: str, log: list[LoggedConversation], params: ReportParams
) -> None:
    _write(careline_db, log)
    with Session(careline_db.engine) as session:
        computed = compute_cycle_kpis(session, params, KPI_SETTINGS, group_key)
    expected = reference_kpis(log, params, group_key)
    assert set(computed) == set(expected)
    for group, reference in expected.items():
        kpis = computed[group]
        for name, value in kpis.counts.items():
            if name.endswith(("_sla_met", "_sla_breached")):
                continue
            assert value == reference["counts"][name], (group, name)
        for metric in ("first_response", "reply", "resolution"):
            bases = (CALENDAR, BUSINESS) if params.business_hours else (CALENDAR,)
            for basis in bases:
                assert kpis.duration(metric, basis) == stats(
                    reference["durations"][(metric, basis)]
                ), (group, metric, basis)
        for target in (FIRST_RESPONSE, RESOLUTION):
            met, breached = reference["sla"][target]
            assert (kpis.sla[target].met, kpis.sla[target].breached) == (met, breached), target


@SETTINGS
@given(log=event_logs(), params=report_params())
def test_activity_backlog_and_local_buckets_equal_the_reference(
    careline_db: Database, log: list[LoggedConversation], params: ReportParams
) -> None:
    _write(careline_db, log)
    zone = ZoneInfo(params.timezone)
    kinds = Counter()
    by_hour: Counter[tuple[int, int]] = Counter()
    by_day: Counter[Any] = Counter()
    open_at_until = 0
    for conversation in log:
        if not matches(conversation, params):
            continue
        last_start = last_end = None
        for e in conversation.events:
            if e.at < params.until:
                if e.type in (events.CONVERSATION_OPENED, events.CONVERSATION_REOPENED):
                    last_start = e.at
                elif e.type in (events.RESOLVED, events.IGNORED):
                    last_end = e.at
            if not params.since <= e.at < params.until:
                continue
            if e.type == events.REPLIED:
                kinds["automated_replies" if e.data["automated"] else "replies"] += 1
            elif e.type == events.MESSAGE_RECEIVED:
                kinds["inbound_messages"] += 1
                local = e.at.astimezone(zone)
                by_hour[(local.weekday(), local.hour)] += 1
                by_day[local.date()] += 1
            elif e.type == events.CONVERSATION_OPENED:
                kinds["opened"] += 1
            elif e.type == events.CONVERSATION_REOPENED:
                kinds["reopened"] += 1
        open_at_until += last_start is not None and (last_end is None or last_start > last_end)
    from careline_reports.sql.activity import activity

    with Session(careline_db.engine) as session:
        totals = activity_totals(session, params).get((), {})
        assert {k: v for k, v in totals.items() if v} == dict(+kinds)
        assert backlog(session, params) == open_at_until
        hours = bucketed_sums(
            session, activity(params), params, HOUR_OF_WEEK, (), ("inbound_messages",)
        )
        assert {key[0]: int(v[0]) for key, v in hours.items() if v[0]} == dict(by_hour)
        days = bucketed_sums(session, activity(params), params, DAY, (), ("inbound_messages",))
        assert {key[0]: int(v[0]) for key, v in days.items() if v[0]} == dict(by_day)
