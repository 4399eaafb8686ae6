"""Through the real core: a message in, an escalation stored, notifications out; the worker's
tick walks the SLA ladder. On SQLite and PostgreSQL, with real HTTP receivers."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from careline import clockwork, events
from careline.clock import FrozenClock
from careline.models import Conversation, Escalation, Event, Notice
from careline.notifications import deliver_due
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver_and_process
from careline.types import ConversationStatus, Priority
from sqlmodel import col, select


def runtime_with_webhooks(careline_runtime: Any, receiver: Any) -> Any:
    table = {
        "webhooks": {
            "legal": {"url": receiver.url("/legal"), "recipients": ["target:legal"]},
            "care-leads": {"url": receiver.url("/slack"), "format": "slack", "recipients": ["*"]},
        },
    }
    return careline_runtime("careline-escalation", config={"escalation": table})


def escalations(runtime: Any) -> list[Escalation]:
    with runtime.db.session() as session:
        return list(session.exec(select(Escalation).order_by(col(Escalation.id))).all())


def test_a_legal_threat_is_escalated_and_notified(
    careline_runtime: Any, webhook_receiver: Any
) -> None:
    runtime = runtime_with_webhooks(careline_runtime, webhook_receiver)
    text = "Third time I ask. My lawyer will be in touch about this."
    deliver_and_process(runtime, "testchannel", delivery(message("m1", text=text)))
    (escalation,) = escalations(runtime)
    assert (escalation.trigger, escalation.target, escalation.status) == (
        "content:legal",
        "legal",
        "open",
    )
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.priority == Priority.HIGH
        assert conversation.status == ConversationStatus.ESCALATED
        senders = sorted(n.sender for n in session.exec(select(Notice)).all())
    assert senders == ["webhook:care-leads", "webhook:legal"]
    assert deliver_due(runtime) == 2
    by_path = {d.path: d for d in webhook_receiver.deliveries}
    payload = by_path["/legal"].json()
    assert payload["data"]["trigger"] == "content:legal"
    assert payload["conversation_id"] == conversation.id
    assert payload["url"].endswith(f"/inbox/conversations/{conversation.id}")
    assert by_path["/slack"].json()["blocks"][0]["text"]["text"].startswith("Escalated to legal")
    # The same trigger on a later message of the conversation opens nothing new.
    deliver_and_process(runtime, "testchannel", delivery(message("m2", text="My lawyer says hi")))
    assert len(escalations(runtime)) == 1


def test_the_tick_walks_the_sla_ladder_once(
    careline_runtime: Any, careline_clock: FrozenClock, webhook_receiver: Any
) -> None:
    runtime = runtime_with_webhooks(careline_runtime, webhook_receiver)
    opened = careline_clock.now()
    deliver_and_process(runtime, "testchannel", delivery(message("m1", at=opened)))
    seen: dict[str, timedelta] = {}
    for minute in range(0, 125, 2):
        careline_clock.set(opened + timedelta(minutes=minute))
        clockwork.tick(runtime)
        for escalation in escalations(runtime):
            seen.setdefault(escalation.trigger, timedelta(minutes=minute))
    cycle = f"@{opened.isoformat()}"
    assert seen[f"sla:first_response:warn{cycle}"] == timedelta(minutes=48)
    assert seen[f"sla:first_response:breach{cycle}"] == timedelta(minutes=60)
    # The breach raised normal → high and the core moved the due time to 30m; the reassign
    # step still counts from the due time that was missed.
    assert seen[f"sla:first_response:breach+30m{cycle}"] == timedelta(minutes=90)
    assert all(trigger.endswith(cycle) for trigger in seen)  # one cycle, each step once
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.queue == "team-leads"
        changes = session.exec(select(Event).where(Event.type == events.PRIORITY_CHANGED)).all()
    assert [(e.data["previous"], e.data["priority"]) for e in changes] == [("normal", "high")]
