"""Threading a batch of parsed messages into conversations: the rules of the inbound pipeline.

A batch is a list of *units* (the messages of one raw event, or one imported line). They are
handled in order, one message at a time, exactly as if alone — identity and contact, thread into
a new, current or reopened conversation, enrichment, routing on open and reopen, escalation
hooks on every customer message, auto-assignment, SLA due times, events — but against the rows
a :class:`~careline.pipeline_store.BatchStore` read for the whole batch, and written in bulk at
the end. Each hook receives the conversation as it is at that step, built from memory. One
thing differs from handling them alone: the whole batch happens at one time,
:attr:`BatchRun.now`.

:meth:`BatchRun.run` either handles every unit or raises :class:`UnitFailed` naming the unit
that raised; a database error is left to propagate. Either way nothing of the batch is kept by
the caller's savepoint, and :mod:`careline.pipeline` isolates the unit and runs the rest again.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from careline import events, notifications, sla
from careline.models import Conversation, Message, MessageRevision
from careline.pipeline_store import BatchStore, ConversationRow, Wanted
from careline.services import assignment, escalations
from careline.services.views import build_conversation_view
from careline.types import (
    ConversationStatus,
    ConversationView,
    Direction,
    Enrichment,
    EscalationRequest,
    InboundMessage,
    MessageKind,
    RoutingDecision,
    Source,
    Visibility,
)
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, select

if TYPE_CHECKING:
    import pluggy
    from careline.config import Settings
    from careline.enrichment_pool import EnrichmentsAhead
    from careline.runtime import Runtime

DEFAULT_QUEUE = "general"
CLOSED_STATUSES = (
    ConversationStatus.RESOLVED,
    ConversationStatus.CLOSED,
    ConversationStatus.IGNORED,
)
SENTIMENT_SMOOTHING = 0.5


@dataclass(frozen=True, slots=True)
class Unit:
    """Messages that succeed or fail together: one raw event's, or one imported line."""

    items: Sequence[InboundMessage]
    raw_event_id: int | None = None
    via: str = "echo"
    """Where outbound items come from: ``echo`` (seen on the platform) or ``import``."""


@dataclass(slots=True)
class UnitResult:
    """What one unit did: messages stored, and those already known or irrelevant."""

    stored: int = 0
    duplicates: int = 0


class UnitFailed(Exception):
    """Unit ``index`` of the batch raised ``error`` (a plugin, or the data); nothing was kept."""

    def __init__(self, index: int, error: Exception) -> None:
        super().__init__(f"unit {index}: {type(error).__name__}: {error}")
        self.index = index
        self.error = error


def thread_key(item: InboundMessage, *, customer_id: str | None = None) -> str:
    """The key that groups messages into one conversation (DESIGN §3)."""
    if item.visibility is Visibility.PRIVATE:
        participant = item.participant_id or customer_id or item.author.external_id
        return f"dm:{participant}"
    return item.thread_key or f"post:{item.in_reply_to or item.external_id}"


def answers_a_post(item: InboundMessage) -> bool:
    """Whether ``item`` is a public reply whose channel filed it under the post it answers.

    Such a channel knows no thread beyond the parent (X's Account Activity posts carry no
    ``conversation_id``): its key is the parent's id, or none. When the parent is stored, the
    reply belongs to the parent's thread instead, so a customer answering the brand's reply stays
    in the conversation that reply was part of.
    """
    return (
        item.visibility is Visibility.PUBLIC
        and item.in_reply_to is not None
        and item.kind is not MessageKind.DELETE
        and item.thread_key in (None, item.in_reply_to)
    )


def follow_replies(units: Sequence[Unit], store: BatchStore) -> list[Unit]:
    """``units`` with each reply that :func:`answers_a_post` moved into the thread of its
    parent, when the parent is stored. (A parent stored earlier in the same batch is followed
    as the batch runs: :meth:`BatchRun._message`.)"""
    parents: dict[str, set[str]] = {}
    for unit in units:
        for item in unit.items:
            if answers_a_post(item):
                assert item.in_reply_to is not None
                parents.setdefault(item.channel, set()).add(item.in_reply_to)
    if not parents:
        return list(units)
    threads = store.reply_threads(parents)
    followed = []
    for unit in units:
        items = []
        for item in unit.items:
            parent = threads.get((item.channel, item.account, item.in_reply_to or ""))
            if parent is not None and answers_a_post(item):
                item = replace(item, thread_key=parent)
            items.append(item)
        followed.append(replace(unit, items=items))
    return followed


def _echo_thread_key(item: InboundMessage) -> str:
    customer = item.participant_id if item.visibility is Visibility.PRIVATE else None
    return thread_key(item, customer_id=customer)


def _flatten(results: Iterable[Any]) -> list[Any]:
    flat: list[Any] = []
    for result in results:
        if result:
            flat.extend(result)
    return flat


# --- rules shared with the ORM paths ----------------------------------------------------------
def enrich(runtime: Runtime, item: InboundMessage) -> Enrichment:
    """Merge every enrichment hook's answer (first non-empty scalar wins, lists combine)."""
    return enrich_with(runtime.pm, runtime.settings, item)


def enrich_with(pm: pluggy.PluginManager, settings: Settings, item: InboundMessage) -> Enrichment:
    """:func:`enrich` with the plugins and settings given (an enrichment process has no
    runtime)."""
    answers = [
        answer
        for answer in pm.hook.careline_enrich_message(message=item, settings=settings)
        if answer is not None
    ]
    if not answers:
        return Enrichment(language=item.language)
    enriching = [answer for answer in answers if not _only_attributes(answer)]
    if len(enriching) <= 1:
        # One answer enriches, the others (if any) only carry attributes, as the escalation
        # plugin's phrases: the merge below would answer that one with everyone's attributes.
        answer = enriching[0] if enriching else answers[0]
        changes: dict[str, Any] = {}
        if len(answers) > 1:
            changes["attributes"] = {
                name: value for each in answers for name, value in each.attributes.items()
            }
        if answer.language != (answer.language or item.language):
            changes["language"] = answer.language or item.language
        for name in ("topics", "tags"):
            values = getattr(answer, name)
            if len(set(values)) < len(values):
                changes[name] = tuple(dict.fromkeys(values))
        return replace(answer, **changes) if changes else answer
    merged: dict[str, Any] = {"sentiment": None, "sentiment_label": None, "language": None}
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
    merged["language"] = merged["language"] or item.language
    return Enrichment(
        topics=tuple(topics),
        tags=tuple(tags),
        topic_scores=scores,
        personal_data=tuple(personal),
        attributes=attributes,
        **merged,
    )


def _only_attributes(answer: Enrichment) -> bool:
    return not (
        answer.topics
        or answer.tags
        or answer.personal_data
        or answer.topic_scores
        or answer.sentiment is not None
        or answer.sentiment_label is not None
        or answer.language is not None
    )


def apply_enrichment(
    message: dict[str, Any], conversation: ConversationRow, enrichment: Enrichment
) -> None:
    """Copy an enrichment onto the message row and fold it into the conversation."""
    message["language"] = enrichment.language or message["language"]
    message["sentiment"] = enrichment.sentiment
    message["topics"] = list(enrichment.topics)
    message["personal_data"] = [
        {"kind": match.kind, "start": match.start, "end": match.end}
        for match in enrichment.personal_data
    ]
    if enrichment.tags:
        conversation.tags = sorted({*(conversation.tags or []), *enrichment.tags})
    if conversation.language is None and message["language"]:
        conversation.language = message["language"]
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


def customer_wrote(runtime: Runtime, conversation: ConversationRow, item: InboundMessage) -> None:
    """A customer message arrived: windows, waiting time, next-response clock, pending → open."""
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


def apply_routing(
    runtime: Runtime,
    conversation: ConversationRow,
    decision: RoutingDecision | None,
    at: datetime,
    record: events.EventSink,
) -> None:
    """Apply the routing hook's answer (queue, priority, tags, topic, "ignore") with events."""
    if decision is None:
        conversation.queue = conversation.queue or (
            "listening" if conversation.source == Source.EARNED else DEFAULT_QUEUE
        )
        record(
            events.ROUTED,
            at=at,
            conversation_id=conversation.id,
            queue=conversation.queue,
            priority=conversation.priority,
            rule=None,
        )
        return
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
    record(
        events.ROUTED,
        at=at,
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
        record(
            events.IGNORED,
            at=at,
            conversation_id=conversation.id,
            reason=decision.ignore_reason,
            rule=decision.rule,
        )


def reply_recorded(
    conversation: Conversation | ConversationRow,
    *,
    at: datetime,
    message_id: int | None,
    visibility: Visibility,
    agent_id: int | None,
    automated: bool,
    via: str,
    record: events.EventSink,
) -> None:
    """A reply went out at ``at``: the ``replied`` event, and the SLA clocks stop."""
    record(
        events.REPLIED,
        at=at,
        conversation_id=conversation.id,
        message_id=message_id,
        agent_id=agent_id,
        visibility=str(visibility),
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


# --- a batch ----------------------------------------------------------------------------------
class BatchRun:
    """Handle the units of one batch against one :class:`BatchStore` (see the module docstring)."""

    escalate_in_batch = True
    """Open escalations in memory with the batch (off: through the escalation service)."""

    def __init__(
        self,
        runtime: Runtime,
        session: Session,
        ahead: EnrichmentsAhead | None = None,
        *,
        now: datetime | None = None,
    ) -> None:
        self.runtime = runtime
        self.ahead = ahead
        """Enrichments computed by other processes, when configured."""
        self.settings = runtime.settings
        self.hook = runtime.pm.hook
        self.session = session
        self.store = BatchStore(session)
        self.now = runtime.now() if now is None else now
        """The batch's time (by default the clock's when it starts): when its messages are
        received, its contacts created and its escalations opened and assigned. One time for a
        whole batch, as PostgreSQL's ``now()`` is one time for a whole transaction, and
        cheaper: the clock was read and each time written out several times per message."""
        pipeline = runtime.settings.core("pipeline")
        self.reopen_window = pipeline.reopen_window
        self.keep_deleted_text = pipeline.keep_deleted_text
        self._pool: assignment.AgentPool | None = None
        self._stored_threads: dict[tuple[str, str, str], str] = {}
        """Thread keys of the public messages this batch stored, by channel, account and id."""

    def run(self, units: Sequence[Unit]) -> list[UnitResult]:
        """Handle every unit and write the batch; :class:`UnitFailed` when one raises."""
        units = follow_replies(units, self.store)
        self.store.prefetch(_wanted(units))
        results = []
        for index, unit in enumerate(units):
            try:
                results.append(self._unit(unit))
            except SQLAlchemyError:
                raise
            except Exception as exc:
                raise UnitFailed(index, exc) from exc
        self.store.flush()
        return results

    def _unit(self, unit: Unit) -> UnitResult:
        result = UnitResult()
        for item in unit.items:
            if self._message(item, unit.raw_event_id, unit.via):
                result.stored += 1
            else:
                result.duplicates += 1
        return result

    def _message(self, item: InboundMessage, raw_event_id: int | None, via: str) -> bool:
        """Store one parsed item; False when it was already known (a duplicate) or irrelevant."""
        if item.kind is MessageKind.DELETE:
            return self._delete(item)
        if answers_a_post(item):
            parent = self._stored_threads.get((item.channel, item.account, item.in_reply_to or ""))
            if parent is not None:
                item = replace(item, thread_key=parent)
        known = self.store.is_known(item.channel, item.external_id)
        if item.kind is MessageKind.EDIT and known:
            return self._edit(item)
        if known:
            return False
        if item.direction is Direction.OUTBOUND:
            return self._echo(item, raw_event_id, via)
        return self._inbound(item, raw_event_id)

    def _remember_thread(self, item: InboundMessage, key: str) -> None:
        """A later reply to ``item`` in this batch follows it into thread ``key``."""
        if item.visibility is Visibility.PUBLIC:
            self._stored_threads[(item.channel, item.account, item.external_id)] = key

    # --- customer messages ----------------------------------------------------------------
    def _inbound(self, item: InboundMessage, raw_event_id: int | None) -> bool:
        runtime, store = self.runtime, self.store
        contact_id = self._resolve_contact(item)
        conversation = store.latest_conversation(
            item.channel, item.account, key := thread_key(item)
        )
        reopened = False
        previous_status: ConversationStatus | None = None
        if conversation is not None and conversation.status in CLOSED_STATUSES:
            last = conversation.resolved_at or conversation.updated_at
            if (
                conversation.status != ConversationStatus.CLOSED
                and item.created_at - last <= self.reopen_window
            ):
                previous_status = ConversationStatus(conversation.status)
                reopened = True
            else:
                conversation = None
        pool_before = self._pool is not None
        held_by = None
        if conversation is None:
            conversation = store.add_conversation(
                ConversationRow.opened(
                    channel=item.channel,
                    account=item.account,
                    thread_key=key,
                    participant_id=item.participant_id
                    if item.visibility is Visibility.PRIVATE
                    else None,
                    visibility=item.visibility,
                    source=item.source,
                    contact_id=contact_id,
                    created_at=item.created_at,
                    updated_at=item.created_at,
                )
            )
            opened = True
            sla.start_cycle(self.settings, conversation, item.created_at)
        else:
            opened = False
            held_by = assignment.holder(conversation.assignee_id, conversation.status)
        message: dict[str, Any] = {
            "conversation_id": conversation.id,
            "channel": item.channel,
            "account": item.account,
            "external_id": item.external_id,
            "direction": Direction.INBOUND,
            "visibility": item.visibility,
            "text": item.text,
            "author_external_id": item.author.external_id,
            "author_handle": item.author.handle,
            "in_reply_to": item.in_reply_to,
            "created_at": item.created_at,
            "received_at": self.now,
            "language": item.language,
            "sentiment": None,
            "topics": [],
            "personal_data": [],
            "attachments": list(item.attachments),
            "deleted_at": None,
            "edited_at": None,
            "raw_event_id": raw_event_id,
            "sent_by_agent_id": None,
            "automated": False,
            "delivery_state": None,
            "delivery_error": None,
        }
        enrichment = self.ahead.take(item) if self.ahead is not None else None
        if enrichment is None:
            enrichment = enrich(runtime, item)
        apply_enrichment(message, conversation, enrichment)
        message_id = store.add_message(message)
        self._remember_thread(item, conversation.thread_key)
        store.add_event(
            events.MESSAGE_RECEIVED,
            at=item.created_at,
            conversation_id=conversation.id,
            message_id=message_id,
            actor="customer",
            channel=item.channel,
            source=item.source.value,
            visibility=item.visibility.value,
        )
        if opened:
            store.add_event(
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
            sla.start_cycle(self.settings, conversation, item.created_at)
            store.add_event(
                events.CONVERSATION_REOPENED,
                at=item.created_at,
                conversation_id=conversation.id,
                actor="customer",
                previous_status=previous_status.value if previous_status else None,
            )
        customer_wrote(runtime, conversation, item)
        store.conversation_changed(conversation)
        previous = store.previous_conversations(conversation)
        if opened or reopened:
            decision: RoutingDecision | None = self.hook.careline_route(
                conversation=self._view(conversation, previous),
                message=item,
                settings=self.settings,
            )
            apply_routing(runtime, conversation, decision, item.created_at, store.add_event)
        view = self._view(conversation, previous)
        requests = self.hook.careline_escalate_on_message(
            conversation=view, message=item, settings=self.settings, enrichment=enrichment
        )
        self._escalate(conversation, _flatten(requests))
        if reopened and previous_status is not None:
            status_requests = self.hook.careline_escalate_on_status(
                conversation=view,
                old_status=previous_status,
                new_status=ConversationStatus.OPEN,
                settings=self.settings,
            )
            self._escalate(conversation, _flatten(status_requests))
        if conversation.status != ConversationStatus.IGNORED:
            self._auto_assign(conversation)
        if self._pool is not None:
            # a pool read during this message already counts the conversation as it was then
            self._pool.moved(
                held_by if pool_before else None,
                assignment.holder(conversation.assignee_id, conversation.status),
            )
        return True

    def _resolve_contact(self, item: InboundMessage) -> int:
        """Find or create the contact behind a customer message, keeping the identity current."""
        store, author = self.store, item.author
        identity = store.identity(item.channel, author.external_id)
        now = self.now
        if identity is None:
            contact = store.add_contact(author.display_name or author.handle, now)
            store.add_identity(
                contact_id=contact.id,
                channel=item.channel,
                external_id=author.external_id,
                handle=author.handle,
                display_name=author.display_name,
                followers=author.followers,
                verified=author.verified,
                updated_at=now,
            )
            return contact.id
        changed = False
        if author.handle is not None and identity.handle != author.handle:
            identity.handle = author.handle
            changed = True
        if author.display_name is not None and identity.display_name != author.display_name:
            identity.display_name = author.display_name
            changed = True
        if author.followers is not None and identity.followers != author.followers:
            identity.followers = author.followers
            changed = True
        if author.verified != identity.verified:
            identity.verified = author.verified
            changed = True
        if changed:
            identity.updated_at = now
            store.identity_changed(identity)
        return store.current_contact(identity.contact_id).id

    def _view(self, conversation: ConversationRow, previous: int | None = None) -> ConversationView:
        """The conversation as hooks see it now; ``previous``: its contact's earlier
        conversations, when counted already for this message."""
        store = self.store
        return build_conversation_view(
            conversation,
            contact=store.contact(conversation.contact_id),
            identity=store.view_identity(conversation.contact_id, conversation.channel),
            previous=store.previous_conversations(conversation) if previous is None else previous,
        )

    def _escalate(self, conversation: ConversationRow, requests: list[EscalationRequest]) -> None:
        """Open an escalation for each request whose trigger has not fired on the conversation,
        exactly as :func:`careline.services.escalations.apply_requests` (which the batch calls
        instead when :attr:`escalate_in_batch` is off: the reference the tests compare with)."""
        if not requests:
            return
        if not self.escalate_in_batch:
            self.store.flush()
            stored = self.session.get(Conversation, conversation.id, populate_existing=True)
            assert stored is not None
            escalations.apply_requests(self.runtime, self.session, stored, requests, now=self.now)
            self.session.flush()
            conversation.copy_from(stored)
            self.session.expunge(stored)
            return
        store, now = self.store, self.now
        for request in requests:
            if request is None or store.has_escalation(conversation.id, request.trigger):
                continue
            escalation_id = store.add_escalation(
                conversation_id=conversation.id,
                target=request.target,
                reason=request.reason,
                trigger=request.trigger,
                status="open",
                created_at=now,
                created_by="system",
                acknowledged_at=None,
                acknowledged_by=None,
                resolved_at=None,
                resolved_by=None,
                resolution_note=None,
            )
            store.add_event(
                events.ESCALATED,
                at=now,
                conversation_id=conversation.id,
                actor="system",
                escalation_id=escalation_id,
                target=request.target,
                reason=request.reason,
                trigger=request.trigger,
            )
            escalations.apply_effects(
                self.settings, conversation, request, now=now, record=store.add_event
            )
            self._escalation_notice(conversation, escalation_id, request)
            store.conversation_changed(conversation)

    def _escalation_notice(
        self, conversation: ConversationRow, escalation_id: int, request: EscalationRequest
    ) -> None:
        """Enqueue the escalation's notification for every sender (as the escalation service)."""
        available = notifications.senders(self.runtime)
        if not available:
            return
        notification = escalations.escalation_notification(
            self.settings, conversation, escalation_id, request
        )
        with self.session.no_autoflush:  # written after the conversation, by BatchStore.flush
            notifications.notify(self.session, notification, sorted(available), self.now)

    def _auto_assign(self, conversation: ConversationRow) -> None:
        """Ask the ``careline_assign`` hook for an agent among the batch's candidates."""
        if (
            conversation.assignee_id is not None
            or conversation.status not in assignment.ACTIVE_STATUSES
        ):
            return
        if self._pool is None:
            with self.session.no_autoflush:
                agents = assignment.enabled_agents(self.session)
            if agents:
                self.store.flush()  # the loads count what this batch did so far
            self._pool = assignment.AgentPool.count(self.session, agents, now=self.now)
        if not self._pool.agents:
            return
        chosen = assignment.choose(self.runtime, self._view(conversation), list(self._pool.agents))
        if chosen is None:
            return
        now = self.now
        previous = conversation.assignee_id
        conversation.assignee_id = chosen
        conversation.assigned_at = now
        conversation.updated_at = now
        self.store.conversation_changed(conversation)
        self.store.add_event(
            events.ASSIGNED,
            at=now,
            conversation_id=conversation.id,
            actor="system",
            assignee=chosen,
            previous=previous,
            by="rule",
        )

    # --- the brand's own messages, edits, deletes -----------------------------------------
    def _echo(self, item: InboundMessage, raw_event_id: int | None, via: str) -> bool:
        """The brand's own post or message seen on the platform: a reply sent outside careline."""
        store = self.store
        conversation = store.latest_conversation(item.channel, item.account, _echo_thread_key(item))
        if conversation is None:
            return False  # the brand posting on its own: nothing to answer
        message_id = store.add_message(
            {
                "conversation_id": conversation.id,
                "channel": item.channel,
                "account": item.account,
                "external_id": item.external_id,
                "direction": Direction.OUTBOUND,
                "visibility": item.visibility,
                "text": item.text,
                "author_external_id": item.author.external_id,
                "author_handle": item.author.handle,
                "in_reply_to": item.in_reply_to,
                "created_at": item.created_at,
                "received_at": self.now,
                "language": None,
                "sentiment": None,
                "topics": [],
                "personal_data": [],
                "attachments": [],
                "deleted_at": None,
                "edited_at": None,
                "raw_event_id": raw_event_id,
                "sent_by_agent_id": None,
                "automated": False,
                "delivery_state": "sent",
                "delivery_error": None,
            }
        )
        self._remember_thread(item, conversation.thread_key)
        reply_recorded(
            conversation,
            at=item.created_at,
            message_id=message_id,
            visibility=item.visibility,
            agent_id=None,
            automated=False,
            via=via,
            record=store.add_event,
        )
        store.conversation_changed(conversation)
        return True

    def _stored_message(self, item: InboundMessage) -> Message | None:
        self.store.flush()
        return self.session.exec(
            select(Message).where(
                Message.channel == item.channel, Message.external_id == item.external_id
            )
        ).first()

    def _edit(self, item: InboundMessage) -> bool:
        """A customer edited a known message: keep the old text as a revision (rare: via ORM)."""
        message = self._stored_message(item)
        if message is None or message.text == item.text or message.id is None:
            return False
        now = self.now
        self.session.add(MessageRevision(message_id=message.id, text=message.text, replaced_at=now))
        message.text = item.text
        message.edited_at = item.created_at
        self._customer_changed(message, events.MESSAGE_EDITED, now)
        return True

    def _delete(self, item: InboundMessage) -> bool:
        """A customer deleted a known message: mark it, and drop its text unless configured."""
        if not self.store.is_known(item.channel, item.external_id):
            return False
        message = self._stored_message(item)
        if message is None or message.deleted_at is not None:
            return False
        now = self.now
        message.deleted_at = item.created_at if item.created_at else now
        if not self.keep_deleted_text:
            message.text = ""
            message.personal_data = []
        self._customer_changed(message, events.MESSAGE_DELETED, now)
        return True

    def _customer_changed(self, message: Message, event: str, now: datetime) -> None:
        """Write a stored message the customer edited or deleted, with its event."""
        self.session.add(message)
        events.record(
            self.session,
            event,
            at=now,
            conversation_id=message.conversation_id,
            message_id=message.id,
            actor="customer",
        )
        self.session.flush()


def _wanted(units: Sequence[Unit]) -> Wanted:
    """What the batch will look up, for :meth:`BatchStore.prefetch`."""
    wanted = Wanted()
    earliest: datetime | None = None
    for unit in units:
        for item in unit.items:
            wanted.messages[item.channel].add(item.external_id)
            if item.kind is MessageKind.DELETE:
                continue
            if item.direction is Direction.OUTBOUND:
                key = _echo_thread_key(item)
                wanted.threads[(item.channel, item.account)].add(key)
                if item.visibility is Visibility.PUBLIC:
                    # A reply later in the batch may follow this post into its thread and
                    # open a conversation there.
                    wanted.locks.add(f"{item.channel}|{item.account}|{key}")
                continue
            key = thread_key(item)
            wanted.threads[(item.channel, item.account)].add(key)
            wanted.locks.add(f"{item.channel}|{item.account}|{key}")
            wanted.authors[item.channel].add(item.author.external_id)
            if earliest is None or item.created_at < earliest:
                earliest = item.created_at
    wanted.earliest = earliest
    return wanted
