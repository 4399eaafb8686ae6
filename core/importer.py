"""Import and export of normalised messages as JSON lines (``careline import`` / ``export``).

One JSON object per line::

    {"channel": "twitter", "account": "acme", "external_id": "1245403438755852288",
     "thread": "1245403438755852288", "author": {"id": "u1", "handle": "ann", "name": "Ann",
     "followers": 120, "verified": false}, "text": "…", "created_at": "2020-04-01T17:31:32Z",
     "direction": "in", "visibility": "public", "source": "owned", "participant": null,
     "in_reply_to": null, "lang": "en"}

Import streams the file (constant memory), is idempotent (messages are unique per channel and
external id), and reports each bad line by number while importing the rest. Imported lines go
through the normal pipeline (threading, enrichment, routing) via a synthetic ``import`` channel
record, so history looks exactly like live traffic.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from careline import json_codec
from careline.channels import ParseError
from careline.clock import ensure_utc
from careline.models import Message
from careline.pipeline import run_units
from careline.pipeline_batch import Unit
from careline.types import Author, Direction, InboundMessage, Source, Visibility
from sqlmodel import col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

REQUIRED_FIELDS = ("channel", "account", "external_id", "author", "text", "created_at")


@dataclass
class ImportStats:
    """What an import did; ``errors`` holds ``(line number, message)`` of rejected lines."""

    lines: int = 0
    imported: int = 0
    duplicates: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def parse_record(record: Any) -> InboundMessage:
    """Validate one normalised record and turn it into an :class:`InboundMessage`."""
    if not isinstance(record, dict):
        raise ParseError("each line must be a JSON object")
    missing = [name for name in REQUIRED_FIELDS if record.get(name) in (None, "")]
    if missing:
        raise ParseError(f"missing field(s): {', '.join(missing)}")
    author = record["author"]
    if not isinstance(author, dict) or not author.get("id"):
        raise ParseError('"author" must be an object with an "id"')
    try:
        created = ensure_utc(
            datetime.fromisoformat(str(record["created_at"]).replace("Z", "+00:00"))
        )
    except ValueError:
        raise ParseError(f"created_at is not an ISO 8601 time: {record['created_at']!r}") from None
    try:
        direction = Direction(record.get("direction", "in"))
        visibility = Visibility(record.get("visibility", "public"))
        source = Source(record.get("source", "owned"))
    except ValueError as exc:
        raise ParseError(str(exc)) from None
    followers = author.get("followers")
    if followers is not None and (not isinstance(followers, int) or isinstance(followers, bool)):
        raise ParseError('"author.followers" must be a whole number')
    return InboundMessage(
        channel=str(record["channel"]),
        account=str(record["account"]),
        external_id=str(record["external_id"]),
        text=str(record["text"]),
        author=Author(
            external_id=str(author["id"]),
            handle=author.get("handle"),
            display_name=author.get("name"),
            followers=followers,
            verified=bool(author.get("verified", False)),
        ),
        created_at=created,
        visibility=visibility,
        direction=direction,
        source=source,
        thread_key=record.get("thread"),
        participant_id=record.get("participant"),
        in_reply_to=record.get("in_reply_to"),
        language=record.get("lang"),
    )


def _lines(stream: IO[str]) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(stream, start=1):
        if line.strip():
            yield number, line


def import_stream(
    runtime: Runtime,
    stream: IO[str],
    *,
    batch_size: int = 2000,
    progress: Callable[[int], None] | None = None,
) -> ImportStats:
    """Import JSON lines from ``stream`` in batches (one transaction per batch)."""
    stats = ImportStats()
    batch: list[tuple[int, InboundMessage]] = []
    for number, line in _lines(stream):
        stats.lines += 1
        try:
            batch.append((number, parse_record(json_codec.loads(line))))
        except (ParseError, ValueError) as exc:
            stats.errors.append((number, str(exc)))
        if len(batch) >= batch_size:
            _import_batch(runtime, batch, stats)
            if progress:
                progress(len(batch))
            batch = []
    if batch:
        _import_batch(runtime, batch, stats)
        if progress:
            progress(len(batch))
    return stats


def _import_batch(
    runtime: Runtime, batch: list[tuple[int, InboundMessage]], stats: ImportStats
) -> None:
    """One transaction for the batch; each line succeeds or fails alone."""
    units = [Unit((message,), raw_event_id=None, via="import") for _, message in batch]
    with runtime.db.session() as session:
        outcomes = run_units(runtime, session, units)
        session.expunge_all()
    for (number, _), outcome in zip(batch, outcomes, strict=True):
        if isinstance(outcome, Exception):
            stats.errors.append((number, f"{type(outcome).__name__}: {outcome}"))
        elif outcome.stored:
            stats.imported += 1
        else:
            stats.duplicates += 1


def export_records(runtime: Runtime, *, batch_size: int = 1000) -> Iterable[dict[str, Any]]:
    """Every stored message as a normalised record, in id order (streamed)."""
    from careline.models import Conversation, Identity

    last_id = 0
    while True:
        with runtime.db.session() as session:
            rows = session.exec(
                select(Message, Conversation)
                .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
                .where(col(Message.id) > last_id)
                .order_by(col(Message.id))
                .limit(batch_size)
            ).all()
            if not rows:
                return
            authors = {
                (i.channel, i.external_id): i
                for i in session.exec(
                    select(Identity).where(
                        col(Identity.external_id).in_(
                            {m.author_external_id for m, _ in rows if m.author_external_id}
                        )
                    )
                ).all()
            }
            for message, conversation in rows:
                assert message.id is not None
                last_id = message.id
                identity = authors.get((message.channel, message.author_external_id or ""))
                yield {
                    "channel": message.channel,
                    "account": message.account,
                    "external_id": message.external_id or f"careline-{message.id}",
                    "thread": conversation.thread_key
                    if conversation.visibility == Visibility.PUBLIC
                    else None,
                    "participant": conversation.participant_id,
                    "author": {
                        "id": message.author_external_id or conversation.account,
                        "handle": message.author_handle,
                        "name": identity.display_name if identity else None,
                        "followers": identity.followers if identity else None,
                        "verified": bool(identity.verified) if identity else False,
                    },
                    "text": message.text,
                    "created_at": message.created_at.isoformat().replace("+00:00", "Z"),
                    "direction": str(message.direction),
                    "visibility": str(message.visibility),
                    "source": str(conversation.source),
                    "in_reply_to": message.in_reply_to,
                    "lang": message.language,
                }
