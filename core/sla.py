"""SLA due times for conversations, from ``[sla.*]`` and ``[business_hours]``."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from careline.config import Settings
from careline.types import Priority

FIRST_RESPONSE = "first_response"
NEXT_RESPONSE = "next_response"
RESOLUTION = "resolution"


class SlaClocks(Protocol):
    """The SLA fields of a conversation: a stored row, or the pipeline's in-memory copy."""

    priority: Priority
    created_at: datetime
    reopened_at: datetime | None
    resolved_at: datetime | None
    first_response_at: datetime | None
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    sla_warned: list[str]


def due(settings: Settings, priority: Priority, start: datetime, target: str) -> datetime | None:
    """When ``target`` is due for a conversation of ``priority`` whose clock started at ``start``."""
    from careline.business_hours import BusinessHours, SlaPolicies, due_time

    policies = SlaPolicies.from_settings(settings)
    hours = BusinessHours.from_settings(settings)
    return due_time(policies, hours, priority, start, target)


def start_cycle(settings: Settings, conversation: SlaClocks, start: datetime) -> None:
    """Set the first-response and resolution due times of a new or reopened conversation."""
    priority = Priority(conversation.priority)
    conversation.first_response_due = due(settings, priority, start, FIRST_RESPONSE)
    conversation.resolution_due = due(settings, priority, start, RESOLUTION)
    conversation.next_response_due = None
    conversation.first_response_at = None
    conversation.sla_warned = []


def customer_waiting(settings: Settings, conversation: SlaClocks, since: datetime) -> None:
    """The customer wrote again after a reply: the next-response clock starts."""
    if conversation.first_response_at is not None and conversation.next_response_due is None:
        conversation.next_response_due = due(
            settings, Priority(conversation.priority), since, NEXT_RESPONSE
        )


def reprioritised(settings: Settings, conversation: SlaClocks) -> None:
    """Recompute due times from the cycle start after a priority change."""
    start = conversation.reopened_at or conversation.created_at
    priority = Priority(conversation.priority)
    if conversation.first_response_at is None:
        conversation.first_response_due = due(settings, priority, start, FIRST_RESPONSE)
    if conversation.resolved_at is None or (
        conversation.reopened_at and conversation.resolved_at < conversation.reopened_at
    ):
        conversation.resolution_due = due(settings, priority, start, RESOLUTION)
