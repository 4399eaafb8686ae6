"""The worker's clock tick: SLA warnings and breaches, follow-ups, reassignment, queues.

Each tick looks only at conversations that can change state: those with an SLA due time, an
assignee waiting on a reply, no assignee yet, or a follow-up that came due.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from careline import events
from careline.models import Conversation, FollowUp
from careline.services import assignment, escalations
from careline.services.views import conversation_view
from careline.types import ConversationStatus, SlaState
from sqlmodel import Session, col, or_, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.clockwork")

WARNING_SHARE = 0.8
SLA_TARGETS = ("first_response", "next_response", "resolution")


@dataclass
class TickStats:
    """What one tick did."""

    warnings: int = 0
    breaches: int = 0
    escalations: int = 0
    follow_ups: int = 0
    assigned: int = 0
    unassigned: int = 0


def sla_state(conversation: Conversation, now: datetime) -> SlaState:
    """Where a conversation stands against its SLA targets at ``now``."""
    return SlaState(
        now=now,
        first_response_due=conversation.first_response_due,
        first_response_at=conversation.first_response_at,
        resolution_due=conversation.resolution_due,
        resolved_at=conversation.resolved_at
        if conversation.status in (ConversationStatus.RESOLVED, ConversationStatus.CLOSED)
        else None,
        next_response_due=conversation.next_response_due,
        cycle_started_at=conversation.reopened_at or conversation.created_at,
        next_response_started_at=conversation.awaiting_reply_since,
    )


def _running_targets(conversation: Conversation) -> dict[str, tuple[datetime, datetime]]:
    """SLA targets whose clock still runs: name → (clock start, due)."""
    start = conversation.reopened_at or conversation.created_at
    running: dict[str, tuple[datetime, datetime]] = {}
    if conversation.first_response_due and conversation.first_response_at is None:
        running["first_response"] = (start, conversation.first_response_due)
    if conversation.next_response_due and conversation.awaiting_reply_since:
        running["next_response"] = (
            conversation.awaiting_reply_since,
            conversation.next_response_due,
        )
    if conversation.resolution_due and conversation.status not in (
        ConversationStatus.RESOLVED,
        ConversationStatus.CLOSED,
        ConversationStatus.IGNORED,
    ):
        running["resolution"] = (start, conversation.resolution_due)
    return running


def check_sla(runtime: Runtime, session: Session, conversation: Conversation) -> TickStats:
    """Record warnings (80 %) and breaches once per target and cycle; ask escalation hooks."""
    stats = TickStats()
    now = runtime.now()
    warned = set(conversation.sla_warned or [])
    for target, (start, due) in _running_targets(conversation).items():
        total = (due - start).total_seconds()
        share = 1.0 if total <= 0 else (now - start).total_seconds() / total
        # Keyed by the clock's start, not the due time: a priority change moves the due time
        # and must not make the same missed target count twice.
        cycle = f"{target}@{start.isoformat()}"
        if share >= 1.0 and f"breach:{cycle}" not in warned:
            warned.add(f"breach:{cycle}")
            events.record(
                session,
                events.SLA_BREACHED,
                at=due,
                conversation_id=conversation.id,
                target=target,
                due=due.isoformat(),
            )
            stats.breaches += 1
        elif WARNING_SHARE <= share < 1.0 and f"warning:{cycle}" not in warned:
            warned.add(f"warning:{cycle}")
            events.record(
                session,
                events.SLA_WARNING,
                at=now,
                conversation_id=conversation.id,
                target=target,
                due=due.isoformat(),
                share=round(share, 3),
            )
            stats.warnings += 1
    if warned != set(conversation.sla_warned or []):
        conversation.sla_warned = sorted(warned)
        session.add(conversation)
    view = conversation_view(session, conversation, with_messages=False)
    requests = runtime.pm.hook.careline_escalate_on_tick(
        conversation=view, sla=sla_state(conversation, now), settings=runtime.settings
    )
    opened = escalations.apply_requests(
        runtime, session, conversation, [r for group in requests for r in (group or [])]
    )
    stats.escalations += len(opened)
    return stats


def fire_follow_ups(runtime: Runtime, session: Session) -> int:
    """Reopen conversations whose follow-up came due, into the owner's queue, with the note."""
    now = runtime.now()
    due = session.exec(
        select(FollowUp)
        .where(col(FollowUp.fired_at).is_(None))
        .where(col(FollowUp.due_at) <= now)
        .order_by(col(FollowUp.due_at))
    ).all()
    for follow_up in due:
        follow_up.fired_at = now
        session.add(follow_up)
        conversation = session.get(Conversation, follow_up.conversation_id)
        if conversation is None:
            continue
        if conversation.status in (
            ConversationStatus.RESOLVED,
            ConversationStatus.CLOSED,
            ConversationStatus.IGNORED,
        ):
            conversation.status = ConversationStatus.OPEN
            conversation.reopened_at = now
        if follow_up.owner_id is not None:
            conversation.assignee_id = follow_up.owner_id
        conversation.updated_at = now
        session.add(conversation)
        events.record(
            session,
            events.FOLLOW_UP_DUE,
            at=now,
            conversation_id=conversation.id,
            follow_up_id=follow_up.id,
            note=follow_up.note,
            owner=follow_up.owner_id,
        )
    return len(due)


def tick(runtime: Runtime, *, limit: int = 500) -> TickStats:
    """One pass of the clock: SLA, follow-ups, reassignment and waiting conversations."""
    stats = TickStats()
    now = runtime.now()
    with runtime.db.session() as session:
        stats.follow_ups = fire_follow_ups(runtime, session)
        active = col(Conversation.status).in_(assignment.ACTIVE_STATUSES)
        with_due = session.exec(
            select(Conversation)
            .where(active)
            .where(
                or_(
                    col(Conversation.first_response_due).is_not(None),
                    col(Conversation.resolution_due).is_not(None),
                )
            )
            .order_by(col(Conversation.id))
            .limit(limit)
        ).all()
        for conversation in with_due:
            result = check_sla(runtime, session, conversation)
            stats.warnings += result.warnings
            stats.breaches += result.breaches
            stats.escalations += result.escalations
        waiting_assigned = session.exec(
            select(Conversation)
            .where(active)
            .where(col(Conversation.assignee_id).is_not(None))
            .where(col(Conversation.awaiting_reply_since).is_not(None))
            .limit(limit)
        ).all()
        for conversation in waiting_assigned:
            view = conversation_view(session, conversation, with_messages=False)
            if runtime.pm.hook.careline_reassign(
                conversation=view, now=now, settings=runtime.settings
            ):
                assignment.assign(runtime, session, conversation, None, by="reassign")
                stats.unassigned += 1
        unassigned = session.exec(
            select(Conversation)
            .where(active)
            .where(col(Conversation.assignee_id).is_(None))
            .order_by(col(Conversation.created_at))
            .limit(limit)
        ).all()
        for conversation in unassigned:
            if assignment.auto_assign(runtime, session, conversation) is not None:
                stats.assigned += 1
    return stats
