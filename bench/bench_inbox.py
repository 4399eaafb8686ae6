"""Benchmark: the inbox API's latency with 100,000 conversations (issue 4, 13.5).

Conversations and messages are bulk-inserted into SQLite (fixed seed), then the conversation
list (default page, a queue filter, a page deep in the cursor) and conversation details are
requested over real loopback HTTP; p50 and p95 are reported.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from careline.config import load_settings
from careline.db import Database
from careline.models import Contact, Conversation, Message
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime
from careline.services import agents
from careline.testing.servers import serve_in_thread
from careline.web.app import create_app
from corpus import customer_texts  # type: ignore[import-not-found]

START = datetime(2026, 1, 1, tzinfo=UTC)
QUEUES = ["general", "billing", "tech", "listening", "vip"]
STATUSES = ["new", "open", "pending", "resolved", "resolved", "resolved"]


def seed(database: Database, conversations: int) -> None:
    """Bulk-insert contacts, conversations (two messages each) with a fixed seed."""
    rng = random.Random(42)
    texts, _ = customer_texts()
    contact_table = Contact.__table__  # type: ignore[attr-defined]
    conversation_table = Conversation.__table__  # type: ignore[attr-defined]
    message_table = Message.__table__  # type: ignore[attr-defined]
    with database.engine.begin() as connection:
        connection.execute(
            contact_table.insert(),
            [
                {"id": n + 1, "name": f"customer {n}", "attributes": {}, "created_at": START}
                for n in range(conversations // 2)
            ],
        )
        for offset in range(0, conversations, 5000):
            batch = range(offset, min(offset + 5000, conversations))
            rows, messages = [], []
            for n in batch:
                created = START + timedelta(seconds=n * 20)
                rows.append(
                    {
                        "id": n + 1,
                        "channel": rng.choice(["twitter", "facebook", "instagram"]),
                        "account": "brand",
                        "thread_key": f"t{n}",
                        "visibility": "public",
                        "source": "owned",
                        "status": rng.choice(STATUSES),
                        "priority": "normal",
                        "queue": rng.choice(QUEUES),
                        "contact_id": n // 2 + 1,
                        "tags": [],
                        "sla_warned": [],
                        "created_at": created,
                        "updated_at": created,
                        "first_response_due": created + timedelta(hours=1),
                        "suggest_private": False,
                    }
                )
                for k in range(2):
                    messages.append(
                        {
                            "conversation_id": n + 1,
                            "channel": "twitter",
                            "account": "brand",
                            "external_id": f"m{n}-{k}",
                            "direction": "in" if k == 0 else "out",
                            "visibility": "public",
                            "text": texts[(n + k) % len(texts)],
                            "created_at": created + timedelta(minutes=k * 30),
                            "topics": [],
                            "personal_data": [],
                            "attachments": [],
                            "automated": False,
                        }
                    )
            connection.execute(conversation_table.insert(), rows)
            connection.execute(message_table.insert(), messages)


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.95) - 1]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """p50/p95 of the conversation list and detail endpoints."""
    count, requests = (2_000, 40) if quick else (100_000, 200)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/inbox.db"
        settings = load_settings(Path(folder), environ={"CARELINE_DATABASE_URL": url})
        (Path(folder) / "secret_key").write_text("bench-secret")
        database = Database.from_url(url)
        database.create_schema()
        started = time.perf_counter()
        seed(database, count)
        seeded = time.perf_counter() - started
        runtime = Runtime.create(
            settings, get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": ""}), database
        )
        agent = agents.add_agent(runtime, "Bench Agent")
        _, token = agents.create_token(runtime, agent.id or 0)
        app = create_app(settings, runtime.pm, runtime=runtime)
        rng = random.Random(7)
        timings: dict[str, list[float]] = {
            "list": [],
            "list, one queue": [],
            "list, page 20": [],
            "detail": [],
        }
        with (
            serve_in_thread(app) as base,
            httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}) as client,
        ):
            deep_cursor = count - 20 * 50
            paths = {
                "list": lambda: "/api/conversations",
                "list, one queue": lambda: (
                    f"/api/conversations?queue={rng.choice(QUEUES)}&status=new,open"
                ),
                "list, page 20": lambda: f"/api/conversations?cursor={deep_cursor}",
                "detail": lambda: f"/api/conversations/{rng.randint(1, count)}",
            }
            for name, path in paths.items():
                client.get(path())  # warm up
                for _ in range(requests):
                    began = time.perf_counter()
                    response = client.get(path())
                    timings[name].append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200, response.text
        database.dispose()
    rows = []
    for name, samples in timings.items():
        p50, p95 = percentiles(samples)
        rows.append(
            {
                "benchmark": f"inbox API p95, {name}",
                "value": p95,
                "unit": "ms",
                "target": "",
                "note": f"p50 {p50:.1f} ms; {count:,} conversations "
                f"(seeded in {seeded:.0f} s), SQLite, {requests} requests",
            }
        )
    return rows


if __name__ == "__main__":
    import sys

    for row in run(quick="--quick" in sys.argv):
        print(row)
