"""The SLA ladder on the clock tick, called through ``careline_escalate_on_tick``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pytest
from careline.business_hours import DEFAULT_SLA
from careline.clock import FrozenClock
from careline.types import ConversationStatus, EscalationRequest, Priority, SlaState

START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")
CYCLE = "@2026-01-05T09:00:00+00:00"


def tick(pm: Any, settings: Any, conversation: Any, sla: SlaState) -> dict[str, EscalationRequest]:
    groups = pm.hook.careline_escalate_on_tick(
        conversation=conversation, sla=sla, settings=settings
    )
    return {request.trigger: request for group in groups for request in group or []}


def first_response_sla(now: datetime, due: datetime, **changes: Any) -> SlaState:
    values: dict[str, Any] = {
        "now": now,
        "first_response_due": due,
        "first_response_at": None,
        "resolution_due": None,
        "resolved_at": None,
    }
    values.update(changes)
    return SlaState(**values)


def run_ticks(
    pm: Any,
    settings: Any,
    conversation: Any,
    clock: FrozenClock,
    until: datetime,
    every: timedelta,
    sla_at: Any,
) -> dict[str, datetime]:
    """Tick until ``until``; return when each trigger id was first returned (the core opens an
    escalation then and dedupes every later return of the same id)."""
    first_seen: dict[str, datetime] = {}
    while clock.now() <= until:
        for trigger in tick(pm, settings, conversation, sla_at(clock.now())):
            first_seen.setdefault(trigger, clock.now())
        clock.advance(every)
    return first_seen


def test_each_step_fires_once_at_the_right_moment(
    escalation_pm: Any, make_settings: Any, views: Any, careline_clock: FrozenClock
) -> None:
    careline_clock.set(START)
    due = START + timedelta(hours=1)
    seen = run_ticks(
        escalation_pm,
        make_settings({}),
        views.conversation(assignee_id=3),
        careline_clock,
        until=START + timedelta(hours=3),
        every=timedelta(minutes=1),
        sla_at=lambda now: first_response_sla(now, due),
    )
    assert seen == {
        f"sla:first_response:warn{CYCLE}": START + timedelta(minutes=48),
        f"sla:first_response:breach{CYCLE}": due,
        f"sla:first_response:breach+30m{CYCLE}": due + timedelta(minutes=30),
    }


def test_the_steps_notify_assignee_then_supervisor_then_move_the_conversation(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    due = START + timedelta(hours=1)
    conversation = views.conversation(assignee_id=3, priority=Priority.NORMAL)
    settings = make_settings({})
    warn = tick(
        escalation_pm,
        settings,
        conversation,
        first_response_sla(START + timedelta(minutes=50), due),
    )
    (warning,) = warn.values()
    assert warning.notify == ("target:assignee", "agent:3")
    assert warning.raise_priority is None and warning.reassign_queue is None
    assert "80 % of the time is used" in warning.reason
    late = tick(
        escalation_pm, settings, conversation, first_response_sla(due + timedelta(hours=1), due)
    )
    breach = late[f"sla:first_response:breach{CYCLE}"]
    assert breach.notify == ("target:supervisor", "role:supervisor")
    assert breach.raise_priority is Priority.HIGH
    reassign = late[f"sla:first_response:breach+30m{CYCLE}"]
    assert reassign.reassign_queue == "team-leads"
    assert reassign.target == "team_lead"
    assert f"sla:first_response:warn{CYCLE}" not in late  # a warning after the breach is noise


@pytest.mark.parametrize(
    ("priority", "raise_setting", "expected"),
    [
        (Priority.LOW, True, Priority.NORMAL),
        (Priority.NORMAL, True, Priority.HIGH),
        (Priority.HIGH, True, Priority.URGENT),
        (Priority.URGENT, True, None),
        (Priority.NORMAL, False, None),
    ],
)
def test_a_breach_raises_the_priority_one_step(
    escalation_pm: Any,
    make_settings: Any,
    views: Any,
    priority: Priority,
    raise_setting: bool,
    expected: Priority | None,
) -> None:
    settings = make_settings({"sla": {"breach": {"raise_priority": raise_setting}}})
    due = START + DEFAULT_SLA[priority][0]  # the core's first-response target of the priority
    result = tick(
        escalation_pm, settings, views.conversation(priority=priority), first_response_sla(due, due)
    )
    assert result[f"sla:first_response:breach{CYCLE}"].raise_priority is expected


def test_an_unassigned_conversation_warns_its_queue(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    due = START + timedelta(hours=1)
    sla = first_response_sla(START + timedelta(minutes=55), due)
    queued = tick(escalation_pm, make_settings({}), views.conversation(queue="billing"), sla)
    assert next(iter(queued.values())).notify == ("target:assignee", "queue:billing")
    nowhere = tick(escalation_pm, make_settings({}), views.conversation(queue=None), sla)
    assert next(iter(nowhere.values())).notify == ("target:assignee", "role:supervisor")


def test_steps_and_targets_can_be_switched_off(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    table = {"sla": {"warn": {"enabled": False}, "reassign": {"after": "2h", "queue": "leads"}}}
    due = START + timedelta(hours=1)
    result = tick(
        escalation_pm,
        make_settings(table),
        views.conversation(),
        first_response_sla(due + timedelta(hours=2), due),
    )
    assert set(result) == {
        f"sla:first_response:breach{CYCLE}",
        f"sla:first_response:breach+2h{CYCLE}",
    }
    assert result[f"sla:first_response:breach+2h{CYCLE}"].reassign_queue == "leads"
    only_resolution = make_settings({"sla": {"targets": ["resolution"]}})
    assert (
        tick(escalation_pm, only_resolution, views.conversation(), first_response_sla(due, due))
        == {}
    )
    off = make_settings({"sla": {"enabled": False}})
    assert tick(escalation_pm, off, views.conversation(), first_response_sla(due, due)) == {}


def test_ids_stay_the_same_when_a_priority_raise_moves_the_due_time(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    """The core recomputes first-response and resolution due times after a priority change;
    the ladder's ids name the cycle start, so a breach is not reported twice."""
    settings = make_settings({})
    at_breach = START + timedelta(hours=1)
    before = tick(
        escalation_pm, settings, views.conversation(), first_response_sla(at_breach, at_breach)
    )
    earlier_due = START + timedelta(minutes=30)
    after = tick(
        escalation_pm,
        settings,
        views.conversation(priority=Priority.HIGH),
        first_response_sla(at_breach + timedelta(minutes=1), earlier_due),
    )
    assert f"sla:first_response:breach{CYCLE}" in before
    assert set(before) <= set(after)
    assert all(trigger.endswith(CYCLE) for trigger in after)


@dataclass(frozen=True, slots=True)
class SlaStateWithCycle(SlaState):
    """An SlaState as the core will pass it once it tells hooks the cycle start."""

    cycle_started_at: datetime | None = None


def test_a_reopened_cycle_gets_new_ids_when_the_core_passes_the_cycle_start(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    reopened = START + timedelta(days=2)
    due = reopened + timedelta(hours=1)
    sla = SlaStateWithCycle(
        now=due,
        first_response_due=due,
        first_response_at=None,
        resolution_due=None,
        resolved_at=None,
        cycle_started_at=reopened,
    )
    result = tick(escalation_pm, make_settings({}), views.conversation(), sla)
    assert set(result) == {f"sla:first_response:breach@{reopened.isoformat()}"}


def test_a_reopened_cycle_is_recognised_from_its_due_time(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    """Today's core passes no cycle start; the due time of a reopened cycle (start + the
    priority's target) gives it away, so the new cycle's steps get new ids."""
    reopened = START + timedelta(days=2, minutes=13)
    due = reopened + timedelta(hours=1)
    result = tick(
        escalation_pm, make_settings({}), views.conversation(), first_response_sla(due, due)
    )
    assert set(result) == {f"sla:first_response:breach@{reopened.isoformat()}"}
    warned = tick(
        escalation_pm,
        make_settings({}),
        views.conversation(),
        first_response_sla(reopened + timedelta(minutes=50), due),
    )
    assert set(warned) == {f"sla:first_response:warn@{reopened.isoformat()}"}


def test_next_response_is_keyed_by_its_due_time_and_warns_at_80_percent_of_the_wait(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    asked = START + timedelta(hours=5)
    due = asked + timedelta(hours=1)
    conversation = views.conversation(last_inbound_at=asked + timedelta(minutes=30))
    sla = SlaState(
        now=asked + timedelta(minutes=47),
        first_response_due=START + timedelta(hours=1),
        first_response_at=START + timedelta(minutes=20),
        resolution_due=None,
        resolved_at=None,
        next_response_due=due,
    )
    assert tick(escalation_pm, make_settings({}), conversation, sla) == {}
    warned = tick(
        escalation_pm, make_settings({}), conversation, _at(sla, asked + timedelta(minutes=48))
    )
    assert set(warned) == {f"sla:next_response:warn@{due.isoformat()}"}


def test_resolution_stops_when_resolved(escalation_pm: Any, make_settings: Any, views: Any) -> None:
    due = START + timedelta(hours=24)
    sla = SlaState(
        now=due + timedelta(hours=1),
        first_response_due=START + timedelta(hours=1),
        first_response_at=START + timedelta(minutes=5),
        resolution_due=due,
        resolved_at=None,
    )
    open_ = tick(escalation_pm, make_settings({}), views.conversation(), sla)
    assert set(open_) == {f"sla:resolution:breach{CYCLE}", f"sla:resolution:breach+30m{CYCLE}"}
    resolved = views.conversation(status=ConversationStatus.RESOLVED)
    assert tick(escalation_pm, make_settings({}), resolved, sla) == {}
    assert tick(escalation_pm, make_settings({}), views.conversation(), _resolved(sla, due)) == {}


WEEKDAYS_9_TO_5 = {
    "enabled": True,
    "timezone": "Europe/London",
    **{day: ["09:00-17:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
}


def test_with_business_hours_every_step_counts_open_time_only(
    escalation_pm: Any, make_settings: Any, views: Any, careline_clock: FrozenClock
) -> None:
    """A message at 16:30 on Monday, 1h first-response target in business hours: due Tuesday
    09:30; 80 % (48 min) is used at 09:18, the reassign step comes at 10:00."""
    settings = make_settings({}, business_hours=WEEKDAYS_9_TO_5)
    created = START.replace(hour=16, minute=30)
    due = START + timedelta(days=1, minutes=30)
    careline_clock.set(created)
    seen = run_ticks(
        escalation_pm,
        settings,
        views.conversation(created_at=created, assignee_id=3),
        careline_clock,
        until=due + timedelta(hours=1),
        every=timedelta(minutes=3),
        sla_at=lambda now: first_response_sla(now, due),
    )
    cycle = f"@{created.isoformat()}"
    assert seen == {
        f"sla:first_response:warn{cycle}": due - timedelta(minutes=12),
        f"sla:first_response:breach{cycle}": due,
        f"sla:first_response:breach+30m{cycle}": due + timedelta(minutes=30),
    }


def test_breach_plus_waits_for_the_next_opening(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    settings = make_settings({}, business_hours=WEEKDAYS_9_TO_5)
    created = START.replace(hour=15, minute=45)
    due = START.replace(hour=16, minute=45)
    conversation = views.conversation(created_at=created)
    evening = tick(
        escalation_pm, settings, conversation, first_response_sla(due + timedelta(hours=3), due)
    )
    cycle = f"@{created.isoformat()}"
    assert set(evening) == {f"sla:first_response:breach{cycle}"}
    morning = first_response_sla(START + timedelta(days=1, minutes=15), due)
    assert f"sla:first_response:breach+30m{cycle}" in tick(
        escalation_pm, settings, conversation, morning
    )


def test_a_conversation_opened_at_the_weekend_is_still_its_first_cycle(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    settings = make_settings({}, business_hours=WEEKDAYS_9_TO_5)
    saturday = START - timedelta(days=2)
    due = START + timedelta(hours=1)  # Monday 09:00 opening + 1h
    result = tick(
        escalation_pm,
        settings,
        views.conversation(created_at=saturday),
        first_response_sla(due, due),
    )
    assert set(result) == {f"sla:first_response:breach@{saturday.isoformat()}"}


def _at(sla: SlaState, now: datetime) -> SlaState:
    return SlaState(
        now=now,
        first_response_due=sla.first_response_due,
        first_response_at=sla.first_response_at,
        resolution_due=sla.resolution_due,
        resolved_at=sla.resolved_at,
        next_response_due=sla.next_response_due,
    )


def _resolved(sla: SlaState, at: datetime) -> SlaState:
    return SlaState(
        now=sla.now,
        first_response_due=sla.first_response_due,
        first_response_at=sla.first_response_at,
        resolution_due=sla.resolution_due,
        resolved_at=at,
    )


def test_reassign_counts_from_the_due_time_missed_before_the_breach_raised_the_priority(
    escalation_pm: Any, make_settings: Any, views: Any
) -> None:
    """Normal (1h) breached at 10:00 and raised to high; the core now says due 09:30 (high's
    30m). The reassign step still comes 30m after 10:00, not right after the raise."""
    settings = make_settings({})
    raised = views.conversation(priority=Priority.HIGH)
    due_after_raise = START + timedelta(minutes=30)
    step = f"sla:first_response:breach+30m{CYCLE}"
    just_after = tick(
        escalation_pm,
        settings,
        raised,
        first_response_sla(START + timedelta(minutes=62), due_after_raise),
    )
    assert step not in just_after
    on_time = tick(
        escalation_pm,
        settings,
        raised,
        first_response_sla(START + timedelta(minutes=90), due_after_raise),
    )
    assert step in on_time
    assert "(due 2026-01-05 10:00 UTC)" in on_time[step].reason
