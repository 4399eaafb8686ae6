"""The inbound pipeline: raw events → messages in conversations, enriched, routed, assigned.

Processing is idempotent (messages are unique per ``(channel, external_id)``) and ordered by raw
event id. A raw event that cannot be processed (bad payload, a plugin raising) goes to the
``failed`` state with its error; it is never lost and ``careline events replay`` runs it again.
Each raw event is processed in its own savepoint, so one bad delivery never undoes its
neighbours in the batch.
"""

from __future__ import annotations

import logging
import os
import socket
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from careline import events, sla
from careline.channels import ParseError
from careline.models import (
    Contact,
    Conversation,
    Identity,
    Message,
    MessageRevision,
    RawEvent,
)
from careline.services import assignment, escalations
from careline.services.views import conversation_view
from careline.types import (
    ConversationStatus,
    Direction,
    Enrichment,
    InboundMessage,
    MessageKind,
    Priority,
    RoutingDecision,
    Source,
    Visibility,
)
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.pipeline")

DEFAULT_QUEUE = "general"
CLOSED_STATUSES = (
    ConversationStatus.RESOLVED,
    ConversationStatus.CLOSED,
    ConversationStatus.IGNORED,
)


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


# --- claiming ---------------------------------------------------------------------------------
def claim_batch(runtime: Runtime, session: Session, limit: int) -> Sequence[RawEvent]:
    """Pending raw events in id order; on PostgreSQL locked so other workers skip them."""
    query = (
        select(RawEvent).where(RawEvent.status == "pending").order_by(col(RawEvent.id)).limit(limit)
    )
    if runtime.db.supports_row_claims:
        query = query.with_for_update(skip_locked=True)
    return session.exec(query).all()


def process_pending(
    runtime: Runtime, *, batch_size: int | None = None, max_batches: int | None = None
) -> ProcessStats:
    """Process pending raw events in batches until none is left (or ``max_batches``)."""
    size = batch_size or runtime.settings.core("pipeline").batch_size
    total = ProcessStats()
    batches = 0
    while max_batches is None or batches < max_batches:
        with runtime.db.session() as session:
            batch = claim_batch(runtime, session, size)
            if not batch:
                break
            total.add(process_batch(runtime, session, batch))
        batches += 1
    return total


def process_batch(runtime: Runtime, session: Session, batch: Iterable[RawEvent]) -> ProcessStats:
    """Process claimed raw events, each in its own savepoint (failures are dead-lettered)."""
    stats = ProcessStats()
    for raw in batch:
        stats.raw_events += 1
        raw.attempts += 1
        try:
            stored, duplicates = _process_with_retries(runtime, session, raw)
        except Exception as exc:
            stats.failed += 1
            message = f"{type(exc).__name__}: {exc}"
            stats.errors.append(f"raw event {raw.id}: {message}")
            log.warning("raw event %s (%s) failed: %s", raw.id, raw.channel, message)
            raw.status = "failed"
            raw.error = message[:2000]
        else:
            stats.messages += stored
            stats.duplicates += duplicates
            raw.status = "done"
            raw.error = None
        raw.processed_at = runtime.now()
        session.add(raw)
    return stats


CONFLICT_RETRIES = 3


def _process_with_retries(runtime: Runtime, session: Session, raw: RawEvent) -> tuple[int, int]:
    """Process in a savepoint; on PostgreSQL, a concurrent worker's conflicting insert
    (unique identity, message) or a deadlock is retried — by then the other row is committed."""
    for attempt in range(CONFLICT_RETRIES + 1):
        try:
            with session.begin_nested():
                return process_raw_event(runtime, session, raw)
        except (IntegrityError, OperationalError) as exc:
            if attempt == CONFLICT_RETRIES or not _is_concurrency_conflict(exc):
                raise
            log.info("raw event %s conflicted with another worker; retrying", raw.id)
    raise AssertionError("unreachable")


def _is_concurrency_conflict(exc: Exception) -> bool:
    code = getattr(getattr(exc, "orig", None), "sqlstate", None)
    # 23505 unique violation, 40P01 deadlock, 40001 serialization failure
    return isinstance(exc, IntegrityError) or code in ("40P01", "40001")


# --- one raw event ----------------------------------------------------------------------------
def process_raw_event(runtime: Runtime, session: Session, raw: RawEvent) -> tuple[int, int]:
    """Parse a raw event and store its messages; return (stored, duplicates)."""
    channel = runtime.channel(raw.channel)
    try:
        items = channel.parse(raw.body)
    except ParseError:
        raise
    except Exception as exc:
        raise ParseError(f"the {raw.channel} plugin failed to parse: {exc}") from exc
    stored = duplicates = 0
    for item in items:
        if item.channel != raw.channel:
            raise ParseError(f"parse returned a message for channel {item.channel!r}")
        if handle_message(runtime, session, item, raw.id) is None:
            duplicates += 1
        else:
            stored += 1
    return stored, duplicates


def handle_message(
    runtime: Runtime,
    session: Session,
    item: InboundMessage,
    raw_event_id: int | None,
    *,
    via: str = "echo",
) -> Message | None:
    """Store one parsed item; ``None`` when it was already known (a duplicate) or irrelevant.

    ``via`` names where outbound items come from (``echo`` from the platform, ``import``).
    """
    if item.kind is MessageKind.DELETE:
        return _mark_deleted(runtime, session, item)
    existing = _find_message(session, item.channel, item.external_id)
    if item.kind is MessageKind.EDIT and existing is not None:
        return _apply_edit(runtime, session, existing, item)
    if existing is not None:
        return None
    if item.direction is Direction.OUTBOUND:
        return _store_echo(runtime, session, item, raw_event_id, via=via)
    return _store_inbound(runtime, session, item, raw_event_id)


def _find_message(session: Session, channel: str, external_id: str) -> Message | None:
    return session.exec(
        select(Message).where(Message.channel == channel, Message.external_id == external_id)
    ).first()


def thread_key(item: InboundMessage, *, customer_id: str | None = None) -> str:
    """The key that groups messages into one conversation (DESIGN §3)."""
    if item.visibility is Visibility.PRIVATE:
        participant = item.participant_id or customer_id or item.author.external_id
        return f"dm:{participant}"
    return item.thread_key or f"post:{item.in_reply_to or item.external_id}"


def _lock_thread(session: Session, key: str) -> None:
    """Serialise threading of one thread across PostgreSQL workers (no duplicate conversations)."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(:key)"),
            {"key": zlib.crc32(key.encode()) - 2**31},
        )


def _latest_conversation(
    session: Session, channel: str, account: str, key: str
) -> Conversation | None:
    return session.exec(
        select(Conversation)
        .where(
            Conversation.channel == channel,
            Conversation.account == account,
            Conversation.thread_key == key,
        )
        .order_by(col(Conversation.id).desc())
    ).first()


# --- contacts ---------------------------------------------------------------------------------
def resolve_contact(runtime: Runtime, session: Session, item: InboundMessage) -> Contact:
    """Find or create the contact behind a customer message, keeping the identity current."""
    author = item.author
    identity = session.exec(
        select(Identity).where(
            Identity.channel == item.channel, Identity.external_id == author.external_id
        )
    ).first()
    now = runtime.now()
    if identity is None:
        contact = Contact(name=author.display_name or author.handle, created_at=now)
        session.add(contact)
        session.flush()
        assert contact.id is not None
        identity = Identity(
            contact_id=contact.id,
            channel=item.channel,
            external_id=author.external_id,
            handle=author.handle,
            display_name=author.display_name,
            followers=author.followers,
            verified=author.verified,
            updated_at=now,
        )
        session.add(identity)
        return contact
    changed = False
    for attribute in ("handle", "display_name", "followers"):
        value = getattr(author, attribute)
        if value is not None and getattr(identity, attribute) != value:
            setattr(identity, attribute, value)
            changed = True
    if author.verified != identity.verified:
        identity.verified = author.verified
        changed = True
    if changed:
        identity.updated_at = now
        session.add(identity)
    found = session.get(Contact, identity.contact_id)
    assert found is not None
    while found.merged_into_id is not None:
        merged = session.get(Contact, found.merged_into_id)
        assert merged is not None
        found = merged
    return found


# --- inbound customer messages ----------------------------------------------------------------
def _store_inbound(
    runtime: Runtime, session: Session, item: InboundMessage, raw_event_id: int | None
) -> Message | None:
    settings = runtime.settings
    key = thread_key(item)
    _lock_thread(session, f"{item.channel}|{item.account}|{key}")
    if _find_message(session, item.channel, item.external_id) is not None:
        return None
    contact = resolve_contact(runtime, session, item)
    conversation = _latest_conversation(session, item.channel, item.account, key)
    opened = reopened = False
    previous_status: ConversationStatus | None = None
    if conversation is not None and conversation.status in CLOSED_STATUSES:
        window = settings.core("pipeline").reopen_window
        last = conversation.resolved_at or conversation.updated_at
        if conversation.status != ConversationStatus.CLOSED and item.created_at - last <= window:
            previous_status = ConversationStatus(conversation.status)
            reopened = True
        else:
            conversation = None
    assert contact.id is not None
    if conversation is None:
        conversation = Conversation(
            channel=item.channel,
            account=item.account,
            thread_key=key,
            participant_id=item.participant_id if item.visibility is Visibility.PRIVATE else None,
            visibility=item.visibility,
            source=item.source,
            status=ConversationStatus.NEW,
            priority=Priority.NORMAL,
            contact_id=contact.id,
            created_at=item.created_at,
            updated_at=item.created_at,
        )
        session.add(conversation)
        session.flush()
        opened = True
        sla.start_cycle(settings, conversation, item.created_at)
    assert conversation.id is not None
    message = Message(
        conversation_id=conversation.id,
        channel=item.channel,
        account=item.account,
        external_id=item.external_id,
        direction=Direction.INBOUND,
        visibility=item.visibility,
        text=item.text,
        author_external_id=item.author.external_id,
        author_handle=item.author.handle,
        in_reply_to=item.in_reply_to,
        created_at=item.created_at,
        received_at=runtime.now(),
        language=item.language,
        attachments=list(item.attachments),
        raw_event_id=raw_event_id,
    )
    enrichment = enrich(runtime, item)
    _apply_enrichment(message, conversation, enrichment)
    session.add(message)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        return None  # stored meanwhile by another worker: a duplicate
    assert conversation.id is not None and message.id is not None
    events.record(
        session,
        events.MESSAGE_RECEIVED,
        at=item.created_at,
        conversation_id=conversation.id,
        message_id=message.id,
        actor="customer",
        channel=item.channel,
        source=item.source.value,
        visibility=item.visibility.value,
    )
    if opened:
        events.record(
            session,
            events.CONVERSATION_OPENED,
            at=item.created_at,
            conversation_id=conversation.id,
            actor="customer",
            channel=item.channel,
            account=item.account,
            source=item.source.value,
            visibility=item.visibility.value,
        )
    if reopened:
        conversation.status = ConversationStatus.OPEN
        conversation.reopened_at = item.created_at
        conversation.ignore_reason = None
        sla.start_cycle(settings, conversation, item.created_at)
        events.record(
            session,
            events.CONVERSATION_REOPENED,
            at=item.created_at,
            conversation_id=conversation.id,
            actor="customer",
            previous_status=previous_status.value if previous_status else None,
        )
    _customer_wrote(runtime, conversation, item)
    session.add(conversation)
    if opened or reopened:
        route(runtime, session, conversation, item)
    view = conversation_view(session, conversation, with_messages=False)
    requests = runtime.pm.hook.careline_escalate_on_message(
        conversation=view, message=item, settings=settings
    )
    escalations.apply_requests(runtime, session, conversation, _flatten(requests))
    if reopened and previous_status is not None:
        status_requests = runtime.pm.hook.careline_escalate_on_status(
            conversation=view,
            old_status=previous_status,
            new_status=ConversationStatus.OPEN,
            settings=settings,
        )
        escalations.apply_requests(runtime, session, conversation, _flatten(status_requests))
    if conversation.status != ConversationStatus.IGNORED:
        assignment.auto_assign(runtime, session, conversation)
    return message


def _customer_wrote(runtime: Runtime, conversation: Conversation, item: InboundMessage) -> None:
    at = item.created_at
    opens = item.visibility is Visibility.PUBLIC or item.opens_window
    if opens and (conversation.last_inbound_at is None or at > conversation.last_inbound_at):
        conversation.last_inbound_at = at
    if conversation.awaiting_reply_since is None:
        conversation.awaiting_reply_since = at
        sla.customer_waiting(runtime.settings, conversation, at)
    if conversation.status == ConversationStatus.PENDING:
        conversation.status = ConversationStatus.OPEN
    conversation.updated_at = max(conversation.updated_at, at)


def _flatten(results: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for result in results:
        if result:
            flat.extend(result)
    return flat


# --- enrichment and routing -------------------------------------------------------------------
def enrich(runtime: Runtime, item: InboundMessage) -> Enrichment:
    """Merge every enrichment hook's answer (first non-empty scalar wins, lists combine)."""
    answers = [
        answer
        for answer in runtime.pm.hook.careline_enrich_message(
            message=item, settings=runtime.settings
        )
        if answer is not None
    ]
    if not answers:
        return Enrichment(language=item.language)
    if len(answers) == 1 and (answers[0].language or not item.language):
        return answers[0]
    merged: dict[str, Any] = {
        "sentiment": None,
        "sentiment_label": None,
        "language": item.language,
    }
    topics: list[str] = []
    tags: list[str] = []
    scores: dict[str, float] = {}
    personal: list[Any] = []
    attributes: dict[str, Any] = {}
    for answer in answers:
        for name in ("sentiment", "sentiment_label", "language"):
            if merged[name] is None and getattr(answer, name) is not None:
                merged[name] = getattr(answer, name)
        topics.extend(t for t in answer.topics if t not in topics)
        tags.extend(t for t in answer.tags if t not in tags)
        for topic, score in answer.topic_scores.items():
            scores[topic] = max(score, scores.get(topic, score))
        personal.extend(answer.personal_data)
        attributes.update(answer.attributes)
    return Enrichment(
        topics=tuple(topics),
        tags=tuple(tags),
        topic_scores=scores,
        personal_data=tuple(personal),
        attributes=attributes,
        **merged,
    )


SENTIMENT_SMOOTHING = 0.5


def _apply_enrichment(message: Message, conversation: Conversation, enrichment: Enrichment) -> None:
    message.language = enrichment.language or message.language
    message.sentiment = enrichment.sentiment
    message.topics = list(enrichment.topics)
    message.personal_data = [
        {"kind": match.kind, "start": match.start, "end": match.end}
        for match in enrichment.personal_data
    ]
    if enrichment.tags:
        conversation.tags = sorted({*(conversation.tags or []), *enrichment.tags})
    if conversation.language is None and message.language:
        conversation.language = message.language
    if enrichment.sentiment is not None:
        if conversation.sentiment is None:
            conversation.sentiment = enrichment.sentiment
        else:  # a rolling value that follows the latest messages
            conversation.sentiment = round(
                SENTIMENT_SMOOTHING * enrichment.sentiment
                + (1 - SENTIMENT_SMOOTHING) * conversation.sentiment,
                4,
            )
    if enrichment.topics:
        strongest = max(
            enrichment.topics, key=lambda topic: enrichment.topic_scores.get(topic, 0.0)
        )
        score = enrichment.topic_scores.get(strongest, 0.0)
        if conversation.topic is None or score > (conversation.topic_score or 0.0):
            conversation.topic = strongest
            conversation.topic_score = score


def route(
    runtime: Runtime, session: Session, conversation: Conversation, item: InboundMessage
) -> RoutingDecision | None:
    """Ask the routing hook for queue, priority, tags, topic or "ignore", and apply it."""
    view = conversation_view(session, conversation, with_messages=False)
    decision: RoutingDecision | None = runtime.pm.hook.careline_route(
        conversation=view, message=item, settings=runtime.settings
    )
    now = item.created_at
    if decision is None:
        conversation.queue = conversation.queue or (
            "listening" if conversation.source == Source.EARNED else DEFAULT_QUEUE
        )
        events.record(
            session,
            events.ROUTED,
            at=now,
            conversation_id=conversation.id,
            queue=conversation.queue,
            priority=conversation.priority,
            rule=None,
        )
        return None
    if decision.queue:
        conversation.queue = decision.queue
    elif conversation.queue is None:
        conversation.queue = DEFAULT_QUEUE
    if decision.priority is not None and decision.priority != conversation.priority:
        conversation.priority = decision.priority
        sla.reprioritised(runtime.settings, conversation)
    if decision.tags:
        conversation.tags = sorted({*conversation.tags, *decision.tags})
    if decision.topic:
        conversation.topic = decision.topic
    conversation.suggest_private = conversation.suggest_private or decision.suggest_private
    events.record(
        session,
        events.ROUTED,
        at=now,
        conversation_id=conversation.id,
        queue=conversation.queue,
        priority=str(conversation.priority),
        tags=list(decision.tags),
        topic=decision.topic,
        rule=decision.rule,
    )
    if decision.ignore_reason:
        conversation.status = ConversationStatus.IGNORED
        conversation.ignore_reason = decision.ignore_reason
        conversation.awaiting_reply_since = None
        conversation.first_response_due = None
        conversation.next_response_due = None
        conversation.resolution_due = None
        events.record(
            session,
            events.IGNORED,
            at=now,
            conversation_id=conversation.id,
            reason=decision.ignore_reason,
            rule=decision.rule,
        )
    session.add(conversation)
    return decision


# --- echoes, edits, deletes -------------------------------------------------------------------
def _store_echo(
    runtime: Runtime,
    session: Session,
    item: InboundMessage,
    raw_event_id: int | None,
    *,
    via: str,
) -> Message | None:
    """The brand's own post or message seen on the platform: a reply sent outside careline."""
    customer = item.participant_id if item.visibility is Visibility.PRIVATE else None
    key = thread_key(item, customer_id=customer)
    conversation = _latest_conversation(session, item.channel, item.account, key)
    if conversation is None or conversation.id is None:
        return None  # the brand posting on its own: nothing to answer
    message = Message(
        conversation_id=conversation.id,
        channel=item.channel,
        account=item.account,
        external_id=item.external_id,
        direction=Direction.OUTBOUND,
        visibility=item.visibility,
        text=item.text,
        author_external_id=item.author.external_id,
        author_handle=item.author.handle,
        in_reply_to=item.in_reply_to,
        created_at=item.created_at,
        received_at=runtime.now(),
        raw_event_id=raw_event_id,
        delivery_state="sent",
    )
    session.add(message)
    session.flush()
    record_reply(runtime, session, conversation, message, agent_id=None, automated=False, via=via)
    return message


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
    at = message.created_at
    events.record(
        session,
        events.REPLIED,
        at=at,
        conversation_id=conversation.id,
        message_id=message.id,
        agent_id=agent_id,
        visibility=str(message.visibility),
        automated=automated,
        via=via,
    )
    if not automated:
        if conversation.first_response_at is None:
            conversation.first_response_at = at
        conversation.awaiting_reply_since = None
        conversation.next_response_due = None
    conversation.last_outbound_at = at
    if conversation.status in (ConversationStatus.NEW,):
        conversation.status = ConversationStatus.OPEN
    conversation.updated_at = max(conversation.updated_at, at)
    session.add(conversation)


def _apply_edit(
    runtime: Runtime, session: Session, message: Message, item: InboundMessage
) -> Message | None:
    if message.text == item.text or message.id is None:
        return None
    session.add(
        MessageRevision(message_id=message.id, text=message.text, replaced_at=runtime.now())
    )
    message.text = item.text
    message.edited_at = item.created_at
    session.add(message)
    events.record(
        session,
        events.MESSAGE_EDITED,
        at=runtime.now(),
        conversation_id=message.conversation_id,
        message_id=message.id,
        actor="customer",
    )
    return message


def _mark_deleted(runtime: Runtime, session: Session, item: InboundMessage) -> Message | None:
    message = _find_message(session, item.channel, item.external_id)
    if message is None or message.deleted_at is not None:
        return None
    message.deleted_at = item.created_at if item.created_at else runtime.now()
    if not runtime.settings.core("pipeline").keep_deleted_text:
        message.text = ""
        message.personal_data = []
    session.add(message)
    events.record(
        session,
        events.MESSAGE_DELETED,
        at=runtime.now(),
        conversation_id=message.conversation_id,
        message_id=message.id,
        actor="customer",
    )
    return message


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
