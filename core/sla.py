"""SLA due times for conversations, from ``[sla.*]`` and ``[business_hours]``."""

from __future__ import annotations

from datetime import datetime, timedelta
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
    return settings.plugin_state(_DUE_KEY, lambda: _DueTimes(settings)).due(priority, start, target)


_DUE_KEY = "core:sla_due_times"


class _DueTimes:
    """The instance's SLA policies and business hours, read once per settings object."""

    def __init__(self, settings: Settings) -> None:
        from careline.business_hours import BusinessHours, SlaPolicies

        self.policies = SlaPolicies.from_settings(settings)
        self.hours = BusinessHours.from_settings(settings)
        self.known: dict[tuple[str, str], tuple[timedelta | None, bool]] = {}

    def due(self, priority: Priority, start: datetime, target: str) -> datetime | None:
        """:func:`careline.business_hours.due_time` with the policy's answer remembered."""
        from careline.business_hours import SlaPolicies, to_utc

        known = self.known.get((priority, target))
        if known is None:
            policy = self.policies.get(priority) or SlaPolicies.defaults()[priority]
            known = self.known[(priority, target)] = (policy.target(target), policy.business_hours)
        duration, business_hours = known
        if duration is None:
            return None
        if business_hours:
            return self.hours.add(start, duration)
        return to_utc(start) + duration


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
