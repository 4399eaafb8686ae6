"""The worker: polls channels, processes raw events, drains the outbox, ticks the clock.

One worker per SQLite instance; any number on PostgreSQL, where rows are claimed with
``FOR UPDATE SKIP LOCKED``. A stop request (SIGINT/SIGTERM or :meth:`Worker.stop`) lets the
current step finish: claimed raw events are committed in their batch or stay pending, and an
outbox item is never left half-sent without being marked.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from careline import clockwork, notifications, outbox, pipeline
from careline.channels import ChannelError, SendError
from careline.ingest import store_raw_events
from careline.models import ChannelCursor, ChannelHealth
from sqlmodel import select

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.worker")


@dataclass
class PollStats:
    """What one poll of every channel did."""

    pages: int = 0
    stored: int = 0
    errors: list[str] = field(default_factory=list)


def _needs_reconnect(runtime: Runtime, channel: str) -> bool:
    with runtime.db.session() as session:
        return (
            session.exec(
                select(ChannelHealth.id).where(
                    ChannelHealth.channel == channel, ChannelHealth.state == "needs_reconnect"
                )
            ).first()
            is not None
        )


def poll_channels(runtime: Runtime, *, max_pages: int = 20) -> PollStats:
    """Poll every source of every pollable channel from its stored cursor."""
    stats = PollStats()
    for name, channel in runtime.channels.items():
        if not channel.manifest.supports_polling or _needs_reconnect(runtime, name):
            continue
        for source in channel.poll_sources():
            for _ in range(max_pages):
                with runtime.db.session() as session:
                    row = session.exec(
                        select(ChannelCursor).where(
                            ChannelCursor.channel == name, ChannelCursor.source == source
                        )
                    ).first()
                    cursor = row.cursor if row else None
                try:
                    page = channel.poll(source, cursor)
                except SendError as error:
                    stats.errors.append(f"{name}/{source}: {error}")
                    if error.needs_reconnect:
                        with runtime.db.session() as session:
                            outbox.mark_needs_reconnect(
                                runtime, session, name, channel.poll_account(source), str(error)
                            )
                    break
                except ChannelError as error:
                    stats.errors.append(f"{name}/{source}: {error}")
                    break
                with runtime.db.session() as session:
                    connection = session.connection()
                    stats.stored += store_raw_events(
                        connection,
                        name,
                        [(channel.delivery_key(body), body) for body in page.deliveries],
                        via="poll",
                        received_at=runtime.now(),
                    )
                    row = row or ChannelCursor(channel=name, source=source)
                    row.cursor, row.updated_at = page.cursor, runtime.now()
                    session.add(row)
                stats.pages += 1
                if not page.more:
                    break
    return stats


class Worker:
    """The background loop (also run inside ``careline serve`` for the embedded default)."""

    def __init__(self, runtime: Runtime, *, poll: bool = True) -> None:
        self.runtime = runtime
        self.poll = poll
        self._stop = threading.Event()
        self._last_poll: float = 0.0
        self._last_tick: float = 0.0

    def stop(self) -> None:
        """Ask the loop to finish its current step and return."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stop.is_set()

    def run_once(self, *, force: bool = False) -> dict[str, int]:
        """One round: poll (when due), process, send, notify, tick (when due)."""
        config = self.runtime.settings.core("worker")
        now = time.monotonic()
        figures: dict[str, int] = {}
        if self.poll and (force or now - self._last_poll >= config.poll_interval.total_seconds()):
            self._last_poll = now
            figures["polled"] = poll_channels(self.runtime).stored
        processed = pipeline.process_pending(self.runtime, stop=self._stop.is_set)
        figures["processed"] = processed.raw_events
        figures["failed"] = processed.failed
        figures["sent"] = outbox.drain(self.runtime).sent
        figures["notified"] = notifications.deliver_due(self.runtime)
        if force or now - self._last_tick >= config.tick_interval.total_seconds():
            self._last_tick = now
            outbox.recover_interrupted(self.runtime)
            stats = clockwork.tick(self.runtime)
            figures["breaches"] = stats.breaches
        return figures

    def run(self, *, until: datetime | None = None) -> None:
        """Loop until stopped; sleeps briefly when there was nothing to do."""
        idle = self.runtime.settings.core("worker").idle_sleep.total_seconds()
        log.info("worker started")
        while not self.stopping:
            if until is not None and self.runtime.now() >= until:
                break
            try:
                figures = self.run_once()
            except Exception:  # the loop must survive anything a plugin does
                log.exception("worker round failed; continuing")
                figures = {}
            if not figures.get("processed") and not figures.get("sent"):
                self._stop.wait(idle)
        log.info("worker stopped")
