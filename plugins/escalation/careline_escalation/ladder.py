"""The SLA ladder, evaluated on the worker's clock tick.

For each running SLA target (first response, next response, resolution) three steps, each
returned with a trigger id that is the same on every tick of one cycle, so the core's uniqueness
on ``(conversation, trigger)`` opens each step exactly once:

- ``sla:<target>:warn@<cycle>`` once ``warn.at_percent`` of the time is used (before the due
  time): notify the assignee;
- ``sla:<target>:breach@<cycle>`` at the due time: notify the supervisor, raise the priority
  one step;
- ``sla:<target>:breach+<after>@<cycle>`` at due + ``reassign.after`` (in business hours when
  the core's ``careline.business_hours`` is installed): move it to ``reassign.queue``.

``<cycle>`` is the ISO time that identifies the cycle: for first response and resolution the
cycle start (the conversation's creation, or its reopening when the core tells us), because the
core recomputes those due times when the priority changes; for next response the due time
itself, which the core sets once per customer wait and never recomputes.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from careline.config import Settings, format_duration
from careline.types import (
    ConversationStatus,
    ConversationView,
    EscalationRequest,
    Priority,
    SlaState,
)

from careline_escalation.config import EscalationConfig
from careline_escalation.targets import build_request, one_step_up

FINISHED = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED, ConversationStatus.IGNORED)
TARGET_WORDS = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}


@dataclass(frozen=True)
class RunningTarget:
    """An SLA target whose clock runs: when it started, when it is due, which cycle it is."""

    name: str
    started: datetime | None
    due: datetime
    cycle: datetime


def cycle_start(conversation: ConversationView, sla: SlaState) -> datetime:
    """When the current first-response/resolution cycle started.

    The core does not pass it yet (see the plugin docs); it is read from ``sla`` or the view
    when present, else the conversation's creation is used — exact for a first cycle.
    """
    for source, attribute in ((sla, "cycle_started_at"), (conversation, "reopened_at")):
        value = getattr(source, attribute, None)
        if isinstance(value, datetime):
            return value
    return conversation.created_at


def running_targets(
    conversation: ConversationView, sla: SlaState, wanted: list[str]
) -> list[RunningTarget]:
    """The SLA targets in ``wanted`` whose clock runs at ``sla.now``."""
    start = cycle_start(conversation, sla)
    running = []
    if "first_response" in wanted and sla.first_response_due and sla.first_response_at is None:
        running.append(RunningTarget("first_response", start, sla.first_response_due, start))
    if "next_response" in wanted and sla.next_response_due is not None:
        waiting_since = getattr(sla, "next_response_started_at", None)
        if not isinstance(waiting_since, datetime):
            # The latest customer message is no earlier than the wait's start, so the warning
            # comes late rather than early.
            waiting_since = conversation.last_inbound_at
        running.append(
            RunningTarget(
                "next_response", waiting_since, sla.next_response_due, sla.next_response_due
            )
        )
    if (
        "resolution" in wanted
        and sla.resolution_due
        and sla.resolved_at is None
        and conversation.status not in FINISHED
    ):
        running.append(RunningTarget("resolution", start, sla.resolution_due, start))
    return running


def add_business_time(settings: Settings, start: datetime, delta: timedelta) -> datetime:
    """``start + delta`` counted in business hours when the core provides them.

    ``careline.business_hours`` is imported lazily: without it (older cores) the time is
    counted on the calendar.
    """
    try:
        module = importlib.import_module("careline.business_hours")
    except ModuleNotFoundError as exc:
        if exc.name != "careline.business_hours":
            raise
        return start + delta
    result = module.BusinessHours.from_settings(settings).add(start, delta)
    if not isinstance(result, datetime):
        raise TypeError(f"BusinessHours.add returned {type(result).__name__}, not a datetime")
    return result


def trigger_id(target: str, step: str, cycle: datetime) -> str:
    """``sla:<target>:<step>@<cycle ISO time>``, e.g. ``sla:first_response:warn@2026-…``."""
    return f"sla:{target}:{step}@{cycle.isoformat()}"


def evaluate(
    config: EscalationConfig,
    conversation: ConversationView,
    sla: SlaState,
    settings: Settings,
) -> list[EscalationRequest]:
    """The ladder steps reached at ``sla.now`` for every running target."""
    ladder = config.sla
    if not ladder.enabled:
        return []
    zone = ZoneInfo(settings.instance.timezone)
    requests = []
    for running in running_targets(conversation, sla, list(ladder.targets)):
        words = TARGET_WORDS[running.name]
        due_text = running.due.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        breached = sla.now >= running.due
        if ladder.warn.enabled and not breached and running.started is not None:
            share = sla.elapsed_share(running.due, running.started)
            if share is not None and share * 100 >= ladder.warn.at_percent:
                requests.append(
                    build_request(
                        config,
                        conversation,
                        target=ladder.warn.target,
                        reason=(
                            f"{words} due {due_text}: {ladder.warn.at_percent:g} % of the time "
                            "is used"
                        ),
                        trigger=trigger_id(running.name, "warn", running.cycle),
                        notify=ladder.warn.notify,
                    )
                )
        if ladder.breach.enabled and breached:
            current = Priority(conversation.priority)
            raise_to = one_step_up(current) if ladder.breach.raise_priority else None
            requests.append(
                build_request(
                    config,
                    conversation,
                    target=ladder.breach.target,
                    reason=f"{words} target missed (due {due_text})",
                    trigger=trigger_id(running.name, "breach", running.cycle),
                    raise_priority=raise_to,
                    notify=ladder.breach.notify,
                )
            )
        after = ladder.reassign.after
        if (
            ladder.reassign.enabled
            and breached
            and sla.now >= add_business_time(settings, running.due, after)
        ):
            requests.append(
                build_request(
                    config,
                    conversation,
                    target=ladder.reassign.target,
                    reason=(
                        f"{words} still missing {format_duration(after)} after the target "
                        f"(due {due_text}): moved to {ladder.reassign.queue}"
                    ),
                    trigger=trigger_id(
                        running.name, f"breach+{format_duration(after)}", running.cycle
                    ),
                    reassign_queue=ladder.reassign.queue,
                    notify=ladder.reassign.notify,
                )
            )
    return requests
