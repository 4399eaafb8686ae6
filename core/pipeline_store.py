"""The rows one pipeline batch reads and writes: read with a few queries, written in bulk.

:class:`BatchStore` reads everything a batch of inbound messages needs up front — which messages
are known, the latest conversation of every thread, the authors' identities and contacts, the
contacts' recent conversations — in one query each, keeps it in memory while the batch is
threaded, and writes new rows with one statement per table when the batch ends (or before a step
that needs them in the database, :meth:`BatchStore.flush`), and of changed rows the columns they
changed, one statement per set of columns.

Ids are given out before rows are written, so that hooks see real conversation ids and events
can name their message: on SQLite the batch holds the write lock and counts on from the highest
id; on PostgreSQL they are drawn from the table's sequence after the batch's thread locks are
held, so ids still grow per thread across workers.
"""

from __future__ import annotations

import copy
import operator
import zlib
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from careline.bulk_write import insert_rows, update_rows
from careline.models import (
    Contact,
    Conversation,
    Escalation,
    Event,
    Identity,
    Message,
    RawEvent,
)
from careline.services.views import REPEAT_CONTACT_LOOKBACK, count_previous
from careline.types import ConversationStatus, Priority, Source, Visibility
from sqlmodel import Session

CONTACT: sa.Table = Contact.__table__  # type: ignore[attr-defined]
IDENTITY: sa.Table = Identity.__table__  # type: ignore[attr-defined]
CONVERSATION: sa.Table = Conversation.__table__  # type: ignore[attr-defined]
MESSAGE: sa.Table = Message.__table__  # type: ignore[attr-defined]
EVENT: sa.Table = Event.__table__  # type: ignore[attr-defined]
ESCALATION: sa.Table = Escalation.__table__  # type: ignore[attr-defined]
RAW_EVENT: sa.Table = RawEvent.__table__  # type: ignore[attr-defined]

CONVERSATION_COLUMNS = tuple(column.name for column in CONVERSATION.columns)
IDENTITY_COLUMNS = tuple(column.name for column in IDENTITY.columns)
CONVERSATION_CHANGES = tuple(name for name in CONVERSATION_COLUMNS if name != "id")
"""The columns of a conversation a batch may change (every one but ``id``)."""
IDENTITY_CHANGES = tuple(name for name in IDENTITY_COLUMNS if name != "id")

IN_CHUNK = 500
"""Values per ``IN (...)`` list, well below every database's parameter limit."""


def hold_write_lock(connection: sa.Connection) -> None:
    """On SQLite, take the database's write lock now (a write that changes nothing).

    The batch gives out ids by counting on from the highest, which is safe only while it holds
    the lock (sessions begin with ``BEGIN IMMEDIATE``; this holds for any connection). Nothing to
    do on PostgreSQL.
    """
    if connection.dialect.name == "sqlite":
        connection.execute(
            sa.update(RAW_EVENT).where(RAW_EVENT.c.id == -1).values(status=RAW_EVENT.c.status)
        )


def thread_lock_key(name: str) -> int:
    """The PostgreSQL advisory-lock key serialising the threading of one thread."""
    return zlib.crc32(name.encode()) - 2**31


class ConversationRow:
    """A conversation of the batch in memory (the columns of :class:`Conversation`)."""

    __slots__ = (*CONVERSATION_COLUMNS, "written")

    id: int
    channel: str
    account: str
    thread_key: str
    participant_id: str | None
    visibility: Visibility
    source: Source
    status: ConversationStatus
    priority: Priority
    queue: str | None
    assignee_id: int | None
    contact_id: int
    language: str | None
    sentiment: float | None
    topic: str | None
    topic_score: float | None
    tags: list[str]
    ignore_reason: str | None
    suggest_private: bool
    created_at: datetime
    updated_at: datetime
    last_inbound_at: datetime | None
    last_outbound_at: datetime | None
    awaiting_reply_since: datetime | None
    first_response_at: datetime | None
    first_response_due: datetime | None
    next_response_due: datetime | None
    resolution_due: datetime | None
    resolved_at: datetime | None
    reopened_at: datetime | None
    assigned_at: datetime | None
    sla_warned: list[str]
    written: tuple[Any, ...] | None
    """What the database holds of :data:`CONVERSATION_CHANGES` (``None``: not written yet)."""

    def __init__(self, values: Mapping[Any, Any], *, new: bool = False) -> None:
        """A conversation as ``values`` has its columns: stored, unless ``new``."""
        for name in CONVERSATION_COLUMNS:
            setattr(self, name, values[name])
        self.written = None if new else _CONVERSATION_SNAPSHOT(self)

    @property
    def new(self) -> bool:
        """Not written yet: the next flush inserts it."""
        return self.written is None

    @classmethod
    def opened(cls, **values: Any) -> ConversationRow:
        """A new conversation: the given columns, the rest at their defaults."""
        defaults: dict[str, Any] = dict.fromkeys(CONVERSATION_COLUMNS)
        defaults.update(
            source=Source.OWNED,
            status=ConversationStatus.NEW,
            priority=Priority.NORMAL,
            tags=[],
            suggest_private=False,
            sla_warned=[],
        )
        defaults.update(values)
        return cls(defaults, new=True)

    def copy_from(self, stored: Conversation) -> None:
        """Take over every column of the stored conversation, after the ORM changed and wrote
        it (so the database holds them)."""
        for name in CONVERSATION_COLUMNS:
            setattr(self, name, getattr(stored, name))
        self.written = _CONVERSATION_SNAPSHOT(self)


class IdentityRow:
    """An identity of the batch in memory (the columns of :class:`Identity`)."""

    __slots__ = (*IDENTITY_COLUMNS, "written")

    id: int
    contact_id: int
    channel: str
    external_id: str
    handle: str | None
    display_name: str | None
    followers: int | None
    verified: bool
    updated_at: datetime | None
    written: tuple[Any, ...] | None
    """What the database holds of :data:`IDENTITY_CHANGES` (``None``: not written yet)."""

    def __init__(self, values: Mapping[Any, Any], *, new: bool = False) -> None:
        """An identity as ``values`` has its columns: stored, unless ``new``."""
        for name in IDENTITY_COLUMNS:
            setattr(self, name, values[name])
        self.written = None if new else _IDENTITY_SNAPSHOT(self)

    @property
    def new(self) -> bool:
        """Not written yet: the next flush inserts it."""
        return self.written is None


class _Snapshot:
    """What a row holds of some columns, kept to tell later which of them changed: a tuple of
    their values, JSON ones (lists, dicts) copied, as those can change in place."""

    def __init__(self, table: sa.Table, names: tuple[str, ...]) -> None:
        self.table = table
        self.names = names
        self.values = operator.attrgetter(*names)
        self.json = tuple(
            position
            for position, name in enumerate(names)
            if isinstance(table.c[name].type, sa.JSON)
        )

    def __call__(self, row: Any) -> tuple[Any, ...]:
        values: tuple[Any, ...] = self.values(row)
        if not self.json:
            return values
        copied = list(values)
        for position in self.json:
            copied[position] = copy.copy(copied[position])
        return tuple(copied)


_CONVERSATION_SNAPSHOT = _Snapshot(CONVERSATION, CONVERSATION_CHANGES)
_IDENTITY_SNAPSHOT = _Snapshot(IDENTITY, IDENTITY_CHANGES)


def _write_changes(connection: sa.Connection, rows: list[Any], snapshot: _Snapshot) -> None:
    """Write the columns of ``snapshot`` that each row (written before) changed since, one
    ``UPDATE`` per set of columns.

    SQLite rewrites every index on a column an ``UPDATE`` sets, changed or not (a conversation
    has eight). PostgreSQL compares the values itself, and there every row is written whole in
    one statement, in id order, so that workers lock rows in the same order (no deadlock).
    """
    table = snapshot.table
    if connection.dialect.name != "sqlite":
        update_rows(connection, table, rows, snapshot.names)
        return
    groups: dict[tuple[str, ...], list[Any]] = {}
    for row in rows:
        values = snapshot(row)
        changed = tuple(
            name
            for name, before, now in zip(snapshot.names, row.written, values, strict=True)
            if before != now
        )
        if changed:
            groups.setdefault(changed, []).append(row)
        row.written = values
    for changed, group in groups.items():
        update_rows(connection, table, group, changed)


@dataclass(slots=True)
class ContactRow:
    """A contact of the batch in memory."""

    id: int
    name: str | None
    attributes: dict[str, Any]
    created_at: datetime
    merged_into_id: int | None = None


@dataclass
class Wanted:
    """What a batch will look up: the prefetch of :meth:`BatchStore.prefetch`."""

    messages: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """External ids of the batch's messages, by channel."""
    authors: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    """External ids of the customers who wrote, by channel."""
    threads: dict[tuple[str, str], set[str]] = field(default_factory=lambda: defaultdict(set))
    """Thread keys, by ``(channel, account)``."""
    locks: set[str] = field(default_factory=set)
    """Threads that may get a new conversation (locked on PostgreSQL)."""
    earliest: datetime | None = None
    """The earliest customer message (how far back conversations are counted)."""


class _Lookups:
    """The queries a batch reads with, built once per kind of database (building one cost more
    than SQLite took to run it). Each looks up the values of its ``ids`` parameter, a list bound
    as one parameter.

    On SQLite it is a JSON array (``column IN (SELECT value FROM json_each(:ids))``, which SQLite
    runs as one index search per value, as it does ``IN (?, ?, …)``): SQLAlchemy writes out a
    parameter per value for every run of an ``IN`` list, and that took 3% of the pipeline's
    time. On PostgreSQL ``ids`` is an array (``column = ANY(:ids)``), also for a reason of speed:
    psycopg prepares a statement from its fifth run on, and PostgreSQL then settles on a generic
    plan. With one parameter per value that plan cannot probe the index value by value: it reads
    every row of the channel and compares each with the whole list, so a batch's lookups grew
    with the table (150 ms each at 20,000 messages). With one array parameter the generic plan
    is an index scan (under 1 ms).
    """

    def __init__(self, postgresql: bool) -> None:
        def among(column: sa.Column[Any]) -> sa.ColumnElement[bool]:
            if postgresql:
                return column == sa.any_(sa.bindparam("ids", type_=sa.ARRAY(column.type)))
            ids = sa.func.json_each(sa.bindparam("ids", type_=sa.JSON)).table_valued("value")
            return column.in_(sa.select(ids.c.value))

        channel: sa.BindParameter[str] = sa.bindparam("channel")
        self.known_messages = sa.select(MESSAGE.c.external_id).where(
            MESSAGE.c.channel == channel, among(MESSAGE.c.external_id)
        )
        latest = (
            sa.select(sa.func.max(CONVERSATION.c.id))
            .where(
                CONVERSATION.c.channel == channel,
                CONVERSATION.c.account == sa.bindparam("account"),
                among(CONVERSATION.c.thread_key),
            )
            .group_by(CONVERSATION.c.thread_key)
        )
        self.latest_conversations = sa.select(CONVERSATION).where(CONVERSATION.c.id.in_(latest))
        self.identities = sa.select(IDENTITY).where(
            IDENTITY.c.channel == channel, among(IDENTITY.c.external_id)
        )
        self.contacts = sa.select(CONTACT).where(among(CONTACT.c.id))
        self.contact_identities = sa.select(IDENTITY).where(among(IDENTITY.c.contact_id))
        self.started = sa.select(
            CONVERSATION.c.contact_id, CONVERSATION.c.id, CONVERSATION.c.created_at
        ).where(
            among(CONVERSATION.c.contact_id),
            CONVERSATION.c.created_at
            >= sa.bindparam("since", type_=CONVERSATION.c.created_at.type),
        )
        self.reply_threads = (
            sa.select(MESSAGE.c.account, MESSAGE.c.external_id, CONVERSATION.c.thread_key)
            .join(CONVERSATION, CONVERSATION.c.id == MESSAGE.c.conversation_id)
            .where(
                MESSAGE.c.channel == channel,
                MESSAGE.c.visibility == Visibility.PUBLIC,
                # A public reply sent from a private conversation is no public thread.
                CONVERSATION.c.visibility == Visibility.PUBLIC,
                among(MESSAGE.c.external_id),
            )
        )
        self.triggers = sa.select(ESCALATION.c.conversation_id, ESCALATION.c.trigger).where(
            among(ESCALATION.c.conversation_id)
        )


_LOOKUPS = {"sqlite": _Lookups(postgresql=False), "postgresql": _Lookups(postgresql=True)}


def _chunks(values: Iterable[Any]) -> Iterator[list[Any]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), IN_CHUNK):
        yield ordered[start : start + IN_CHUNK]


class _Ids:
    """Ids handed out for one table in one batch.

    On PostgreSQL they are drawn from the sequence a few at first and twice as many each time
    more are needed, so a batch wastes at most as many numbers as it uses.
    """

    FIRST_DRAW = 8

    def __init__(self, connection: sa.Connection, table: sa.Table) -> None:
        self.connection = connection
        self.table = table
        self.free: list[int] = []
        self.draw = self.FIRST_DRAW
        self.next: int | None = None

    def take(self) -> int:
        """The next id."""
        if self.connection.dialect.name == "sqlite":
            if self.next is None:
                hold_write_lock(self.connection)
                highest = self.connection.execute(sa.select(sa.func.max(self.table.c.id))).scalar()
                self.next = int(highest or 0) + 1
            taken = self.next
            self.next += 1
            return taken
        if not self.free:
            drawn = self.connection.execute(
                sa.text(
                    "SELECT nextval(pg_get_serial_sequence(:table, 'id')) "
                    "FROM generate_series(1, :count)"
                ),
                {"table": self.table.name, "count": self.draw},
            ).scalars()
            self.free = sorted((int(value) for value in drawn), reverse=True)
            self.draw *= 2
        return self.free.pop()


class BatchStore:
    """The in-memory state of one batch and its pending writes (see the module docstring)."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.connection = session.connection()
        self._lookups = _LOOKUPS[self.connection.dialect.name]
        self._known: set[tuple[str, str]] = set()
        self._latest: dict[tuple[str, str, str], ConversationRow] = {}
        self._identities: dict[tuple[str, str], IdentityRow] = {}
        self._identities_by_id: dict[int, IdentityRow] = {}
        self._contact_identity: dict[tuple[int, str], IdentityRow] = {}
        self._identities_read: set[int] = set()
        self._contacts: dict[int, ContactRow] = {}
        self._started: dict[int, list[tuple[int, datetime]]] = {}
        self._ids: dict[str, _Ids] = {}
        self._new_contacts: list[ContactRow] = []
        self._new_identities: list[IdentityRow] = []
        self._changed_identities: dict[int, IdentityRow] = {}
        self._new_conversations: list[ConversationRow] = []
        self._changed_conversations: dict[int, ConversationRow] = {}
        self._messages: list[dict[str, Any]] = []
        self._events: list[dict[str, Any]] = []
        self._escalations: list[dict[str, Any]] = []
        self._triggers: set[tuple[int, str]] = set()
        self._triggers_read: set[int] = set()

    # --- reading ------------------------------------------------------------------------------
    def prefetch(self, wanted: Wanted) -> None:
        """Lock the threads (PostgreSQL) and read what the batch needs, a query per kind."""
        connection = self.connection
        if wanted.locks and connection.dialect.name == "postgresql":
            lock_keys = sorted({thread_lock_key(name) for name in wanted.locks})
            connection.execute(
                sa.text(
                    "SELECT pg_advisory_xact_lock(k) FROM "
                    "(SELECT unnest(CAST(:keys AS bigint[])) AS k ORDER BY 1) AS keys"
                ),
                {"keys": lock_keys},
            ).all()
        lookups = self._lookups
        for channel, external_ids in wanted.messages.items():
            for chunk in _chunks(external_ids):
                found = connection.execute(
                    lookups.known_messages, {"channel": channel, "ids": chunk}
                ).scalars()
                self._known.update((channel, external_id) for external_id in found)
        conversations: list[ConversationRow] = []
        for (channel, account), keys in wanted.threads.items():
            for chunk in _chunks(keys):
                for row in connection.execute(
                    lookups.latest_conversations,
                    {"channel": channel, "account": account, "ids": chunk},
                ):
                    conversation = ConversationRow(row._mapping)
                    self._latest[(channel, account, conversation.thread_key)] = conversation
                    conversations.append(conversation)
        for channel, external_ids in wanted.authors.items():
            for chunk in _chunks(external_ids):
                self._read_identities(lookups.identities, {"channel": channel, "ids": chunk})
        contact_ids = {identity.contact_id for identity in self._identities_by_id.values()}
        contact_ids.update(conversation.contact_id for conversation in conversations)
        self._read_contacts(contact_ids)
        self._read_contact_identities(set(self._contacts))
        starts = [conversation.created_at for conversation in conversations]
        if wanted.earliest is not None:
            starts.append(wanted.earliest)
        if starts and self._contacts:
            self._read_started(set(self._contacts), min(starts) - REPEAT_CONTACT_LOOKBACK)

    def reply_threads(self, parents: dict[str, set[str]]) -> dict[tuple[str, str, str], str]:
        """The thread keys of stored public messages, by ``(channel, account, external_id)``.

        ``parents`` lists external ids by channel: the posts a batch's replies answer.
        """
        found: dict[tuple[str, str, str], str] = {}
        for channel, external_ids in parents.items():
            for chunk in _chunks(external_ids):
                for account, external_id, key in self.connection.execute(
                    self._lookups.reply_threads, {"channel": channel, "ids": chunk}
                ):
                    found[(channel, account, external_id)] = key
        return found

    def _read_identities(self, query: sa.Select[Any], parameters: dict[str, Any]) -> None:
        for row in self.connection.execute(query, parameters):
            if row.id in self._identities_by_id:
                continue
            identity = IdentityRow(row._mapping)
            self._identities_by_id[identity.id] = identity
            self._identities[(identity.channel, identity.external_id)] = identity
            key = (identity.contact_id, identity.channel)
            current = self._contact_identity.get(key)
            if current is None or current.id < identity.id:
                self._contact_identity[key] = identity

    def _read_contacts(self, ids: set[int]) -> None:
        """Read contacts, and the contacts they were merged into."""
        tried: set[int] = set()
        missing = ids - set(self._contacts)
        while missing:
            tried |= missing
            for chunk in _chunks(missing):
                for row in self.connection.execute(self._lookups.contacts, {"ids": chunk}):
                    self._contacts[row.id] = ContactRow(
                        id=row.id,
                        name=row.name,
                        attributes=row.attributes,
                        created_at=row.created_at,
                        merged_into_id=row.merged_into_id,
                    )
            merged = {c.merged_into_id for c in self._contacts.values() if c.merged_into_id}
            missing = merged - set(self._contacts) - tried

    def _read_contact_identities(self, contact_ids: set[int]) -> None:
        """Read every identity of these contacts (a contact has few; filtering by channel in
        SQL would make SQLite walk the channel's whole unique index instead)."""
        for chunk in _chunks(contact_ids - self._identities_read):
            self._read_identities(self._lookups.contact_identities, {"ids": chunk})
        self._identities_read |= contact_ids

    def _read_started(self, contact_ids: set[int], since: datetime) -> None:
        for contact_id in contact_ids:
            self._started.setdefault(contact_id, [])
        for chunk in _chunks(contact_ids):
            rows = self.connection.execute(self._lookups.started, {"ids": chunk, "since": since})
            for contact_id, conversation_id, created_at in rows:
                self._started[contact_id].append((conversation_id, created_at))

    def is_known(self, channel: str, external_id: str) -> bool:
        """True when a message with this id is stored (or pending) on ``channel``."""
        return (channel, external_id) in self._known

    def latest_conversation(self, channel: str, account: str, key: str) -> ConversationRow | None:
        """The newest conversation of a thread, if any."""
        return self._latest.get((channel, account, key))

    def identity(self, channel: str, external_id: str) -> IdentityRow | None:
        """A customer's identity on a channel, if known."""
        return self._identities.get((channel, external_id))

    def contact(self, contact_id: int) -> ContactRow | None:
        """The contact with that id."""
        if contact_id not in self._contacts:
            self._read_contacts({contact_id})
        return self._contacts.get(contact_id)

    def current_contact(self, contact_id: int) -> ContactRow:
        """The contact with that id, or the one it was merged into."""
        found = self.contact(contact_id)
        assert found is not None
        while found.merged_into_id is not None:
            merged = self.contact(found.merged_into_id)
            assert merged is not None
            found = merged
        return found

    def view_identity(self, contact_id: int, channel: str) -> IdentityRow | None:
        """The contact's newest identity on ``channel`` (what conversation views show)."""
        if contact_id not in self._identities_read:
            self._read_contact_identities({contact_id})
        return self._contact_identity.get((contact_id, channel))

    def previous_conversations(self, conversation: ConversationRow) -> int:
        """:func:`~careline.services.views.previous_conversations`, counted in memory."""
        started = self._started.get(conversation.contact_id)
        if started is None:
            self._read_started(
                {conversation.contact_id}, conversation.created_at - REPEAT_CONTACT_LOOKBACK
            )
            started = self._started[conversation.contact_id]
        return count_previous(conversation.id, conversation.created_at, started)

    def has_escalation(self, conversation_id: int, trigger: str) -> bool:
        """True when ``trigger`` already opened an escalation on the conversation."""
        if conversation_id not in self._triggers_read:
            stored = [c.id for c in self._latest.values() if c.id not in self._triggers_read]
            wanted = {conversation_id, *stored}
            for chunk in _chunks(wanted):
                rows = self.connection.execute(self._lookups.triggers, {"ids": chunk})
                self._triggers.update((row[0], row[1]) for row in rows)
            self._triggers_read |= wanted
        return (conversation_id, trigger) in self._triggers

    # --- writing ------------------------------------------------------------------------------
    def _take_id(self, table: sa.Table) -> int:
        ids = self._ids.get(table.name)
        if ids is None:
            ids = self._ids[table.name] = _Ids(self.connection, table)
        return ids.take()

    def add_contact(self, name: str | None, created_at: datetime) -> ContactRow:
        """A new contact (written at the next flush)."""
        contact = ContactRow(
            id=self._take_id(CONTACT), name=name, attributes={}, created_at=created_at
        )
        self._contacts[contact.id] = contact
        self._started[contact.id] = []
        self._new_contacts.append(contact)
        return contact

    def add_identity(self, **values: Any) -> IdentityRow:
        """A new identity (written at the next flush)."""
        identity = IdentityRow({"id": self._take_id(IDENTITY), **values}, new=True)
        self._identities_by_id[identity.id] = identity
        self._identities[(identity.channel, identity.external_id)] = identity
        self._contact_identity[(identity.contact_id, identity.channel)] = identity
        self._identities_read.add(identity.contact_id)
        self._new_identities.append(identity)
        return identity

    def identity_changed(self, identity: IdentityRow) -> None:
        """Write this identity again at the next flush."""
        if not identity.new:
            self._changed_identities[identity.id] = identity

    def add_conversation(self, conversation: ConversationRow) -> ConversationRow:
        """Give a new conversation its id; it becomes its thread's latest."""
        conversation.id = self._take_id(CONVERSATION)
        conversation.written = None  # inserted at the next flush
        self._latest[(conversation.channel, conversation.account, conversation.thread_key)] = (
            conversation
        )
        self._started.setdefault(conversation.contact_id, []).append(
            (conversation.id, conversation.created_at)
        )
        self._triggers_read.add(conversation.id)
        self._new_conversations.append(conversation)
        return conversation

    def conversation_changed(self, conversation: ConversationRow) -> None:
        """Write this conversation again at the next flush."""
        if not conversation.new:
            self._changed_conversations[conversation.id] = conversation

    def add_message(self, values: dict[str, Any]) -> int:
        """Store a message (all columns but ``id``) at the next flush; returns its id."""
        values["id"] = message_id = self._take_id(MESSAGE)
        self._known.add((values["channel"], values["external_id"]))
        self._messages.append(values)
        return message_id

    def add_escalation(self, **values: Any) -> int:
        """Store an escalation (every column but ``id``) at the next flush; returns its id."""
        values["id"] = escalation_id = self._take_id(ESCALATION)
        self._triggers.add((values["conversation_id"], values["trigger"]))
        self._escalations.append(values)
        return escalation_id

    def add_event(
        self,
        type: str,
        *,
        at: datetime,
        conversation_id: int | None = None,
        message_id: int | None = None,
        actor: str = "system",
        agent_id: int | None = None,
        **data: Any,
    ) -> None:
        """Append an event, exactly as :func:`careline.events.record` would."""
        self._events.append(
            {
                "type": type,
                "at": at,
                "conversation_id": conversation_id,
                "message_id": message_id,
                "actor": actor if agent_id is None else f"agent:{agent_id}",
                "agent_id": agent_id,
                "data": data,
            }
        )

    def flush(self) -> None:
        """Write every pending row, parents first, events last and in order."""
        connection = self.connection
        if self._new_contacts:
            insert_rows(connection, CONTACT, self._new_contacts)
            self._new_contacts = []
        if self._new_identities:
            insert_rows(connection, IDENTITY, self._new_identities)
            for identity in self._new_identities:
                identity.written = _IDENTITY_SNAPSHOT(identity)
            self._new_identities = []
        if self._changed_identities:
            changed_identities = self._changed_identities
            _write_changes(
                connection,
                [changed_identities[k] for k in sorted(changed_identities)],
                _IDENTITY_SNAPSHOT,
            )
            self._changed_identities = {}
        if self._new_conversations:
            insert_rows(connection, CONVERSATION, self._new_conversations)
            for conversation in self._new_conversations:
                conversation.written = _CONVERSATION_SNAPSHOT(conversation)
            self._new_conversations = []
        if self._changed_conversations:
            changed = self._changed_conversations
            _write_changes(
                connection, [changed[k] for k in sorted(changed)], _CONVERSATION_SNAPSHOT
            )
            self._changed_conversations = {}
        if self._escalations:
            insert_rows(connection, ESCALATION, self._escalations)
            self._escalations = []
        if self.session.new:
            self.session.flush()  # notices an escalation enqueued through the ORM
        if self._messages:
            insert_rows(connection, MESSAGE, self._messages)
            self._messages = []
        if self._events:
            insert_rows(connection, EVENT, self._events, with_id=False)
            self._events = []
