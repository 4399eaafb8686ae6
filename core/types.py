"""The shared value types that hooks receive and return.

They are plain frozen dataclasses so that plugins can build them in tests without a database,
and so that a hook can never change the core's state behind its back: the core copies what a
hook returns into storage and appends an event for it.
"""

from __future__ import annotations

import copyreg
import enum
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, TypeVar

_Pickled = TypeVar("_Pickled")


def _pickled_as_fields(cls: type[_Pickled]) -> type[_Pickled]:
    """Pickle ``cls`` as its constructor and field values.

    What a frozen, slotted dataclass pickles by default looks up its fields on every instance,
    and the messages and enrichments that travel to and from enrichment processes by the
    thousand would spend twice as long in ``pickle`` (see :mod:`careline.enrichment_pool`).
    """
    found = fields(cls)  # type: ignore[arg-type]
    assert len(found) > 1, "an attrgetter of one name answers a value, not a tuple"
    assert all(item.init and not item.kw_only for item in found), "rebuilt by position"
    values = operator.attrgetter(*(item.name for item in found))

    def __reduce__(self: _Pickled) -> tuple[Any, ...]:
        if type(self) is not cls:  # a subclass may add fields: pickled the dataclass way
            return copyreg.__newobj__, (type(self),), self.__getstate__()  # type: ignore[attr-defined]
        return cls, values(self)

    cls.__reduce__ = __reduce__  # type: ignore[assignment,method-assign]
    return cls


class Direction(enum.StrEnum):
    """Whether a message came from the customer (``in``) or from the brand (``out``)."""

    INBOUND = "in"
    OUTBOUND = "out"


class Visibility(enum.StrEnum):
    """Whether everyone can see a message (``public``) or only its participants."""

    PUBLIC = "public"
    PRIVATE = "private"


class Source(enum.StrEnum):
    """Owned: addressed to the brand. Earned: found by listening, not addressed to it."""

    OWNED = "owned"
    EARNED = "earned"


class ConversationStatus(enum.StrEnum):
    """The life cycle of a conversation (DESIGN §3)."""

    NEW = "new"
    OPEN = "open"
    PENDING = "pending"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    CLOSED = "closed"
    IGNORED = "ignored"


class Priority(enum.StrEnum):
    """How urgent a conversation is; SLA policies are set per priority."""

    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"

    @property
    def rank(self) -> int:
        """0 for low … 3 for urgent, for comparisons."""
        return list(Priority).index(self)


class Role(enum.StrEnum):
    """What an agent may do: agents answer, supervisors approve and report, admins configure."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """0 for agent, 1 for supervisor, 2 for admin."""
        return list(Role).index(self)


class Severity(enum.StrEnum):
    """How a guideline finding affects a reply: stop it, park it for approval, or warn."""

    BLOCK = "block"
    APPROVAL = "approval"
    WARN = "warn"


class MessageKind(enum.StrEnum):
    """What a parsed delivery item means for the pipeline."""

    MESSAGE = "message"
    EDIT = "edit"
    DELETE = "delete"


@_pickled_as_fields
@dataclass(frozen=True, slots=True)
class Author:
    """The person (or brand account) who wrote a message, as the channel knows them."""

    external_id: str
    handle: str | None = None
    display_name: str | None = None
    followers: int | None = None
    verified: bool = False


@_pickled_as_fields
@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One item a channel parsed out of a raw delivery or a polled page.

    ``direction`` is ``out`` for echoes of the brand's own posts and messages (sent from careline
    or from the platform's own app): they count as replies, never as customer messages.
    ``thread_key`` groups public messages into one conversation (X ``conversation_id``, Facebook
    post + top-level comment, Instagram media + comment); private messages are threaded per
    ``(account, participant)`` and may leave it ``None``.
    """

    channel: str
    account: str
    external_id: str
    text: str
    author: Author
    created_at: datetime
    visibility: Visibility
    direction: Direction = Direction.INBOUND
    source: Source = Source.OWNED
    kind: MessageKind = MessageKind.MESSAGE
    thread_key: str | None = None
    participant_id: str | None = None
    in_reply_to: str | None = None
    language: str | None = None
    attachments: tuple[str, ...] = ()
    opens_window: bool = True
    raw: Mapping[str, Any] = field(default_factory=dict)


@_pickled_as_fields
@dataclass(frozen=True, slots=True)
class PersonalDataMatch:
    """Personal data found in a text: its kind and where, never a second copy of the value."""

    kind: str
    start: int
    end: int


@_pickled_as_fields
@dataclass(frozen=True, slots=True)
class Enrichment:
    """What an enrichment hook learned about a message (every field optional).

    The core merges the answers of all enrichment hooks: the first non-``None`` value wins for
    scalars, lists and ``attributes`` are combined. ``tags`` are added to the conversation.
    """

    sentiment: float | None = None
    sentiment_label: str | None = None
    language: str | None = None
    topics: tuple[str, ...] = ()
    topic_scores: Mapping[str, float] = field(default_factory=dict)
    personal_data: tuple[PersonalDataMatch, ...] = ()
    tags: tuple[str, ...] = ()
    attributes: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class MessageView:
    """A stored message as hooks see it."""

    id: int
    conversation_id: int
    channel: str
    external_id: str | None
    direction: Direction
    visibility: Visibility
    text: str
    created_at: datetime
    author_external_id: str | None = None
    author_handle: str | None = None
    author_followers: int | None = None
    author_verified: bool = False
    language: str | None = None
    sentiment: float | None = None
    topics: tuple[str, ...] = ()
    personal_data: tuple[PersonalDataMatch, ...] = ()
    sent_by_agent_id: int | None = None
    automated: bool = False


@dataclass(frozen=True, slots=True)
class ConversationView:
    """A conversation as hooks see it: its state plus what routing and rules ask about."""

    id: int
    channel: str
    account: str
    visibility: Visibility
    source: Source
    status: ConversationStatus
    priority: Priority
    created_at: datetime
    contact_id: int
    queue: str | None = None
    assignee_id: int | None = None
    language: str | None = None
    sentiment: float | None = None
    topic: str | None = None
    tags: tuple[str, ...] = ()
    contact_attributes: Mapping[str, Any] = field(default_factory=dict)
    contact_name: str | None = None
    contact_handle: str | None = None
    author_followers: int | None = None
    author_verified: bool = False
    previous_conversations: int = 0
    personal_data_kinds: tuple[str, ...] = ()
    last_inbound_at: datetime | None = None
    first_response_due: datetime | None = None
    resolution_due: datetime | None = None
    messages: tuple[MessageView, ...] = ()


@dataclass(frozen=True, slots=True)
class RoutingDecision:
    """A routing hook's answer for a conversation; ``None`` fields leave the value unchanged."""

    queue: str | None = None
    priority: Priority | None = None
    tags: tuple[str, ...] = ()
    topic: str | None = None
    ignore_reason: str | None = None
    suggest_private: bool = False
    rule: str | None = None
    explanation: str | None = None


@dataclass(frozen=True, slots=True)
class AgentView:
    """An agent as the assignment hook sees it, with their current load."""

    id: int
    name: str
    role: Role
    languages: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    skills: tuple[str, ...] = ()
    queues: tuple[str, ...] = ()
    capacity: int = 10
    open_conversations: int = 0
    available: bool = True
    initials: str | None = None
    on_shift: bool = True


@dataclass(frozen=True, slots=True)
class DraftReply:
    """A reply an agent (or an automation) wants to send, before any check."""

    text: str
    visibility: Visibility
    agent: AgentView | None = None
    automated: bool = False
    template_id: str | None = None
    tag: str | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem a response guideline found in a draft reply.

    ``span`` is the ``(start, end)`` character range of the text it applies to, if any.
    """

    rule: str
    severity: Severity
    message: str
    span: tuple[int, int] | None = None


@dataclass(frozen=True, slots=True)
class ReplyTemplate:
    """A canned reply (Jinja2 source, rendered in a sandbox by the plugin that provides it)."""

    id: str
    title: str
    body: str
    topics: tuple[str, ...] = ()
    language: str | None = None
    channels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class EscalationRequest:
    """An escalation hook's answer: who must look at a conversation, and why.

    ``trigger`` identifies the rule (e.g. ``"content:legal"`` or ``"sla:first_response:100"``);
    the core records at most one open escalation per conversation and trigger.
    """

    target: str
    reason: str
    trigger: str
    raise_priority: Priority | None = None
    reassign_queue: str | None = None
    reassign_agent_id: int | None = None
    notify: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class SlaState:
    """Where a conversation stands against its SLA targets at a moment."""

    now: datetime
    first_response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    next_response_due: datetime | None = None
    cycle_started_at: datetime | None = None
    next_response_started_at: datetime | None = None

    def elapsed_share(self, due: datetime | None, started: datetime) -> float | None:
        """How much of the time between ``started`` and ``due`` has passed (1.0 = breached)."""
        if due is None:
            return None
        total = (due - started).total_seconds()
        if total <= 0:
            return 1.0
        return (self.now - started).total_seconds() / total


@dataclass(frozen=True, slots=True)
class Notification:
    """Something people must hear about: an escalation, a channel needing reconnection, …"""

    kind: str
    title: str
    body: str
    recipients: tuple[str, ...] = ()
    conversation_id: int | None = None
    url: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ReportParameter:
    """One parameter a report accepts (shown by ``careline report --help`` and the API)."""

    name: str
    help: str
    default: Any = None
    choices: Sequence[str] | None = None


@dataclass(frozen=True, slots=True)
class ReportTable:
    """A table of a report: column names and rows of plain values."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True, slots=True)
class ReportSeries:
    """A series for a chart: labels on the x axis and one or more named value lists."""

    title: str
    labels: tuple[str, ...]
    values: Mapping[str, tuple[float | None, ...]]
    kind: str = "line"


@dataclass(frozen=True, slots=True)
class ReportResult:
    """What a report computes: headline figures, tables and chart series."""

    name: str
    title: str
    parameters: Mapping[str, Any]
    figures: Mapping[str, Any] = field(default_factory=dict)
    tables: tuple[ReportTable, ...] = ()
    series: tuple[ReportSeries, ...] = ()
