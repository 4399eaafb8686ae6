"""Notifications: stored per sender, delivered by the worker, retried, never silently dropped.

Plugins provide :class:`NotificationSender` objects through ``careline_notification_senders``.
:func:`notify` stores one :class:`~careline.models.Notice` per sender; :func:`deliver_due`
(called by the worker) delivers them, retries failures with exponential backoff and marks them
``failed`` after the last attempt, so the inbox and ``careline notifications list`` show them.
"""

from __future__ import annotations

import abc
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from careline.models import Notice
from careline.types import Notification
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.notifications")

MAX_ATTEMPTS = 6
BACKOFF_BASE = timedelta(seconds=10)


class NotificationError(Exception):
    """A sender could not deliver; ``transient`` errors are retried."""

    def __init__(self, message: str, *, transient: bool = True) -> None:
        super().__init__(message)
        self.transient = transient


class NotificationSender(abc.ABC):
    """Something that delivers notifications (webhook, e-mail, chat)."""

    name: str

    @abc.abstractmethod
    def deliver(self, notification: Notification) -> None:
        """Deliver one notification or raise :class:`NotificationError`."""


def senders(runtime: Runtime) -> dict[str, NotificationSender]:
    """Every sender the plugins provide, by name (built once per settings)."""

    def build() -> dict[str, NotificationSender]:
        found: dict[str, NotificationSender] = {}
        for group in runtime.pm.hook.careline_notification_senders(settings=runtime.settings):
            for sender in group or []:
                found[sender.name] = sender
        return found

    return runtime.settings.plugin_state("core:notification_senders", build)


def notify(
    session: Session, notification: Notification, sender_names: list[str], now: datetime
) -> list[Notice]:
    """Store ``notification`` once per sender, to be delivered by :func:`deliver_due`."""
    notices = []
    for name in sender_names:
        notice = Notice(
            sender=name,
            kind=notification.kind,
            title=notification.title,
            body=notification.body,
            conversation_id=notification.conversation_id,
            recipients=list(notification.recipients),
            payload={"url": notification.url, "data": dict(notification.data)},
            created_at=now,
            next_attempt_at=now,
        )
        session.add(notice)
        notices.append(notice)
    return notices


def _as_notification(notice: Notice) -> Notification:
    payload = notice.payload or {}
    return Notification(
        kind=notice.kind,
        title=notice.title,
        body=notice.body,
        recipients=tuple(notice.recipients),
        conversation_id=notice.conversation_id,
        url=payload.get("url"),
        data=payload.get("data") or {},
    )


def deliver_due(runtime: Runtime, *, limit: int = 50) -> int:
    """Try every notice whose time has come; return how many were delivered."""
    now = runtime.now()
    available = senders(runtime)
    delivered = 0
    with runtime.db.session() as session:
        query = (
            select(Notice)
            .where(Notice.status == "pending", col(Notice.next_attempt_at) <= now)
            .order_by(col(Notice.id))
            .limit(limit)
        )
        if runtime.db.supports_row_claims:
            query = query.with_for_update(skip_locked=True)
        for notice in session.exec(query).all():
            notice.attempts += 1
            sender = available.get(notice.sender)
            try:
                if sender is None:
                    raise NotificationError(f"no sender named {notice.sender!r} is installed")
                sender.deliver(_as_notification(notice))
            except Exception as exc:
                transient = getattr(exc, "transient", True)
                notice.last_error = f"{type(exc).__name__}: {exc}"[:1000]
                if transient and notice.attempts < MAX_ATTEMPTS:
                    notice.next_attempt_at = now + BACKOFF_BASE * (2 ** (notice.attempts - 1))
                else:
                    notice.status = "failed"
                    log.error("notification %s to %s failed: %s", notice.id, notice.sender, exc)
            else:
                notice.status = "delivered"
                notice.delivered_at = now
                delivered += 1
            session.add(notice)
    return delivered
