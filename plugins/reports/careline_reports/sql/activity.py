"""Counts of things that happened in the period, by their own time: messages, replies, new and
reopened conversations, escalations; and the backlog open at the end of the period."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from careline import events
from careline.reporting import ReportParams
from sqlalchemy.orm import Session

from careline_reports.sql.cycles import CONVERSATION, CYCLE_STARTS, EVENT, flag
from careline_reports.sql.dialect import const, json_text, json_true, one_of
from careline_reports.sql.filters import conversation_conditions

ACTIVITY_MEASURES = ("inbound_messages", "replies", "automated_replies", "opened", "reopened")
ACTIVITY_TYPES = (events.MESSAGE_RECEIVED, events.REPLIED, *CYCLE_STARTS)


def activity(
    params: ReportParams, attributes: Sequence[str] = (), types: tuple[str, ...] = ACTIVITY_TYPES
) -> Any:
    """One row per counted event in ``[since, until)``: its time, ``agent_id``, the
    conversation ``attributes`` asked for (e.g. ``("channel",)``) and 0/1 columns
    :data:`ACTIVITY_MEASURES`, for events of ``types``. The conversation is joined only when a
    filter or an attribute needs it: that join is most of the cost on a large log."""
    e, c = EVENT, CONVERSATION
    automated = json_true(e.c.data, "automated")
    replied = e.c.type == const(events.REPLIED)
    conditions = conversation_conditions(c, params)
    statement = sa.select(
        e.c.at,
        e.c.agent_id,
        *(c.c[name] for name in attributes),
        flag(e.c.type == const(events.MESSAGE_RECEIVED)).label("inbound_messages"),
        flag(sa.and_(replied, sa.not_(automated))).label("replies"),
        flag(sa.and_(replied, automated)).label("automated_replies"),
        flag(e.c.type == const(events.CONVERSATION_OPENED)).label("opened"),
        flag(e.c.type == const(events.CONVERSATION_REOPENED)).label("reopened"),
    ).where(one_of(e.c.type, types), e.c.at >= params.since, e.c.at < params.until)
    if conditions or attributes:
        statement = statement.join(c, c.c.id == e.c.conversation_id).where(*conditions)
    return statement.subquery("activity")


def activity_totals(
    session: Session, params: ReportParams, by: Sequence[str] = ()
) -> dict[tuple[Any, ...], dict[str, int]]:
    """Sums of :data:`ACTIVITY_MEASURES` grouped by conversation attributes (e.g.
    ``("channel",)``); the key ``()`` holds the total when ``by`` is empty."""
    source = activity(params, by)
    groups = [source.c[name] for name in by]
    statement = sa.select(
        *groups, *[sa.func.sum(source.c[m]).label(m) for m in ACTIVITY_MEASURES]
    ).group_by(*groups)
    totals: dict[tuple[Any, ...], dict[str, int]] = {}
    for row in session.execute(statement):
        key = tuple(row[: len(groups)])
        totals[key] = {
            m: int(v or 0) for m, v in zip(ACTIVITY_MEASURES, row[len(groups) :], strict=True)
        }
    return totals


def empty_activity() -> dict[str, int]:
    """Zero for every activity measure."""
    return dict.fromkeys(ACTIVITY_MEASURES, 0)


def backlog(session: Session, params: ReportParams) -> int:
    """Conversations open at ``until``: their latest cycle start before ``until`` is later than
    their latest ``resolved``, ``ignored`` or ``closed`` before ``until``."""
    e, c = EVENT, CONVERSATION
    ends = (events.RESOLVED, events.IGNORED, events.CLOSED)
    per_conversation = (
        sa.select(
            e.c.conversation_id,
            sa.func.max(sa.case((one_of(e.c.type, CYCLE_STARTS), e.c.at))).label("last_start"),
            sa.func.max(sa.case((one_of(e.c.type, ends), e.c.at))).label("last_end"),
        )
        .join(c, c.c.id == e.c.conversation_id)
        .where(
            one_of(e.c.type, (*CYCLE_STARTS, *ends)),
            e.c.at < params.until,
            *conversation_conditions(c, params),
        )
        .group_by(e.c.conversation_id)
        .subquery("last_changes")
    )
    open_at_until = sa.and_(
        per_conversation.c.last_start.is_not(None),
        sa.or_(
            per_conversation.c.last_end.is_(None),
            per_conversation.c.last_start > per_conversation.c.last_end,
        ),
    )
    statement = sa.select(sa.func.count()).where(open_at_until)
    return int(session.execute(statement.select_from(per_conversation)).scalar_one())


def replies_by_agent(session: Session, params: ReportParams) -> dict[int | None, int]:
    """Human replies sent in the period, by the agent who sent them (``None``: no agent)."""
    source = activity(params)
    statement = sa.select(source.c.agent_id, sa.func.sum(source.c.replies)).group_by(
        source.c.agent_id
    )
    return {agent: int(count or 0) for agent, count in session.execute(statement) if count}


def escalations(session: Session, params: ReportParams) -> list[tuple[str, str, int]]:
    """``(target, reason, count)`` of escalations opened in the period, most frequent first."""
    e, c = EVENT, CONVERSATION
    target = sa.func.coalesce(json_text(e.c.data, "target"), "").label("target")
    reason = sa.func.coalesce(json_text(e.c.data, "reason"), "").label("reason")
    count = sa.func.count().label("escalations")
    statement = (
        sa.select(target, reason, count)
        .join(c, c.c.id == e.c.conversation_id)
        .where(
            e.c.type == events.ESCALATED,
            e.c.at >= params.since,
            e.c.at < params.until,
            *conversation_conditions(c, params),
        )
        .group_by(target, reason)
        .order_by(count.desc(), target, reason)
    )
    return [(str(t), str(r), int(n)) for t, r, n in session.execute(statement)]
