"""The SLA ladder, evaluated on the worker's clock tick.

For each running SLA target (first response, next response, resolution) three steps, each
returned with a trigger id that is the same on every tick of one cycle, so the core's uniqueness
on ``(conversation, trigger)`` opens each step exactly once:

- ``sla:<target>:warn@<cycle>`` once ``warn.at_percent`` of the time is used (before the due
  time): notify the assignee;
- ``sla:<target>:breach@<cycle>`` at the due time: notify the supervisor, raise the priority
  one step;
- ``sla:<target>:breach+<after>@<cycle>`` ``reassign.after`` past the breached due time (the
  one before the breach step's priority raise, see :func:`breached_due`): move it to
  ``reassign.queue``.

Time is counted like the core counts the priority's targets (business or calendar time, see
:mod:`.sla_clock`). ``<cycle>`` is the ISO time that names the cycle: for first response and
resolution the cycle start — the conversation's creation, or its reopening — because the core
recomputes those due times when the priority changes; for next response the due time itself,
which the core sets once per customer wait and never recomputes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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
from careline_escalation.sla_clock import SlaClock, policy_target
from careline_escalation.targets import build_request, one_step_down, one_step_up

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


def told_cycle_start(conversation: ConversationView, sla: SlaState) -> datetime | None:
    """The cycle start when the core passes it (``SlaState.cycle_started_at`` or the view's
    ``reopened_at``; neither exists yet — see the plugin docs)."""
    for source, attribute in ((sla, "cycle_started_at"), (conversation, "reopened_at")):
        value = getattr(source, attribute, None)
        if isinstance(value, datetime):
            return value
    return None


def cycle_start(
    settings: Settings, conversation: ConversationView, sla: SlaState, target: str, due: datetime
) -> datetime:
    """When the current cycle of ``target`` (first response or resolution) started.

    Without the core's word, it is worked out from the due time: the core computes
    ``due = start + policy target`` for the current priority (recomputed on every priority
    change), so the start is the inverse. A start no later than the conversation's creation
    (or the first open moment after it) is the first cycle, named by the creation time.
    """
    told = told_cycle_start(conversation, sla)
    if told is not None:
        return told
    priority = Priority(conversation.priority)
    duration = policy_target(settings, priority, target)
    if duration is None:
        return conversation.created_at
    clock = SlaClock.for_priority(settings, priority)
    start = clock.start_of(due, duration)
    if start is None or start <= clock.first_moment(conversation.created_at):
        return conversation.created_at
    return start


def running_targets(
    settings: Settings, conversation: ConversationView, sla: SlaState, wanted: list[str]
) -> list[RunningTarget]:
    """The SLA targets in ``wanted`` whose clock runs at ``sla.now``."""
    running = []
    if "first_response" in wanted and sla.first_response_due and sla.first_response_at is None:
        due = sla.first_response_due
        start = cycle_start(settings, conversation, sla, "first_response", due)
        running.append(RunningTarget("first_response", start, due, start))
    if "next_response" in wanted and sla.next_response_due is not None:
        due = sla.next_response_due
        running.append(
            RunningTarget("next_response", waiting_since(settings, conversation, sla), due, due)
        )
    if (
        "resolution" in wanted
        and sla.resolution_due
        and sla.resolved_at is None
        and conversation.status not in FINISHED
    ):
        due = sla.resolution_due
        start = cycle_start(settings, conversation, sla, "resolution", due)
        running.append(RunningTarget("resolution", start, due, start))
    return running


def waiting_since(
    settings: Settings, conversation: ConversationView, sla: SlaState
) -> datetime | None:
    """When the customer's current wait for a next response started (for the warning share)."""
    told = getattr(sla, "next_response_started_at", None)
    if isinstance(told, datetime):
        return told
    assert sla.next_response_due is not None
    priority = Priority(conversation.priority)
    duration = policy_target(settings, priority, "next_response")
    if duration is not None:
        start = SlaClock.for_priority(settings, priority).start_of(sla.next_response_due, duration)
        if start is not None and start <= sla.now:
            return start
    return conversation.last_inbound_at


def breached_due(
    settings: Settings,
    conversation: ConversationView,
    sla: SlaState,
    running: RunningTarget,
    raises: bool,
) -> datetime:
    """The due time the breach was measured against, for the "breach + after" step.

    When the breach step raised the priority one step, the core recomputed the first-response
    and resolution due times for the higher priority — earlier ones. The due of the priority
    one step lower, once passed, is the one that was breached.
    """
    lower = one_step_down(Priority(conversation.priority))
    if not raises or running.name == "next_response" or lower is None:
        return running.due
    duration = policy_target(settings, lower, running.name)
    if duration is None:
        return running.due
    before_raise = SlaClock.for_priority(settings, lower).add(running.cycle, duration)
    return max(running.due, before_raise) if before_raise <= sla.now else running.due


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
    priority = Priority(conversation.priority)
    clock = SlaClock.for_priority(settings, priority)
    requests = []
    for running in running_targets(settings, conversation, sla, list(ladder.targets)):
        words = TARGET_WORDS[running.name]
        due_text = running.due.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")
        breached = sla.now >= running.due
        if ladder.warn.enabled and not breached and running.started is not None:
            share = clock.share(running.started, running.due, sla.now)
            if share * 100 >= ladder.warn.at_percent:
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
            raise_to = one_step_up(priority) if ladder.breach.raise_priority else None
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
        raises = ladder.breach.enabled and ladder.breach.raise_priority
        reference = breached_due(settings, conversation, sla, running, raises)
        if ladder.reassign.enabled and breached and sla.now >= clock.add(reference, after):
            step = f"breach+{format_duration(after)}"
            requests.append(
                build_request(
                    config,
                    conversation,
                    target=ladder.reassign.target,
                    reason=(
                        f"{words} still missing {format_duration(after)} after the target "
                        f"(due {reference.astimezone(zone):%Y-%m-%d %H:%M %Z}): moved to "
                        f"{ladder.reassign.queue}"
                    ),
                    trigger=trigger_id(running.name, step, running.cycle),
                    reassign_queue=ladder.reassign.queue,
                    notify=ladder.reassign.notify,
                )
            )
    return requests
