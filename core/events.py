"""The event log: every state change appends one :class:`~careline.models.Event`.

Reports compute every KPI from these events (DESIGN §7), so their meaning is fixed here and in
``docs/events.md``. ``at`` is when the thing happened (a message's own creation time for
messages), not when careline learned of it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from careline.models import Event
from sqlmodel import Session

EventSink = Callable[..., object]
"""Appends an event: :func:`record` bound to a session, or a pipeline batch's store."""

# A customer message arrived. data: channel, source, visibility, direction="in".
MESSAGE_RECEIVED = "message_received"
# A conversation started with its first customer message (at = that message's time).
# data: channel, account, source, visibility.
CONVERSATION_OPENED = "conversation_opened"
# A resolved (or ignored) conversation got a new customer message within the reopen window.
# A reopen starts a new "cycle" for first response and resolution times. data: previous_status.
CONVERSATION_REOPENED = "conversation_reopened"
# The brand answered: an outbound message went out (at = when it was sent). data: message_id,
# visibility, automated (bool: bots and automations are excluded from human KPIs),
# via ("careline" for replies sent through careline, "echo" for replies sent from the
# platform's own app and seen as echoes). agent_id is set when an agent wrote it.
REPLIED = "replied"
# A reply could not be sent (definitively, or after the last retry). data: message_id, error.
REPLY_FAILED = "reply_failed"
# A reply waits for a supervisor (approval findings). data: outbox_id, findings.
REPLY_HELD = "reply_held_for_approval"
REPLY_APPROVED = "reply_approved"
REPLY_REJECTED = "reply_rejected"
# Routing decided. data: queue, priority, tags, topic, rule.
ROUTED = "routed"
# An agent took or was given the conversation (agent_id), or lost it.
ASSIGNED = "assigned"
UNASSIGNED = "unassigned"
# The conversation was resolved (agent_id: who) / closed for good.
RESOLVED = "resolved"
CLOSED = "closed"
# No reply needed (spam, retweet, thanks). data: reason. Counted apart in the response rate.
IGNORED = "ignored"
STATUS_CHANGED = "status_changed"
PRIORITY_CHANGED = "priority_changed"
TAGS_CHANGED = "tags_changed"
NOTE_ADDED = "note_added"
# An escalation was opened / acknowledged / resolved. data: escalation_id, target, reason,
# trigger.
ESCALATED = "escalated"
ESCALATION_ACKNOWLEDGED = "escalation_acknowledged"
ESCALATION_RESOLVED = "escalation_resolved"
# SLA clock. data: target ("first_response" | "next_response" | "resolution"), due, share.
SLA_WARNING = "sla_warning"
SLA_BREACHED = "sla_breached"
# CSAT survey sent / answered. data: score (1-5) for CSAT.
CSAT_REQUESTED = "csat_requested"
CSAT_RECEIVED = "csat"
# Customer edited or deleted a message. data: message_id.
MESSAGE_EDITED = "message_edited"
MESSAGE_DELETED = "message_deleted"
# A follow-up ("circle back") came due and reopened the conversation. data: follow_up_id, note.
FOLLOW_UP_DUE = "follow_up_due"
CONTACTS_MERGED = "contacts_merged"

ALL_EVENT_TYPES = tuple(
    value for name, value in sorted(globals().items()) if name.isupper() and isinstance(value, str)
)


def record(
    session: Session,
    type: str,
    *,
    at: datetime,
    conversation_id: int | None = None,
    message_id: int | None = None,
    actor: str = "system",
    agent_id: int | None = None,
    **data: Any,
) -> Event:
    """Append an event to the log (in the caller's transaction)."""
    event = Event(
        type=type,
        at=at,
        conversation_id=conversation_id,
        message_id=message_id,
        actor=actor if agent_id is None else f"agent:{agent_id}",
        agent_id=agent_id,
        data=data,
    )
    session.add(event)
    return event
