"""Benchmark: raw events → enriched, routed, escalation-checked conversations (issue 3, 13.2).

Processing runs the real pipeline on SQLite with the built-in insights, routing and escalation
plugins; the floor is a plain batched insert of the same message rows into the same table, in
the same run.
"""

from __future__ import annotations

import json
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import cycle, islice
from pathlib import Path
from typing import Any

from careline.config import load_settings
from careline.db import Database
from careline.ingest import store_raw_events
from careline.models import Contact, Conversation, Message
from careline.pipeline import process_pending
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime
from careline.testing.channel import TestChannelPlugin
from careline.types import ConversationStatus, ConversationView, Priority, Source, Visibility
from corpus import customer_texts  # type: ignore[import-not-found]
from sqlalchemy import event

PLUGINS = "careline-insights,careline-routing,careline-escalation"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def bodies(count: int) -> list[tuple[str, bytes]]:
    """One delivery per message: 1 in 4 customers write twice in the same thread."""
    texts, _ = customer_texts()
    items = []
    for n, text in enumerate(islice(cycle(texts), count)):
        author = f"u{n // 2 if n % 4 == 0 else n}"
        item = {
            "id": f"m{n}",
            "account": "brand",
            "thread": f"t{author}",
            "text": text,
            "author": {"id": author, "handle": author, "followers": n % 5000},
            "created_at": (START + timedelta(seconds=n)).isoformat(),
            "visibility": "public",
            "lang": "en",
        }
        items.append((f"k{n}", json.dumps({"messages": [item]}).encode()))
    return items


def runtime_for(folder: Path, plugins: str) -> Runtime:
    settings = load_settings(folder, environ={"CARELINE_DATABASE_URL": f"sqlite:///{folder}/b.db"})
    pm = get_plugin_manager(
        environ={"CARELINE_LOAD_PLUGINS": plugins}, plugins=[TestChannelPlugin()]
    )
    database = Database.from_url(settings.database_url)
    database.create_schema()
    return Runtime.create(settings, pm, database)


def processing_rate(count: int, plugins: str) -> tuple[float, float]:
    """Messages/s through ``process_pending``, and SQL statements per message."""
    with tempfile.TemporaryDirectory() as folder:
        runtime = runtime_for(Path(folder), plugins)
        with runtime.db.engine.begin() as connection:
            store_raw_events(
                connection, "testchannel", bodies(count), via="webhook", received_at=START
            )
        statements = 0

        def counted(*_: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(runtime.db.engine, "before_cursor_execute", counted)
        started = time.perf_counter()
        stats = process_pending(runtime, batch_size=500)
        elapsed = time.perf_counter() - started
        assert stats.messages == count and stats.failed == 0, stats.errors[:3]
        runtime.db.dispose()
        return count / elapsed, statements / count


def plugin_ceiling(count: int, plugins: str) -> float:
    """Messages/s the plugins' own message hooks allow: enrich, route and escalate, called
    through the plugin manager on parsed messages, with no database at all."""
    with tempfile.TemporaryDirectory() as folder:
        runtime = runtime_for(Path(folder), plugins)
        channel = runtime.channel("testchannel")
        items = [item for _, body in bodies(count) for item in channel.parse(body)]
        view = ConversationView(
            id=1,
            channel="testchannel",
            account="brand",
            visibility=Visibility.PUBLIC,
            source=Source.OWNED,
            status=ConversationStatus.NEW,
            priority=Priority.NORMAL,
            created_at=START,
            contact_id=1,
        )
        hook, settings = runtime.pm.hook, runtime.settings
        started = time.perf_counter()
        for item in items:
            hook.careline_enrich_message(message=item, settings=settings)
            hook.careline_route(conversation=view, message=item, settings=settings)
            hook.careline_escalate_on_message(conversation=view, message=item, settings=settings)
        elapsed = time.perf_counter() - started
        runtime.db.dispose()
        return count / elapsed


def insert_floor(count: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        runtime = runtime_for(Path(folder), "")
        texts, _ = customer_texts()
        rows = [
            {
                "conversation_id": 1,
                "channel": "testchannel",
                "account": "brand",
                "external_id": f"m{n}",
                "direction": "in",
                "visibility": "public",
                "text": text,
                "created_at": START + timedelta(seconds=n),
                "topics": [],
                "personal_data": [],
                "attachments": [],
                "automated": False,
            }
            for n, text in enumerate(islice(cycle(texts), count))
        ]
        with runtime.db.session() as session:
            contact = Contact(name="floor", created_at=START)
            session.add(contact)
            session.flush()
            session.add(
                Conversation(
                    channel="testchannel",
                    account="brand",
                    thread_key="t",
                    visibility=Visibility.PUBLIC,
                    contact_id=contact.id,
                    created_at=START,
                    updated_at=START,
                )
            )
        started = time.perf_counter()
        table = Message.__table__  # type: ignore[attr-defined]
        for offset in range(0, count, 500):
            with runtime.db.engine.begin() as connection:
                connection.execute(table.insert(), rows[offset : offset + 500])
        elapsed = time.perf_counter() - started
        runtime.db.dispose()
        return count / elapsed


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Messages/s through the pipeline (core only, and with the built-in plugins) vs the floor."""
    count = 400 if quick else 20_000
    _, source = customer_texts()
    floor = insert_floor(count)
    core_only, core_statements = processing_rate(count, "")
    with_plugins, plugin_statements = processing_rate(count, PLUGINS)
    ceiling = plugin_ceiling(count, PLUGINS)
    note = f"{count:,} messages, {source}, SQLite, batches of 500"
    return [
        {
            "benchmark": "pipeline floor: batched insert of the same rows",
            "value": floor,
            "unit": "messages/s",
            "target": "",
            "note": note,
        },
        {
            "benchmark": "pipeline, core only",
            "value": core_only,
            "unit": "messages/s",
            "target": "",
            "note": f"{core_only / floor:.2f} of the floor, {core_statements:.2f} SQL/message",
        },
        {
            "benchmark": "pipeline with insights, routing, escalation",
            "value": with_plugins,
            "unit": "messages/s",
            "target": "≥ 5,000 messages/s",
            "note": f"{with_plugins / floor:.2f} of the floor, {plugin_statements:.2f} SQL/message",
        },
        {
            "benchmark": "ceiling: the plugins' message hooks alone (no database)",
            "value": ceiling,
            "unit": "messages/s",
            "target": "",
            "note": f"{1e3 / ceiling:.3f} ms/message in enrich + route + escalate hooks",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(row)
