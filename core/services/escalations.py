"""Escalations: recording what the escalation hooks ask for, and acknowledging/resolving it.

The hooks decide; this module stores an :class:`~careline.models.Escalation` per
``(conversation, trigger)`` — a trigger never fires twice for one conversation — applies the
priority raise and reassignment, appends events and enqueues notifications.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from careline import events, notifications, sla
from careline.models import Conversation, Escalation
from careline.services.views import NotFoundError
from careline.types import ConversationStatus, EscalationRequest, Notification, Priority
from sqlmodel import Session, select

if TYPE_CHECKING:
    from careline.config import Settings
    from careline.runtime import Runtime

HEADS_UP_TARGET = "assignee"


def apply_requests(
    runtime: Runtime,
    session: Session,
    conversation: Conversation,
    requests: Iterable[EscalationRequest | None],
    *,
    actor: str = "system",
    now: datetime | None = None,
) -> list[Escalation]:
    """Open an escalation for each request whose trigger has not fired on this conversation, at
    ``now`` (by default the clock's time)."""
    opened: list[Escalation] = []
    if now is None:
        now = runtime.now()
    for request in requests:
        if request is None:
            continue
        exists = session.exec(
            select(Escalation.id)
            .where(Escalation.conversation_id == conversation.id)
            .where(Escalation.trigger == request.trigger)
        ).first()
        if exists is not None:
            continue
        assert conversation.id is not None
        escalation = Escalation(
            conversation_id=conversation.id,
            target=request.target,
            reason=request.reason,
            trigger=request.trigger,
            created_at=now,
            created_by=actor,
        )
        session.add(escalation)
        session.flush()
        events.record(
            session,
            events.ESCALATED,
            at=now,
            conversation_id=conversation.id,
            actor=actor,
            escalation_id=escalation.id,
            target=request.target,
            reason=request.reason,
            trigger=request.trigger,
        )
        apply_effects(
            runtime.settings,
            conversation,
            request,
            now=now,
            record=functools.partial(events.record, session),
        )
        session.add(conversation)
        available = notifications.senders(runtime)
        if available:
            notification = escalation_notification(
                runtime.settings, conversation, escalation.id, request
            )
            notifications.notify(session, notification, sorted(available), now)
        opened.append(escalation)
    return opened


class EscalatedConversation(sla.SlaClocks, Protocol):
    """What an escalation reads and changes on a conversation: a stored row, or the pipeline's
    in-memory copy of one."""

    @property
    def id(self) -> int | None: ...

    @property
    def channel(self) -> str: ...

    status: ConversationStatus
    queue: str | None
    assignee_id: int | None
    updated_at: datetime


def apply_effects(
    settings: Settings,
    conversation: EscalatedConversation,
    request: EscalationRequest,
    *,
    now: datetime,
    record: events.EventSink,
) -> None:
    """The priority raise, reassignment and escalated status ``request`` asks for."""
    if request.raise_priority is not None:
        current = Priority(conversation.priority)
        if request.raise_priority.rank > current.rank:
            conversation.priority = request.raise_priority
            sla.reprioritised(settings, conversation)
            record(
                events.PRIORITY_CHANGED,
                at=now,
                conversation_id=conversation.id,
                previous=current.value,
                priority=request.raise_priority.value,
                by=request.trigger,
            )
    if request.reassign_queue is not None and request.reassign_queue != conversation.queue:
        previous_queue = conversation.queue
        conversation.queue = request.reassign_queue
        conversation.assignee_id = request.reassign_agent_id
        record(
            events.ROUTED,
            at=now,
            conversation_id=conversation.id,
            queue=request.reassign_queue,
            previous=previous_queue,
            rule=request.trigger,
        )
    elif request.reassign_agent_id is not None:
        conversation.assignee_id = request.reassign_agent_id
        record(
            events.ASSIGNED,
            at=now,
            conversation_id=conversation.id,
            assignee=request.reassign_agent_id,
            by=request.trigger,
        )
    # A heads-up to the assignee (e.g. an 80 % SLA warning) notifies without changing status.
    takes_over = (
        request.target != HEADS_UP_TARGET
        or request.raise_priority is not None
        or request.reassign_queue is not None
        or request.reassign_agent_id is not None
    )
    if takes_over and conversation.status in (ConversationStatus.NEW, ConversationStatus.OPEN):
        conversation.status = ConversationStatus.ESCALATED
    conversation.updated_at = now


def escalation_notification(
    settings: Settings,
    conversation: EscalatedConversation,
    escalation_id: int | None,
    request: EscalationRequest,
) -> Notification:
    """The notification an escalation sends (to its ``notify`` list, else its target)."""
    base = settings.instance.base_url.rstrip("/")
    return Notification(
        kind="escalation",
        title=f"Escalated to {request.target}: {request.reason}",
        body=(
            f"Conversation #{conversation.id} on {conversation.channel} was escalated to "
            f"{request.target} ({request.trigger}): {request.reason}"
        ),
        recipients=request.notify or (f"target:{request.target}",),
        conversation_id=conversation.id,
        url=f"{base}/inbox/conversations/{conversation.id}",
        data={"escalation_id": escalation_id, "trigger": request.trigger},
    )


def set_status(
    runtime: Runtime, session: Session, escalation_id: int, status: str, agent_id: int | None
) -> Escalation:
    """Acknowledge (``acknowledged``) or resolve (``resolved``) an escalation."""
    escalation = session.get(Escalation, escalation_id)
    if escalation is None:
        raise NotFoundError(f"no escalation with id {escalation_id}")
    now = runtime.now()
    if status == "acknowledged":
        if escalation.status != "open":
            raise ValueError(f"escalation {escalation_id} is {escalation.status}, not open")
        escalation.acknowledged_at, escalation.acknowledged_by = now, agent_id
        kind = events.ESCALATION_ACKNOWLEDGED
    elif status == "resolved":
        if escalation.status == "resolved":
            raise ValueError(f"escalation {escalation_id} is already resolved")
        escalation.resolved_at, escalation.resolved_by = now, agent_id
        kind = events.ESCALATION_RESOLVED
    else:
        raise ValueError(f"unknown escalation status {status!r}")
    escalation.status = status
    session.add(escalation)
    events.record(
        session,
        kind,
        at=now,
        conversation_id=escalation.conversation_id,
        agent_id=agent_id,
        escalation_id=escalation.id,
        target=escalation.target,
    )
    return escalation
