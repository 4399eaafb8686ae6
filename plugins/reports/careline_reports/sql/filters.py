"""The report parameters that narrow which conversations count (channel, queue, source, agent).

They apply to a conversation's current attributes: a conversation moved to another queue counts
in its new queue for all of its history, like in an inbox filter.
"""

from __future__ import annotations

from typing import Any

from careline.reporting import ReportParams
from sqlalchemy.sql.elements import ColumnElement


def conversation_conditions(conversation: Any, params: ReportParams) -> list[ColumnElement[bool]]:
    """``WHERE`` conditions on the ``conversation`` table for ``params``."""
    conditions: list[ColumnElement[bool]] = []
    if params.channel is not None:
        conditions.append(conversation.c.channel == params.channel)
    if params.queue is not None:
        conditions.append(conversation.c.queue == params.queue)
    if params.source is not None:
        conditions.append(conversation.c.source == params.source)
    if params.agent_id is not None:
        conditions.append(conversation.c.assignee_id == params.agent_id)
    return conditions
