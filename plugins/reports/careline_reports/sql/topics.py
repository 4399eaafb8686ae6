"""Topics, tags and sentiment: what customers wrote about and how they felt."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from careline import events
from careline.models import Message
from careline.reporting import ReportParams
from sqlalchemy.orm import Session

from careline_reports.sql.cycles import CONVERSATION, EVENT
from careline_reports.sql.dialect import POSTGRESQL, dialect_of
from careline_reports.sql.filters import conversation_conditions

MESSAGE: Any = Message.__table__  # type: ignore[attr-defined]


def opened_conversations(params: ReportParams, since: datetime, until: datetime) -> Any:
    """Conversations opened in ``[since, until)`` (filtered), with the opening time as ``at``."""
    e, c = EVENT, CONVERSATION
    return (
        sa.select(c.c.id, c.c.topic, c.c.tags, e.c.at)
        .join(e, e.c.conversation_id == c.c.id)
        .where(
            e.c.type == events.CONVERSATION_OPENED,
            e.c.at >= since,
            e.c.at < until,
            *conversation_conditions(c, params),
        )
        .subquery("opened_conversations")
    )


def topic_counts(
    session: Session, params: ReportParams, since: datetime, until: datetime
) -> dict[str, int]:
    """Conversations opened in ``[since, until)`` per topic (conversations without one left out)."""
    opened = opened_conversations(params, since, until)
    statement = (
        sa.select(opened.c.topic, sa.func.count())
        .where(opened.c.topic.is_not(None))
        .group_by(opened.c.topic)
    )
    return {str(topic): int(count) for topic, count in session.execute(statement)}


def tag_counts(
    session: Session, params: ReportParams, since: datetime, until: datetime
) -> dict[str, int]:
    """Conversations opened in ``[since, until)`` per tag (a conversation counts once per tag)."""
    opened = opened_conversations(params, since, until)
    if dialect_of(session) == POSTGRESQL:
        elements = sa.func.json_array_elements_text(opened.c.tags).table_valued("value")
    else:
        elements = sa.func.json_each(opened.c.tags).table_valued("value")
    tag = sa.cast(elements.c.value, sa.String)
    statement = (
        sa.select(tag, sa.func.count(sa.distinct(opened.c.id)))
        .select_from(opened)
        .join(elements, sa.true())
        .group_by(tag)
    )
    return {str(name): int(count) for name, count in session.execute(statement)}


def topic_openings(params: ReportParams, topics: list[str]) -> Any:
    """Openings of conversations about ``topics`` in the period (``at``, ``topic``, ``one``)."""
    opened = opened_conversations(params, params.since, params.until)
    return (
        sa.select(opened.c.at, opened.c.topic, sa.literal(1).label("one"))
        .where(opened.c.topic.in_(topics))
        .subquery("topic_openings")
    )


def inbound_sentiment(params: ReportParams) -> Any:
    """Customer messages with a sentiment score created in the period: ``at``, ``sentiment``,
    ``one``."""
    m, c = MESSAGE, CONVERSATION
    return (
        sa.select(
            m.c.created_at.label("at"),
            m.c.sentiment.label("sentiment"),
            sa.literal(1).label("one"),
        )
        .join(c, c.c.id == m.c.conversation_id)
        .where(
            m.c.direction == "in",
            m.c.sentiment.is_not(None),
            m.c.created_at >= params.since,
            m.c.created_at < params.until,
            *conversation_conditions(c, params),
        )
        .subquery("inbound_sentiment")
    )
