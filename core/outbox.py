"""The outbox: replies are stored before they are sent, and sent at most once.

An item goes ``queued → sending → sent``; a transient error puts it back to ``queued`` with an
exponential backoff (at least the platform's ``retry_after``); a definitive error, the last
retry, or a channel needing new credentials ends in ``failed`` with the reason on the message.
The ``sending`` state is committed *before* the platform is called, so a crash mid-send leaves
an item that is never sent again automatically: :func:`recover_interrupted` marks it failed
with a clear reason for the agent to check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from careline import events, notifications
from careline.channels import OutboundMessage, SendError
from careline.models import ChannelHealth, Conversation, Event, Message, OutboxItem
from careline.pipeline import record_reply, worker_name
from careline.types import Notification, Visibility
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.outbox")

QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
PENDING_APPROVAL, REJECTED = "pending_approval", "rejected"
INTERRUPTED_AFTER = timedelta(minutes=5)


@dataclass
class OutboxStats:
    """What one :func:`drain` did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0


def outbound_from_payload(payload: dict[str, Any]) -> OutboundMessage:
    """Rebuild the stored :class:`OutboundMessage` (JSON keeps enums as plain strings)."""
    return OutboundMessage(**{**payload, "visibility": Visibility(payload["visibility"])})


def claim_due(runtime: Runtime, session: Session, limit: int) -> list[OutboxItem]:
    """Queued items whose time has come, marked ``sending`` by this worker."""
    now = runtime.now()
    query = (
        select(OutboxItem)
        .where(OutboxItem.status == QUEUED)
        .where(col(OutboxItem.next_attempt_at) <= now)
        .order_by(col(OutboxItem.id))
        .limit(limit)
    )
    if runtime.db.supports_row_claims:
        query = query.with_for_update(skip_locked=True)
    items = list(session.exec(query).all())
    for item in items:
        item.status = SENDING
        item.claimed_by = worker_name()
        item.claimed_at = now
        item.attempts += 1
        session.add(item)
    return items


def drain(runtime: Runtime, *, limit: int = 50) -> OutboxStats:
    """Send every due item (claims are committed before any platform is called)."""
    stats = OutboxStats()
    with runtime.db.session() as session:
        claimed = [item.id for item in claim_due(runtime, session, limit)]
    for item_id in claimed:
        assert item_id is not None
        outcome = send_claimed(runtime, item_id)
        if outcome == SENT:
            stats.sent += 1
        elif outcome == QUEUED:
            stats.retried += 1
        else:
            stats.failed += 1
    return stats


def send_now(runtime: Runtime, item_id: int) -> str:
    """Claim one queued item and send it at once (inline sending from the API or CLI)."""
    with runtime.db.session() as session:
        item = session.get(OutboxItem, item_id)
        if item is None or item.status != QUEUED:
            return item.status if item else FAILED
        if runtime.db.supports_row_claims:
            session.refresh(item, with_for_update={"skip_locked": True})
        item.status = SENDING
        item.claimed_by = worker_name()
        item.claimed_at = runtime.now()
        item.attempts += 1
        session.add(item)
    return send_claimed(runtime, item_id)


def send_claimed(runtime: Runtime, item_id: int) -> str:
    """Call the channel for an item this worker claimed and record the outcome."""
    with runtime.db.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        outbound = outbound_from_payload(item.payload)
    channel = runtime.channel(outbound.channel)
    try:
        result = channel.send(outbound)
    except SendError as error:
        return _record_failure(runtime, item_id, error)
    except Exception as exc:  # a plugin bug must not lose the reply: treat as transient
        log.exception("channel %s raised while sending outbox item %s", outbound.channel, item_id)
        return _record_failure(
            runtime, item_id, SendError(f"{type(exc).__name__}: {exc}", transient=True)
        )
    with runtime.db.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        message = session.get(Message, item.message_id)
        conversation = session.get(Conversation, item.conversation_id)
        assert message is not None and conversation is not None
        now = runtime.now()
        _absorb_early_echo(session, message, result.external_id)
        item.status, item.sent_at, item.last_error = SENT, now, None
        message.external_id = result.external_id
        message.delivery_state, message.delivery_error = SENT, None
        message.created_at = now
        session.add_all([item, message])
        session.flush()
        record_reply(
            runtime,
            session,
            conversation,
            message,
            agent_id=message.sent_by_agent_id,
            automated=message.automated,
            via="careline",
        )
    return SENT


def _absorb_early_echo(session: Session, message: Message, external_id: str) -> None:
    """An echo of this very reply may have arrived before the send returned: drop its copy."""
    echo = session.exec(
        select(Message).where(
            Message.channel == message.channel,
            Message.external_id == external_id,
            Message.id != message.id,
        )
    ).first()
    if echo is None:
        return
    for event in session.exec(select(Event).where(Event.message_id == echo.id)).all():
        session.delete(event)
    session.delete(echo)
    session.flush()


def _record_failure(runtime: Runtime, item_id: int, error: SendError) -> str:
    settings = runtime.settings.core("outbox")
    now = runtime.now()
    with runtime.db.session() as session:
        item = session.get(OutboxItem, item_id)
        assert item is not None
        message = session.get(Message, item.message_id)
        assert message is not None
        item.last_error = str(error)[:2000]
        if error.transient and item.attempts < settings.max_attempts:
            backoff = min(settings.backoff_base * (2 ** (item.attempts - 1)), settings.backoff_max)
            wait = max(backoff, timedelta(seconds=error.retry_after or 0))
            item.status, item.next_attempt_at = QUEUED, now + wait
            message.delivery_state = "retrying"
            message.delivery_error = f"{error} (attempt {item.attempts}; retrying)"
            session.add_all([item, message])
            return QUEUED
        item.status = FAILED
        reason = str(error)
        if error.transient:
            reason = f"{error} (gave up after {item.attempts} attempts)"
        message.delivery_state, message.delivery_error = FAILED, reason
        session.add_all([item, message])
        events.record(
            session,
            events.REPLY_FAILED,
            at=now,
            conversation_id=item.conversation_id,
            message_id=message.id,
            error=reason,
            code=error.code,
        )
        if error.needs_reconnect:
            mark_needs_reconnect(runtime, session, item.channel, message.account, reason)
        return FAILED


def mark_needs_reconnect(
    runtime: Runtime, session: Session, channel: str, account: str, reason: str
) -> None:
    """Record that a channel account needs new credentials and tell the admins (once)."""
    health = session.exec(
        select(ChannelHealth).where(
            ChannelHealth.channel == channel, ChannelHealth.account == account
        )
    ).first()
    if health is not None and health.state == "needs_reconnect":
        return
    health = health or ChannelHealth(channel=channel, account=account)
    health.state, health.reason, health.since = "needs_reconnect", reason, runtime.now()
    session.add(health)
    available = notifications.senders(runtime)
    if available:
        notification = Notification(
            kind="channel_needs_reconnect",
            title=f"{channel} account {account} needs to be reconnected",
            body=f"careline stopped sending and polling on {channel} ({account}): {reason}. "
            "Set a new token and run `careline channels reconnect`.",
            recipients=("role:admin",),
        )
        notifications.notify(session, notification, sorted(available), runtime.now())


def recover_interrupted(runtime: Runtime) -> int:
    """Fail items left in ``sending`` by a crashed worker (they may have gone out: never resend)."""
    cutoff = runtime.now() - INTERRUPTED_AFTER
    with runtime.db.session() as session:
        stale = session.exec(
            select(OutboxItem)
            .where(OutboxItem.status == SENDING)
            .where(col(OutboxItem.claimed_at) < cutoff)
        ).all()
        for item in stale:
            item.status = FAILED
            item.last_error = (
                "interrupted while sending: it may or may not have reached the platform; check "
                "there before sending it again"
            )
            message = session.get(Message, item.message_id)
            if message is not None:
                message.delivery_state, message.delivery_error = FAILED, item.last_error
                session.add(message)
            session.add(item)
            events.record(
                session,
                events.REPLY_FAILED,
                at=runtime.now(),
                conversation_id=item.conversation_id,
                message_id=item.message_id,
                error=item.last_error,
            )
        return len(stale)
