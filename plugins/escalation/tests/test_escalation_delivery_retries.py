"""Retries and the failed state: the core's notify + deliver_due with this plugin's senders, on
the real database (SQLite and PostgreSQL) and a real HTTP receiver."""

from __future__ import annotations

from typing import Any

from careline.clock import FrozenClock
from careline.models import Notice
from careline.notifications import MAX_ATTEMPTS, deliver_due, notify, senders
from careline.types import Notification
from sqlmodel import select

NOTIFICATION = Notification(
    kind="escalation",
    title="Escalated to pr: influential author @dana_writes (48,000 followers)",
    body="A negative public message from an influential author needs PR's eyes.",
    recipients=("target:pr", "role:supervisor"),
    data={"trigger": "influence"},
)


def runtime_with_webhook(careline_runtime: Any, receiver: Any) -> Any:
    table = {"webhooks": {"pr": {"url": receiver.url("/pr"), "recipients": ["target:pr"]}}}
    return careline_runtime("careline-escalation", config={"escalation": table})


def enqueue(runtime: Any) -> None:
    with runtime.db.session() as session:
        notify(session, NOTIFICATION, sorted(senders(runtime)), runtime.now())


def the_notice(runtime: Any) -> Notice:
    with runtime.db.session() as session:
        (notice,) = session.exec(select(Notice)).all()
        return notice


def test_a_receiver_failing_twice_gets_exactly_one_delivery_after_retries(
    careline_runtime: Any, careline_clock: FrozenClock, webhook_receiver: Any
) -> None:
    runtime = runtime_with_webhook(careline_runtime, webhook_receiver)
    assert sorted(senders(runtime)) == ["webhook:pr"]
    webhook_receiver.fail_next(500, 503)
    enqueue(runtime)
    assert deliver_due(runtime) == 0
    first_retry = the_notice(runtime).next_attempt_at
    assert first_retry is not None
    assert deliver_due(runtime) == 0  # not due yet: nothing is posted
    assert len(webhook_receiver.deliveries) == 1
    careline_clock.set(first_retry)
    assert deliver_due(runtime) == 0
    second_retry = the_notice(runtime).next_attempt_at
    assert second_retry is not None
    careline_clock.set(second_retry)
    assert deliver_due(runtime) == 1
    careline_clock.advance(hours=6)
    assert deliver_due(runtime) == 0
    assert [d.status for d in webhook_receiver.deliveries] == [500, 503, 200]
    assert len(webhook_receiver.successful) == 1
    notice = the_notice(runtime)
    assert (notice.status, notice.attempts) == ("delivered", 3)
    assert notice.last_error is not None and "HTTP 503" in notice.last_error


def test_a_receiver_that_always_fails_ends_failed_with_the_error(
    careline_runtime: Any, careline_clock: FrozenClock, webhook_receiver: Any
) -> None:
    runtime = runtime_with_webhook(careline_runtime, webhook_receiver)
    webhook_receiver.fail_next(*[502] * (MAX_ATTEMPTS + 3))
    enqueue(runtime)
    for _ in range(MAX_ATTEMPTS + 3):
        deliver_due(runtime)
        careline_clock.advance(hours=12)
    notice = the_notice(runtime)
    assert (notice.status, notice.attempts) == ("failed", MAX_ATTEMPTS)
    assert notice.last_error is not None and "webhook pr (127.0.0.1" in notice.last_error
    assert "HTTP 502" in notice.last_error
    assert len(webhook_receiver.deliveries) == MAX_ATTEMPTS


def test_a_definitive_refusal_is_not_retried(
    careline_runtime: Any, careline_clock: FrozenClock, webhook_receiver: Any
) -> None:
    runtime = runtime_with_webhook(careline_runtime, webhook_receiver)
    webhook_receiver.fail_next(410)
    enqueue(runtime)
    deliver_due(runtime)
    careline_clock.advance(hours=12)
    deliver_due(runtime)
    notice = the_notice(runtime)
    assert (notice.status, notice.attempts) == ("failed", 1)
    assert "HTTP 410" in (notice.last_error or "")
    assert len(webhook_receiver.deliveries) == 1
