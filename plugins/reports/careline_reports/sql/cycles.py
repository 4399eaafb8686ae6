"""Cycles and customer waits, derived from the event log in SQL (docs/kpis.md).

A conversation's *cycles* start at ``conversation_opened`` and at each ``conversation_reopened``.
One pass over each conversation's events, ordered by time (a cycle start first among events of
the same instant, then log order), numbers the cycles and the customer waits with running
window sums; grouping by those numbers gives one row per cycle and one per wait. Only events at
or after ``since`` of conversations with a cycle starting in the period are read: the first
cycle start at or after ``since`` is therefore the first cycle counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from careline import events
from careline.models import Conversation, Event
from careline.reporting import ReportParams
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import CTE

from careline_reports.sql.dialect import const, epoch_seconds, json_integer, json_true, one_of
from careline_reports.sql.filters import conversation_conditions

EVENT: Any = Event.__table__  # type: ignore[attr-defined]
CONVERSATION: Any = Conversation.__table__  # type: ignore[attr-defined]

CYCLE_STARTS = (events.CONVERSATION_OPENED, events.CONVERSATION_REOPENED)
MARK_TYPES = (
    *CYCLE_STARTS,
    events.MESSAGE_RECEIVED,
    events.REPLIED,
    events.RESOLVED,
    events.IGNORED,
    events.CSAT_RECEIVED,
    events.CSAT_REQUESTED,
)


def flag(condition: Any) -> ColumnElement[int]:
    """1 where ``condition`` holds, else 0."""
    return sa.case((condition, const(1)), else_=const(0))


def when(condition: Any, value: Any) -> ColumnElement[Any]:
    """``value`` where ``condition`` holds, else NULL (for MIN/MAX/SUM over a subset)."""
    return sa.case((condition, value))


def conversations_starting_in(params: ReportParams) -> Any:
    """Ids of the (filtered) conversations with a cycle starting in ``[since, until)``."""
    statement = sa.select(EVENT.c.conversation_id).where(
        one_of(EVENT.c.type, CYCLE_STARTS), EVENT.c.at >= params.since, EVENT.c.at < params.until
    )
    conditions = conversation_conditions(CONVERSATION, params)
    if conditions:
        statement = statement.join(
            CONVERSATION, CONVERSATION.c.id == EVENT.c.conversation_id
        ).where(*conditions)
    return statement


# What each event is to the KPIs, as one small integer per row (narrow rows sort faster).
OPENED, REOPENED, INBOUND, HUMAN_REPLY, AUTOMATED_REPLY, RESOLVE, IGNORE, CSAT, CSAT_REQUEST = (
    range(9)
)


def event_kind(e: Any) -> ColumnElement[int]:
    """The kind code of an event row (bot and automated replies apart from human ones)."""
    automated = json_true(e.c.data, "automated")
    kinds = (
        (e.c.type == const(events.CONVERSATION_OPENED), OPENED),
        (e.c.type == const(events.CONVERSATION_REOPENED), REOPENED),
        (e.c.type == const(events.MESSAGE_RECEIVED), INBOUND),
        (sa.and_(e.c.type == const(events.REPLIED), automated), AUTOMATED_REPLY),
        (e.c.type == const(events.REPLIED), HUMAN_REPLY),
        (e.c.type == const(events.RESOLVED), RESOLVE),
        (e.c.type == const(events.IGNORED), IGNORE),
        (e.c.type == const(events.CSAT_RECEIVED), CSAT),
    )
    return sa.case(*((test, const(code)) for test, code in kinds), else_=const(CSAT_REQUEST))


def marks(params: ReportParams, *, first_responder: bool = False) -> CTE:
    """The events that matter for cycle KPIs, one row each, numbered into cycles and waits.

    ``first_responder`` adds what finding the agent of each cycle's first reply needs (one more
    window frame, so only the agents report asks for it).
    """
    e = EVENT
    base = (
        sa.select(
            e.c.conversation_id,
            e.c.id,
            e.c.at,
            e.c.agent_id,
            event_kind(e).label("kind"),
            when(e.c.type == const(events.CSAT_RECEIVED), json_integer(e.c.data, "score")).label(
                "score"
            ),
        )
        .where(
            one_of(e.c.type, MARK_TYPES),
            e.c.at >= params.since,
            e.c.conversation_id.in_(conversations_starting_in(params)),
        )
        .subquery("event_marks")
    )
    kind = base.c.kind
    is_start = kind <= const(REOPENED)
    is_reply = kind == const(HUMAN_REPLY)
    partition = base.c.conversation_id
    order = (base.c.at, kind > const(REOPENED), base.c.id)

    def window(value: Any, rows: tuple[int | None, int | None] = (None, 0)) -> Any:
        return value.over(partition_by=partition, order_by=order, rows=rows)

    columns = [
        base,
        window(sa.func.sum(flag(is_start))).label("cycle_no"),
        window(sa.func.sum(flag(sa.or_(is_start, is_reply)))).label("wait_group"),
        window(sa.func.min(when(is_reply, base.c.at)), (1, None)).label("next_reply_at"),
        window(sa.func.min(when(is_start, base.c.at)), (1, None)).label("next_start_at"),
    ]
    if first_responder:
        columns += [
            window(sa.func.max(when(is_start, base.c.at))).label("cycle_start_at"),
            window(sa.func.max(when(is_reply, base.c.at)), (None, -1)).label("previous_reply_at"),
        ]
    return sa.select(*columns).cte("marks").prefix_with("MATERIALIZED")


def cycles(marks: CTE) -> Any:
    """One row per ``(conversation_id, cycle_no)`` with what happened in that cycle."""
    m = marks.c
    is_start = m.kind <= const(REOPENED)
    is_reply = m.kind == const(HUMAN_REPLY)
    is_csat = m.kind == const(CSAT)
    columns = [
        m.conversation_id,
        m.cycle_no,
        sa.func.min(when(is_start, m.at)).label("start_at"),
        sa.func.max(flag(m.kind == const(REOPENED))).label("reopened"),
        sa.func.min(when(is_start, m.next_start_at)).label("next_cycle_at"),
        sa.func.min(when(is_reply, m.at)).label("first_reply_at"),
        sa.func.sum(flag(is_reply)).label("human_replies"),
        sa.func.min(when(m.kind == const(RESOLVE), m.at)).label("resolved_at"),
        sa.func.max(flag(m.kind == const(IGNORE))).label("ignored"),
        sa.func.sum(flag(is_csat)).label("csat_responses"),
        sa.func.coalesce(sa.func.sum(m.score), 0).label("csat_score_sum"),
        sa.func.sum(flag(m.score >= const(4))).label("csat_satisfied"),
        sa.func.sum(flag(m.score == const(5))).label("csat_very_satisfied"),
        sa.func.sum(flag(m.kind == const(CSAT_REQUEST))).label("csat_requested"),
    ]
    if "previous_reply_at" in m:
        first_of_cycle = sa.or_(
            m.previous_reply_at.is_(None), m.previous_reply_at < m.cycle_start_at
        )
        columns.append(
            sa.func.min(when(sa.and_(is_reply, first_of_cycle), m.agent_id)).label(
                "first_responder_id"
            )
        )
    return (
        sa.select(*columns)
        .where(m.cycle_no > const(0))
        .group_by(m.conversation_id, m.cycle_no)
        .subquery("cycles")
    )


def waits(marks: CTE) -> Any:
    """One row per customer wait: its first inbound message and the human reply that ended it.

    A wait starts at the first ``message_received`` after a cycle start or a human reply; it
    ends at the next human reply of the same cycle (``reply_at`` is NULL when none came).
    """
    m = marks.c
    grouped = (
        sa.select(
            m.conversation_id,
            sa.func.max(m.cycle_no).label("cycle_no"),
            sa.func.min(m.at).label("wait_start_at"),
            sa.func.min(m.next_reply_at).label("next_reply_at"),
            sa.func.min(m.next_start_at).label("next_start_at"),
        )
        .where(m.kind == const(INBOUND), m.cycle_no > const(0))
        .group_by(m.conversation_id, m.wait_group)
        .subquery("wait_groups")
    )
    answered = sa.and_(
        grouped.c.next_reply_at.is_not(None),
        sa.or_(
            grouped.c.next_start_at.is_(None), grouped.c.next_reply_at < grouped.c.next_start_at
        ),
    )
    return sa.select(
        grouped.c.conversation_id,
        grouped.c.cycle_no,
        grouped.c.wait_start_at,
        sa.case((answered, grouped.c.next_reply_at)).label("reply_at"),
    ).subquery("waits")


@dataclass(frozen=True)
class CycleFacts:
    """The cycles starting in the period (a CTE) and the customer waits in them."""

    facts: CTE
    waits: Any


def cycle_facts(params: ReportParams, dialect: str, group_key: str) -> CycleFacts:
    """Cycles starting in ``[since, until)`` with their conversation and whole-second times.

    ``group_key`` is ``"all"``, ``"channel"`` or ``"agent"`` (the first responder); it becomes
    the text column ``group_key`` ('' for no agent).
    """
    marked = marks(params, first_responder=group_key == "agent")
    cycle = cycles(marked)
    c = CONVERSATION
    keys: dict[str, Any] = {
        "all": const(""),
        "channel": c.c.channel,
    }
    if group_key == "agent":
        keys["agent"] = sa.func.coalesce(sa.cast(cycle.c.first_responder_id, sa.String), "")
    facts = (
        sa.select(
            cycle,
            sa.cast(keys[group_key], sa.String).label("group_key"),
            c.c.priority,
            c.c.channel,
            epoch_seconds(cycle.c.start_at, dialect).label("start_s"),
            epoch_seconds(cycle.c.first_reply_at, dialect).label("first_reply_s"),
            epoch_seconds(cycle.c.resolved_at, dialect).label("resolved_s"),
        )
        .join(c, c.c.id == cycle.c.conversation_id)
        .where(cycle.c.start_at >= params.since, cycle.c.start_at < params.until)
        .cte("cycle_facts")
        .prefix_with("MATERIALIZED")
    )
    wait = waits(marked)
    wait_facts = (
        sa.select(
            facts.c.group_key,
            facts.c.ignored,
            wait.c.wait_start_at,
            wait.c.reply_at,
            epoch_seconds(wait.c.wait_start_at, dialect).label("wait_start_s"),
            epoch_seconds(wait.c.reply_at, dialect).label("reply_s"),
        )
        .join(
            facts,
            sa.and_(
                facts.c.conversation_id == wait.c.conversation_id,
                facts.c.cycle_no == wait.c.cycle_no,
            ),
        )
        .subquery("wait_facts")
    )
    return CycleFacts(facts=facts, waits=wait_facts)
