"""The inbound pipeline: raw events → messages in conversations, enriched, routed, assigned.

Processing is idempotent (messages are unique per ``(channel, external_id)``) and ordered by raw
event id. A raw event that cannot be processed (bad payload, a plugin raising) goes to the
``failed`` state with its error; it is never lost and ``careline events replay`` runs it again.
One bad delivery never undoes its neighbours in the batch.

A batch is parsed first (a delivery that does not parse fails at once), then threaded as a whole
by :class:`~careline.pipeline_batch.BatchRun` — a few queries and one bulk write per table for the
batch, in one savepoint. When a raw event's messages raise, the savepoint is rolled back: the
events before it run again as a batch, it runs alone in its own savepoint (and fails alone), and
the rest continue. A database error that belongs to no single event (on PostgreSQL, another
worker's conflicting insert or a deadlock) makes every event of the batch run alone, with the
retries such conflicts deserve.
"""

from __future__ import annotations

import gc
import logging
import os
import socket
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import sqlalchemy as sa
from careline import events
from careline.bulk_write import update_rows
from careline.channels import ParseError
from careline.models import Conversation, Message, RawEvent
from careline.pipeline_batch import CLOSED_STATUSES as CLOSED_STATUSES
from careline.pipeline_batch import DEFAULT_QUEUE as DEFAULT_QUEUE
from careline.pipeline_batch import BatchRun, Unit, UnitFailed, UnitResult, reply_recorded
from careline.pipeline_batch import thread_key as thread_key
from careline.pipeline_store import RAW_EVENT
from careline.types import InboundMessage
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.channels import Channel
    from careline.enrichment_pool import DeliveriesAhead, EnrichmentPool, EnrichmentsAhead
    from careline.runtime import Runtime

log = logging.getLogger("careline.pipeline")

CONFLICT_RETRIES = 3
OUTCOME_COLUMNS = ("status", "error", "processed_at", "attempts")
"""What processing writes on a raw event. (``attempts`` is counted from the claimed row: no other
worker changes it meanwhile, as the row stays claimed, locked on PostgreSQL, until the commit.)"""


def worker_name() -> str:
    """An identifier for this process, recorded on the rows it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class ProcessStats:
    """What one call of :func:`process_pending` did."""

    raw_events: int = 0
    failed: int = 0
    messages: int = 0
    duplicates: int = 0
    errors: list[str] = field(default_factory=list)

    def add(self, other: ProcessStats) -> None:
        """Accumulate another batch's figures."""
        self.raw_events += other.raw_events
        self.failed += other.failed
        self.messages += other.messages
        self.duplicates += other.duplicates
        self.errors.extend(other.errors)


@dataclass(frozen=True, slots=True)
class ClaimedEvent:
    """A pending raw event taken for processing."""

    id: int
    channel: str
    body: bytes
    attempts: int


# --- claiming ---------------------------------------------------------------------------------
def claim_batch(runtime: Runtime, session: Session, limit: int) -> list[ClaimedEvent]:
    """Pending raw events in id order; on PostgreSQL locked so other workers skip them."""
    query = (
        sa.select(RAW_EVENT.c.id, RAW_EVENT.c.channel, RAW_EVENT.c.body, RAW_EVENT.c.attempts)
        .where(RAW_EVENT.c.status == "pending")
        .order_by(RAW_EVENT.c.id)
        .limit(limit)
    )
    if runtime.db.supports_row_claims:
        query = query.with_for_update(skip_locked=True)
    rows = session.connection().execute(query)
    return [ClaimedEvent(row.id, row.channel, row.body, row.attempts) for row in rows]


class ReadAhead:
    """The raw events after a batch, read while it runs and handed to the enrichment processes
    at once: to be parsed and their customer messages enriched there (events of a channel they
    cannot parse are parsed here, their messages handed over).

    Without it, the enrichment processes wait while the pipeline writes a batch, commits, claims
    and parses the next; with it, they are already parsing and enriching the next batch then,
    and the pipeline's own process parses nothing. It is a guess, made on SQLite only, where one
    worker claims the pending events in id order: the next batch is the events after this one.
    The batch claimed next is what runs — an event read ahead and not claimed is dropped, one
    claimed and not read ahead (or whose answer did not come) is parsed and handed over then.
    On PostgreSQL the next events are any worker's to claim, so each batch hands over its own.
    """

    def __init__(self, runtime: Runtime, pool: EnrichmentPool, size: int) -> None:
        self._runtime = runtime
        self._pool = pool
        self._size = size
        self._parsed: dict[int, list[InboundMessage] | Exception] = {}
        self._deliveries: DeliveriesAhead | None = None

    @classmethod
    def for_runtime(cls, runtime: Runtime, size: int) -> ReadAhead | None:
        """A read-ahead of batches of ``size`` for ``runtime``, or ``None`` (PostgreSQL, or no
        enrichment processes)."""
        if runtime.db.supports_row_claims:
            return None
        pool = runtime.enrichment_pool()
        return None if pool is None else cls(runtime, pool, size)

    def take(self) -> tuple[dict[int, list[InboundMessage] | Exception], EnrichmentsAhead | None]:
        """What was read ahead: each event's messages (or parse error) by id, waiting for the
        processes' answers, and the messages' enrichments under way."""
        parsed, deliveries = self._parsed, self._deliveries
        self._parsed, self._deliveries = {}, None
        if deliveries is None:
            return parsed, None
        parsed.update(deliveries.parsed())
        return parsed, deliveries.enrichments

    def read_after(self, session: Session, last_id: int) -> None:
        """Read the pending events after ``last_id`` and hand them over (nothing once the
        processes are closed or given up)."""
        self.drop()
        if self._pool.closed or self._pool.disabled:
            return
        query = _PENDING_AFTER.limit(self._size)
        events: list[tuple[int, str, bytes]] = []
        items: list[InboundMessage] = []
        for row in session.connection().execute(query, {"after": last_id}):
            if self._pool.parses(row.channel):
                events.append((row.id, row.channel, row.body))
                continue
            raw = ClaimedEvent(row.id, row.channel, row.body, row.attempts)
            try:
                self._parsed[raw.id] = parsed = parse_raw_event(self._runtime, raw)
            except Exception as exc:
                self._parsed[raw.id] = exc
                continue
            items.extend(parsed)
        if not events and not items:
            return
        self._deliveries = self._pool.parse_ahead(events)
        self._pool.ahead(items, adding_to=self._deliveries.enrichments, guess=True)

    def drop(self) -> None:
        """Forget what was read ahead (no batch will take it)."""
        if self._deliveries is not None:
            self._deliveries.drop()
            self._pool.drop(self._deliveries.enrichments)
        self._parsed, self._deliveries = {}, None


_PENDING_AFTER = (
    sa.select(RAW_EVENT.c.id, RAW_EVENT.c.channel, RAW_EVENT.c.body, RAW_EVENT.c.attempts)
    .where(RAW_EVENT.c.status == "pending", RAW_EVENT.c.id > sa.bindparam("after"))
    .order_by(RAW_EVENT.c.id)
)


def process_pending(
    runtime: Runtime,
    *,
    batch_size: int | None = None,
    max_batches: int | None = None,
    stop: Callable[[], bool] | None = None,
) -> ProcessStats:
    """Process pending raw events in batches until none is left (or ``max_batches``, or
    ``stop()`` answers true before a batch: a worker shutting down finishes the batch at hand).

    With enrichment processes on SQLite, each batch reads the next one ahead (:class:`ReadAhead`).
    """
    size = batch_size or runtime.settings.core("pipeline").batch_size
    total = ProcessStats()
    batches = 0
    read_ahead = ReadAhead.for_runtime(runtime, size)
    try:
        while max_batches is None or batches < max_batches:
            if stop is not None and stop():
                break
            with runtime.db.session() as session:
                batch = claim_batch(runtime, session, size)
                if not batch:
                    break
                last = max_batches is not None and batches + 1 == max_batches
                total.add(
                    process_batch(
                        runtime, session, batch, read_ahead=read_ahead, read_next=not last
                    )
                )
            batches += 1
    finally:
        if read_ahead is not None:
            read_ahead.drop()
    return total


def process_batch(
    runtime: Runtime,
    session: Session,
    batch: Sequence[ClaimedEvent],
    *,
    read_ahead: ReadAhead | None = None,
    read_next: bool = True,
) -> ProcessStats:
    """Process claimed raw events and record each one's outcome (failures are dead-lettered).

    With ``read_ahead``, the events it read before are not parsed again, and, unless not
    ``read_next`` (a last batch), it reads the events after this batch while the batch runs.
    """
    stats = ProcessStats()
    now = runtime.now()
    parsed, ahead = read_ahead.take() if read_ahead is not None else ({}, None)
    outcomes: dict[int, UnitResult | Exception] = {}
    units: list[Unit] = []
    for raw in batch:
        items = parsed.get(raw.id)
        if items is None:
            try:
                items = parse_raw_event(runtime, raw)
            except Exception as exc:
                items = exc
        if isinstance(items, Exception):
            outcomes[raw.id] = items
        else:
            units.append(Unit(items, raw_event_id=raw.id))
    pool = runtime.enrichment_pool()
    if pool is not None:
        # this batch's messages go to the processes before the next batch's
        ahead = pool.ahead([item for unit in units for item in unit.items], adding_to=ahead)
    if read_ahead is not None and read_next:
        try:
            read_ahead.read_after(session, batch[-1].id)
        except Exception as exc:  # only a guess: the batch does not depend on it
            log.warning("reading the next batch ahead failed: %s", exc)
            read_ahead.drop()
    results = run_units(runtime, session, units, now=now, ahead=ahead)
    for unit, outcome in zip(units, results, strict=True):
        assert unit.raw_event_id is not None
        outcomes[unit.raw_event_id] = outcome
    rows = []
    for raw in batch:
        stats.raw_events += 1
        outcome = outcomes[raw.id]
        error = None
        if isinstance(outcome, Exception):
            stats.failed += 1
            error = f"{type(outcome).__name__}: {outcome}"
            stats.errors.append(f"raw event {raw.id}: {error}")
            log.warning("raw event %s (%s) failed: %s", raw.id, raw.channel, error)
        else:
            stats.messages += outcome.stored
            stats.duplicates += outcome.duplicates
        rows.append(
            {
                "id": raw.id,
                "status": "failed" if error else "done",
                "error": error[:2000] if error else None,
                "processed_at": now,
                "attempts": raw.attempts + 1,
            }
        )
    if rows:
        update_rows(session.connection(), RAW_EVENT, rows, OUTCOME_COLUMNS)
    return stats


def parse_raw_event(runtime: Runtime, raw: ClaimedEvent) -> list[InboundMessage]:
    """The messages of a raw event, or :class:`ParseError` (also for a plugin's crash)."""
    return parse_delivery(runtime.channel(raw.channel), raw.body)


def parse_delivery(channel: Channel, body: bytes) -> list[InboundMessage]:
    """The messages of a delivery to ``channel``, or :class:`ParseError` (also for a plugin's
    crash, or a message of another channel). Enrichment processes parse with it too."""
    try:
        items = channel.parse(body)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"the {channel.name} plugin failed to parse: {exc}") from exc
    for item in items:
        if item.channel != channel.name:
            raise ParseError(f"parse returned a message for channel {item.channel!r}")
    return items


# --- failure isolation ------------------------------------------------------------------------
def run_units(
    runtime: Runtime,
    session: Session,
    units: Sequence[Unit],
    *,
    now: datetime | None = None,
    ahead: EnrichmentsAhead | None = None,
) -> list[UnitResult | Exception]:
    """Handle ``units`` in order as batches; each outcome is a result or the unit's error.

    They happen at ``now`` (by default the clock's time when called): see
    :attr:`~careline.pipeline_batch.BatchRun.now`. ``ahead`` is their enrichments, handed to
    the enrichment processes already (by default they are handed over here).

    A unit that raises is rolled back alone (see the module docstring). A conflict with another
    worker (PostgreSQL) runs the batch again, as the other worker's rows are committed by then;
    any other database error, or conflicts that persist, make every unit run alone. With
    enrichment processes configured, the units' messages are enriched by them meanwhile.
    """
    if now is None:
        now = runtime.now()
    pool = runtime.enrichment_pool()
    _freeze_startup_objects()
    if pool is None:
        return _run_units(runtime, session, units, None, now)
    if ahead is None:
        ahead = pool.ahead([item for unit in units for item in unit.items])
    try:
        return _run_units(runtime, session, units, ahead, now)
    finally:
        pool.settle(ahead)


_startup_frozen = False


def _freeze_startup_objects() -> None:
    """Leave what the process holds at its first batch out of garbage collection (once).

    A worker builds its settings, plugins, database metadata and enrichment processes before its
    first batch and keeps them. CPython's full collections scanned all of them again, ~50 ms
    each: 7% of the pipeline's time. After a last full collection, :func:`gc.freeze` leaves them
    out: a collection scans only what was made since. Garbage made later is collected as
    before; of what the process held then, what becomes garbage in a reference cycle is not (a
    process that serves the web too, ``careline serve``, holds some requests' objects then: a
    bounded, one-time cost).
    """
    global _startup_frozen
    if not _startup_frozen:
        _startup_frozen = True
        gc.collect()
        gc.freeze()


def _run_units(
    runtime: Runtime,
    session: Session,
    units: Sequence[Unit],
    ahead: EnrichmentsAhead | None,
    now: datetime,
) -> list[UnitResult | Exception]:
    outcomes: list[UnitResult | Exception] = []
    conflicts = 0
    while len(outcomes) < len(units):
        pending = units[len(outcomes) :]
        try:
            with session.begin_nested():
                outcomes.extend(BatchRun(runtime, session, ahead, now=now).run(pending))
        except UnitFailed as failed:
            if len(pending) == 1:  # it ran alone already
                outcomes.append(failed.error)
                continue
            if failed.index:
                outcomes.extend(_run_units(runtime, session, pending[: failed.index], ahead, now))
            outcomes.append(_run_alone(runtime, session, pending[failed.index], ahead, now))
        except Exception as exc:
            if len(pending) == 1:
                outcomes.append(
                    _run_alone(runtime, session, pending[0], ahead, now, first_error=exc)
                )
                continue
            if _is_concurrency_conflict(exc) and conflicts < CONFLICT_RETRIES:
                conflicts += 1
                now = max(now, runtime.now())  # later than the other worker's rows
                log.info("batch of %d conflicted with another worker; retrying", len(pending))
                continue
            log.info("batch of %d hit %s; running its events one by one", len(pending), exc)
            outcomes.extend(_run_alone(runtime, session, unit, ahead, now) for unit in pending)
    return outcomes


def _run_alone(
    runtime: Runtime,
    session: Session,
    unit: Unit,
    ahead: EnrichmentsAhead | None,
    now: datetime,
    *,
    first_error: Exception | None = None,
) -> UnitResult | Exception:
    """One unit in its own savepoint; on PostgreSQL, a concurrent worker's conflicting insert
    (identity, message) or a deadlock is retried — by then the other row is committed."""
    error = first_error
    for attempt in range(CONFLICT_RETRIES + 1):
        if error is not None:
            if attempt > CONFLICT_RETRIES or not _is_concurrency_conflict(error):
                return error
            log.info("raw event %s conflicted with another worker; retrying", unit.raw_event_id)
            now = max(now, runtime.now())  # later than the other worker's rows
        try:
            with session.begin_nested():
                return BatchRun(runtime, session, ahead, now=now).run([unit])[0]
        except UnitFailed as failed:
            return failed.error
        except Exception as exc:
            error = exc
    assert error is not None
    return error


def _is_concurrency_conflict(exc: Exception) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    # 23505 unique violation, 40P01 deadlock, 40001 serialization failure
    return isinstance(exc, IntegrityError) or code in ("40P01", "40001")


# --- single messages --------------------------------------------------------------------------
def handle_message(
    runtime: Runtime,
    session: Session,
    item: InboundMessage,
    raw_event_id: int | None,
    *,
    via: str = "echo",
) -> bool:
    """Store one parsed item in the caller's transaction; ``False`` when it was already known
    (a duplicate) or irrelevant. ``via`` names where outbound items come from (``echo`` from
    the platform, ``import``)."""
    try:
        result = BatchRun(runtime, session).run([Unit((item,), raw_event_id, via)])[0]
    except UnitFailed as failed:
        raise failed.error from None
    return result.stored > 0


def record_reply(
    runtime: Runtime,
    session: Session,
    conversation: Conversation,
    message: Message,
    *,
    agent_id: int | None,
    automated: bool,
    via: str,
) -> None:
    """Account for a reply that went out: SLA clocks stop, the ``replied`` event is appended."""
    reply_recorded(
        conversation,
        at=message.created_at,
        message_id=message.id,
        visibility=message.visibility,
        agent_id=agent_id,
        automated=automated,
        via=via,
        record=partial(events.record, session),
    )
    session.add(conversation)


def replay(runtime: Runtime, *, ids: Sequence[int] = (), since: datetime | None = None) -> int:
    """Put failed raw events back to ``pending`` (by id, or all failed since a time)."""
    with runtime.db.session() as session:
        query = select(RawEvent).where(RawEvent.status == "failed")
        if ids:
            query = query.where(col(RawEvent.id).in_(list(ids)))
        if since is not None:
            query = query.where(col(RawEvent.received_at) >= since)
        rows = session.exec(query).all()
        for raw in rows:
            raw.status = "pending"
            session.add(raw)
        return len(rows)
