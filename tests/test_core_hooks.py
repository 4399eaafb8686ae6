"""How the core applies what hooks answer: escalations, assignment, notifications, web routes."""

from __future__ import annotations

from datetime import timedelta

from careline import clockwork, events, hookimpl, notifications, pipeline
from careline.models import Conversation, Escalation, Event, Notice
from careline.notifications import NotificationError, NotificationSender
from careline.services import agents, conversations
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver_and_process
from careline.types import ConversationStatus, EscalationRequest, Notification, Priority
from sqlmodel import select
from starlette.responses import PlainTextResponse
from starlette.routing import Route


class Recorder(NotificationSender):
    name = "recorder"

    def __init__(self, failures: int = 0, transient: bool = True) -> None:
        self.failures = failures
        self.transient = transient
        self.delivered: list[Notification] = []

    def deliver(self, notification: Notification) -> None:
        if self.failures:
            self.failures -= 1
            raise NotificationError("receiver down", transient=self.transient)
        self.delivered.append(notification)


class Escalator:
    """Escalates legal words on messages, reopens on status, breaches on the clock."""

    def __init__(self, sender: Recorder) -> None:
        self.sender = sender

    @hookimpl
    def careline_escalate_on_message(self, conversation, message):
        if "lawyer" in message.text:
            return [
                EscalationRequest(
                    "legal", "legal threat", "content:legal", raise_priority=Priority.HIGH
                )
            ]
        return None

    @hookimpl
    def careline_escalate_on_status(self, conversation, old_status, new_status):
        if old_status == ConversationStatus.RESOLVED and new_status == ConversationStatus.OPEN:
            return [EscalationRequest("supervisor", "reopened", f"reopen:{conversation.id}")]
        return None

    @hookimpl
    def careline_escalate_on_tick(self, conversation, sla):
        if (
            sla.first_response_due
            and sla.first_response_at is None
            and sla.now >= sla.first_response_due
        ):
            return [
                EscalationRequest(
                    "supervisor",
                    "first response missed",
                    "sla:first_response",
                    reassign_queue="leads",
                )
            ]
        return None

    @hookimpl
    def careline_notification_senders(self):
        return [self.sender]


def escalations_of(runtime) -> list[Escalation]:
    with runtime.db.session() as session:
        return list(session.exec(select(Escalation).order_by(Escalation.id)).all())


def test_message_trigger_opens_one_escalation_raises_priority_and_notifies(
    careline_runtime,
) -> None:
    sender = Recorder()
    runtime = careline_runtime(Escalator(sender))
    deliver_and_process(runtime, "testchannel", delivery(message("m1", text="my lawyer will call")))
    deliver_and_process(runtime, "testchannel", delivery(message("m2", text="lawyer again!")))
    found = escalations_of(runtime)
    assert [(e.target, e.trigger) for e in found] == [("legal", "content:legal")]
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.priority == Priority.HIGH
        assert conversation.status == ConversationStatus.ESCALATED
    assert notifications.deliver_due(runtime) == 1
    assert sender.delivered[0].conversation_id == conversation.id


def test_status_trigger_fires_on_reopen(careline_runtime) -> None:
    runtime = careline_runtime(Escalator(Recorder()))
    deliver_and_process(runtime, "testchannel", delivery(message("m1")))
    conversation_id = escalations_of(runtime) or None
    with runtime.db.session() as session:
        conversation_id = session.exec(select(Conversation)).one().id
    conversations.resolve(runtime, conversation_id, agent_id=None)
    conversations.reopen(runtime, conversation_id, agent_id=None)
    assert [e.target for e in escalations_of(runtime)] == ["supervisor"]


def test_tick_records_breach_once_and_escalates_once(careline_runtime, careline_clock) -> None:
    runtime = careline_runtime(Escalator(Recorder()))
    deliver_and_process(runtime, "testchannel", delivery(message("m1", at=careline_clock.now())))
    careline_clock.advance(minutes=50)
    assert clockwork.tick(runtime).warnings == 1
    careline_clock.advance(minutes=20)
    first = clockwork.tick(runtime)
    second = clockwork.tick(runtime)
    assert (first.breaches, first.escalations) == (1, 1)
    assert (second.breaches, second.escalations) == (0, 0)
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
        assert conversation.queue == "leads"
        breach = session.exec(select(Event).where(Event.type == events.SLA_BREACHED)).one()
        assert breach.at == conversation.first_response_due


def test_failing_notifications_are_retried_then_marked_failed(
    careline_runtime, careline_clock
) -> None:
    flaky, dead = Recorder(failures=2), Recorder(failures=99)
    dead.name = "dead"

    class Senders:
        @hookimpl
        def careline_notification_senders(self):
            return [flaky, dead]

    runtime = careline_runtime(Senders())
    with runtime.db.session() as session:
        notifications.notify(
            session, Notification("test", "Hello", "body"), ["recorder", "dead"], runtime.now()
        )
    for _ in range(10):
        notifications.deliver_due(runtime)
        careline_clock.advance(hours=1)
    assert len(flaky.delivered) == 1
    with runtime.db.session() as session:
        states = {n.sender: (n.status, n.attempts) for n in session.exec(select(Notice)).all()}
    assert states["recorder"] == ("delivered", 3)
    assert states["dead"] == ("failed", notifications.MAX_ATTEMPTS)


def test_assignment_hook_is_asked_and_respected(careline_runtime) -> None:
    class FirstAgent:
        @hookimpl
        def careline_assign(self, conversation, candidates):
            return candidates[0].id if candidates else None

        @hookimpl
        def careline_reassign(self, conversation, now):
            return now - conversation.last_inbound_at > timedelta(hours=2)

    runtime = careline_runtime(FirstAgent())
    deliver_and_process(runtime, "testchannel", delivery(message("m0")))
    agent = agents.add_agent(runtime, "Jo")
    assert clockwork.tick(runtime).assigned == 1
    with runtime.db.session() as session:
        assert session.exec(select(Conversation)).one().assignee_id == agent.id
    runtime.clock.advance(hours=3)
    stats = clockwork.tick(runtime)
    assert stats.unassigned == 1
    assert stats.assigned == 1  # offered again at once, and the hook picks the only agent


def test_route_hook_decides_queue_priority_and_ignore(careline_runtime) -> None:
    from careline.types import RoutingDecision

    class Router:
        @hookimpl
        def careline_route(self, conversation, message):
            if message.text.startswith("RT "):
                return RoutingDecision(ignore_reason="retweet", rule="retweets")
            return RoutingDecision(queue="billing", priority=Priority.URGENT, tags=("money",))

    runtime = careline_runtime(Router())
    deliver_and_process(
        runtime,
        "testchannel",
        delivery(message("m1", text="charged twice")),
        delivery(message("m2", thread="t2", text="RT @acme great")),
    )
    with runtime.db.session() as session:
        rows = {c.thread_key: c for c in session.exec(select(Conversation)).all()}
    assert (rows["t1"].queue, rows["t1"].priority, rows["t1"].tags) == (
        "billing",
        "urgent",
        ["money"],
    )
    assert rows["t1"].first_response_due is not None
    assert rows["t2"].status == ConversationStatus.IGNORED
    assert rows["t2"].first_response_due is None


def test_careline_web_routes_are_mounted(careline_app) -> None:
    class Hello:
        @hookimpl
        def careline_web_routes(self, settings):
            return [Route("/hello", lambda request: PlainTextResponse("hello"))]

    client = careline_app(Hello())
    assert client.get("/hello").text == "hello"


def test_pipeline_threads_public_replies_by_thread_key(careline_runtime) -> None:
    runtime = careline_runtime()
    deliver_and_process(
        runtime,
        "testchannel",
        delivery(message("a", thread="root"), message("b", author="u2", thread="root")),
    )
    with runtime.db.session() as session:
        assert len(session.exec(select(Conversation)).all()) == 1
    assert pipeline.DEFAULT_QUEUE == "general"


def test_agents_off_shift_are_offered_as_off_shift(careline_runtime, careline_clock) -> None:
    seen: list[tuple[str, bool]] = []

    class Recorder:
        @hookimpl
        def careline_assign(self, candidates):
            seen.extend((agent.name, agent.on_shift) for agent in candidates)
            return None

    runtime = careline_runtime(Recorder())
    weekdays = {
        day: ["09:00-17:00"] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    }
    agents.add_agent(runtime, "Day Shift", working_hours={"timezone": "UTC", **weekdays})
    agents.add_agent(runtime, "Always")
    careline_clock.set(careline_clock.now().replace(hour=20))  # Monday 20:00 UTC
    deliver_and_process(runtime, "testchannel", delivery(message("m1", at=careline_clock.now())))
    assert sorted(seen) == [("Always", True), ("Day Shift", False)]


def test_bad_working_hours_are_refused(careline_runtime) -> None:
    import pytest

    runtime = careline_runtime()
    with pytest.raises(ValueError, match="working hours"):
        agents.add_agent(runtime, "Oops", working_hours={"monday": ["17:00-09:00"]})
