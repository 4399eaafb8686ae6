"""Benchmark: raw events → enriched, routed, escalation-checked conversations (issue 3, 13.2).

Processing runs the real pipeline on SQLite with the built-in insights, routing and escalation
plugins; the floor is a plain batched insert of the same message rows into the same table, in
the same run.

On PostgreSQL (a throw-away server from ``.ci/postgres.sh``) the same raw events are stored once,
in a template database; each measurement processes a fresh copy of it with one worker process,
then with two running ``process_pending`` concurrently (separate processes, started with
``spawn``, each with its own runtime). Every run is checked afterwards — each message stored
exactly once, one conversation per thread, every raw event done — and a wrong result is shown
as such instead of a speed.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import cycle, islice
from pathlib import Path
from typing import Any

import postgres  # type: ignore[import-not-found]
import sqlalchemy as sa
from careline import hookimpl
from careline.channels import Channel
from careline.config import load_settings
from careline.db import Database
from careline.ingest import store_raw_events
from careline.models import Contact, Conversation, Message
from careline.pipeline import process_pending
from careline.pipeline_batch import enrich
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime
from careline.testing.channel import TestChannel
from careline.types import ConversationStatus, ConversationView, Priority, Source, Visibility
from corpus import customer_texts  # type: ignore[import-not-found]
from sqlalchemy import event

PLUGINS = "careline-insights,careline-routing,careline-escalation"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def bodies(count: int, *, language: bool = True) -> list[tuple[str, bytes]]:
    """One delivery per message: 1 in 4 customers write twice in the same thread. Without
    ``language`` the messages carry none (as on Facebook and Instagram): insights detects it."""
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
        }
        if language:
            item["lang"] = "en"
        items.append((f"k{n}", json.dumps({"messages": [item]}).encode()))
    return items


class BenchChannel:
    """Registers the test channel's own class. A real channel plugin's class is defined in a
    module, so enrichment processes can build it and parse ahead; :class:`TestChannelPlugin`
    makes a class at run time (bound to an in-memory platform, for tests that send), which
    keeps parsing in the pipeline's process."""

    @hookimpl
    def careline_register_channels(self) -> list[type[Channel]]:
        """The test channel."""
        return [TestChannel]


def runtime_for(
    folder: Path, plugins: str, url: str | None = None, *, enrich_processes: int = 0
) -> Runtime:
    """A runtime on a new SQLite file in ``folder``, or on the existing database at ``url``;
    with ``enrich_processes``, that many enrichment processes, started before it returns."""
    database_url = url or f"sqlite:///{folder}/b.db"
    (folder / "careline.toml").write_text(f"[pipeline]\nenrich_processes = {enrich_processes}\n")
    settings = load_settings(folder, environ={"CARELINE_DATABASE_URL": database_url})
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": plugins}, plugins=[BenchChannel()])
    database = Database.from_url(settings.database_url)
    if url is None:
        database.create_schema()
    runtime = Runtime.create(settings, pm, database)
    pool = runtime.enrichment_pool()
    if pool is not None:
        pool.warm_up()  # started once per process in real use; not part of the rate
    return runtime


def processing_rate(
    count: int, plugins: str, enrich_processes: int = 0, *, language: bool = True
) -> tuple[float, float, float]:
    """Messages/s through ``process_pending``, messages per CPU-second of this process (what a
    busy, shared machine disturbs least; enrichment processes not counted), and SQL statements
    per message."""
    with tempfile.TemporaryDirectory() as folder:
        runtime = runtime_for(Path(folder), plugins, enrich_processes=enrich_processes)
        with runtime.db.engine.begin() as connection:
            store_raw_events(
                connection,
                "testchannel",
                bodies(count, language=language),
                via="webhook",
                received_at=START,
            )
        statements = 0

        def counted(*_: Any) -> None:
            nonlocal statements
            statements += 1

        event.listen(runtime.db.engine, "before_cursor_execute", counted)
        started, cpu = time.perf_counter(), time.process_time()
        stats = process_pending(runtime, batch_size=500)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert stats.messages == count and stats.failed == 0, stats.errors[:3]
        runtime.close()
        return count / elapsed, count / cpu, statements / count


def plugin_ceiling(count: int, plugins: str) -> tuple[float, dict[str, float]]:
    """Messages per CPU-second the plugins' own message hooks allow — enrich, route and
    escalate, called through the plugin manager on parsed messages, with no database at all —
    and the CPU microseconds per message of each hook (and of VADER, inside enrichment)."""
    from careline_insights.sentiment import score_sentiment

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
        enriched = {id(item): enrich(runtime, item) for item in items}
        steps = {
            "enrich": lambda item: hook.careline_enrich_message(message=item, settings=settings),
            "VADER": lambda item: score_sentiment(item.text),
            "route": lambda item: hook.careline_route(
                conversation=view, message=item, settings=settings
            ),
            "escalate": lambda item: hook.careline_escalate_on_message(
                conversation=view, message=item, settings=settings, enrichment=enriched[id(item)]
            ),
        }
        split = {}
        for name, step in steps.items():
            cpu = time.process_time()
            for item in items:
                step(item)
            split[name] = (time.process_time() - cpu) / count * 1e6
        runtime.db.dispose()
        hooks = split["enrich"] + split["route"] + split["escalate"]  # VADER is inside enrich
        return 1e6 / hooks, split


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


# --- PostgreSQL: one worker process against two ------------------------------------------------
def _pg_worker(url: str, plugins: str, start: Any, results: Any) -> None:
    """One worker process: build a runtime, wait for the others, process until nothing is left.

    Puts ``(started, finished, cpu seconds, stats or None, error)`` on ``results``; times are
    ``time.monotonic()``, which every process on the machine shares.
    """
    try:
        with tempfile.TemporaryDirectory() as folder:
            runtime = runtime_for(Path(folder), plugins, url)
            runtime.db.engine.connect().close()  # connected before the clock starts
            start.wait()
            started, cpu = time.monotonic(), time.process_time()
            stats = process_pending(runtime, batch_size=500)
            finished = time.monotonic()
            runtime.db.dispose()
        results.put((started, finished, time.process_time() - cpu, stats, None))
    except BaseException as exc:  # reported by the parent, never lost in a child
        results.put((0.0, 0.0, 0.0, None, f"{type(exc).__name__}: {exc}"))


def _run_workers(url: str, workers: int, plugins: str) -> dict[str, Any]:
    """Messages/s of ``workers`` processes sharing the pending raw events of ``url``."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(workers)
    results = context.Queue()
    processes = [
        context.Process(target=_pg_worker, args=(url, plugins, start, results))
        for _ in range(workers)
    ]
    for process in processes:
        process.start()
    outcomes = []
    errors = []
    for _ in processes:
        try:
            outcomes.append(results.get(timeout=1800))
        except Exception as exc:  # a child that died without a word
            errors.append(f"no result from a worker ({type(exc).__name__})")
            break
    for process in processes:
        process.join(timeout=60)
        if process.is_alive():
            process.kill()
            errors.append("a worker did not exit")
        elif process.exitcode:
            errors.append(f"a worker exited with {process.exitcode}")
    errors.extend(error for *_, error in outcomes if error)
    done = [outcome for outcome in outcomes if outcome[3] is not None]
    elapsed = max(o[1] for o in done) - min(o[0] for o in done) if done else 0.0
    return {
        "elapsed": elapsed,
        "cpu": [o[2] for o in done],
        "messages": [o[3].messages for o in done],
        "duplicates": sum(o[3].duplicates for o in done),
        "failed": sum(o[3].failed for o in done),
        "errors": errors,
    }


def _pg_check(url: str, count: int, threads: int) -> list[str]:
    """What is wrong with the database after a run: nothing, when every message is stored
    exactly once, every thread has one conversation and every raw event is done."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        messages, distinct = connection.execute(
            sa.text("SELECT count(*), count(DISTINCT (channel, external_id)) FROM message")
        ).one()
        conversations = connection.execute(sa.text("SELECT count(*) FROM conversation")).scalar()
        statuses = dict(
            connection.execute(sa.text("SELECT status, count(*) FROM rawevent GROUP BY status"))
            .tuples()
            .all()
        )
    engine.dispose()
    wrong = []
    if messages != count or distinct != count:
        wrong.append(f"{messages:,} messages ({distinct:,} distinct) for {count:,}")
    if conversations != threads:
        wrong.append(f"{conversations:,} conversations for {threads:,} threads")
    if statuses != {"done": count}:
        wrong.append(f"raw events by status {statuses}")
    return wrong


def pg_processing(count: int, rounds: int, plugins: str) -> list[dict[str, Any]] | str:
    """Per round, a run with one worker process and one with two, each on a fresh copy of the
    same stored raw events; or why PostgreSQL could not be used."""
    items = bodies(count)
    threads = len({json.loads(body)["messages"][0]["thread"] for _, body in items})
    with tempfile.TemporaryDirectory() as folder, postgres.server(Path(folder) / "pg") as server:
        if server is None:
            return f"PostgreSQL could not be started ({postgres.last_error})"
        template = postgres.fresh_database(server, "pipeline_events")
        database = Database.from_url(template)
        database.create_schema()
        with database.engine.begin() as connection:
            store_raw_events(connection, "testchannel", items, via="webhook", received_at=START)
        database.dispose()
        runs = []
        for _ in range(rounds):
            for workers in (1, 2):
                url = postgres.fresh_database(server, "pipeline_run", template="pipeline_events")
                run = _run_workers(url, workers, plugins)
                run["workers"] = workers
                run["wrong"] = run.pop("errors")
                if run["duplicates"] or run["failed"]:
                    run["wrong"].append(
                        f"workers counted {run['duplicates']} duplicates, "
                        f"{run['failed']} unprocessable"
                    )
                run["wrong"].extend(_pg_check(url, count, threads))
                run["rate"] = count / run["elapsed"] if run["elapsed"] else 0.0
                runs.append(run)
        return runs


def pg_rows(count: int, rounds: int, plugins: str) -> list[dict[str, Any]]:
    """The rows for one and two worker processes on PostgreSQL and the speed-up."""
    runs = pg_processing(count, rounds, plugins)
    if isinstance(runs, str):
        return [
            {
                "benchmark": "pipeline on PostgreSQL, 1 and 2 worker processes",
                "value": "skipped",
                "unit": "",
                "target": "",
                "note": runs,
            }
        ]
    rows = []
    best: dict[int, float] = {}
    wrong = False
    for workers in (1, 2):
        mine = [run for run in runs if run["workers"] == workers]
        problems = [problem for run in mine for problem in run["wrong"]]
        rates = ", ".join(f"{run['rate']:,.0f}" for run in mine)
        cpu = "; ".join(
            "+".join(f"{seconds:.1f}" for seconds in run["cpu"]) + f" of {run['elapsed']:.1f}"
            for run in mine
        )
        shares = "; ".join("+".join(f"{n:,}" for n in run["messages"]) for run in mine)
        note = (
            f"{count:,} messages, insights, routing, escalation, batches of 500; best of "
            f"{rates}; worker CPU s of wall s: {cpu}; messages per worker: {shares}"
        )
        if problems:
            wrong = True
            note = "WRONG RESULT: " + "; ".join(problems) + f" ({note})"
        else:
            best[workers] = max(run["rate"] for run in mine)
            note += f"; checked: {count:,} messages stored once, raw events all done"
        rows.append(
            {
                "benchmark": f"pipeline on PostgreSQL, {workers} worker process"
                + ("es" if workers > 1 else ""),
                "value": "wrong" if problems else best[workers],
                "unit": "" if problems else "messages/s",
                "target": "",
                "note": note,
            }
        )
    ratios = [
        two["rate"] / one["rate"]
        for one, two in zip(runs[::2], runs[1::2], strict=True)
        if one["rate"] and two["rate"]
    ]
    rows.append(
        {
            "benchmark": "pipeline on PostgreSQL: speed-up of 2 worker processes over 1",
            "value": "wrong" if wrong or len(best) < 2 else best[2] / best[1],
            "unit": "" if wrong else "×",
            "target": "",
            "note": "best 2-worker rate over best 1-worker rate; per round (side by side): "
            + ", ".join(f"{r:.2f}×" for r in ratios)
            + f"; {os.cpu_count()} cores shared by the workers and PostgreSQL itself",
        }
    )
    return rows


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Messages/s through the pipeline (core only, and with the built-in plugins) vs the floor."""
    count = 400 if quick else 20_000
    _, source = customer_texts()
    floor = insert_floor(count)
    core_only, core_cpu, core_statements = processing_rate(count, "")
    with_plugins, plugins_cpu, plugin_statements = processing_rate(count, PLUGINS)
    pooled, pooled_cpu, _ = processing_rate(count, PLUGINS, enrich_processes=1)
    undetected, undetected_cpu, _ = processing_rate(count, PLUGINS, language=False)
    detected_pooled, detected_pooled_cpu, _ = processing_rate(
        count, PLUGINS, enrich_processes=1, language=False
    )
    ceiling, split = plugin_ceiling(count, PLUGINS)
    note = f"{count:,} messages, {source}, SQLite, batches of 500"
    rows = [
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
            "note": f"{core_only / floor:.2f} of the floor, {core_cpu:,.0f} per CPU-second, "
            f"{core_statements:.2f} SQL/message",
        },
        {
            "benchmark": "pipeline with insights, routing, escalation",
            "value": with_plugins,
            "unit": "messages/s",
            "target": "≥ 5,000 messages/s",
            "note": f"{with_plugins / floor:.2f} of the floor, {plugins_cpu:,.0f} per CPU-second, "
            f"{plugin_statements:.2f} SQL/message",
        },
        {
            "benchmark": "pipeline with insights, routing, escalation, 1 enrichment process",
            "value": pooled,
            "unit": "messages/s",
            "target": "≥ 5,000 messages/s",
            "note": f"[pipeline] enrich_processes = 1; {pooled / with_plugins:.2f}× in process; "
            f"{pooled_cpu:,.0f} per CPU-second of the pipeline's own process; "
            f"{os.cpu_count()} cores",
        },
        {
            "benchmark": "pipeline with the plugins, messages without a language",
            "value": undetected,
            "unit": "messages/s",
            "target": "",
            "note": f"as on Facebook and Instagram: insights detects the language; "
            f"{undetected_cpu:,.0f} per CPU-second",
        },
        {
            "benchmark": "pipeline with the plugins, messages without a language, "
            "1 enrichment process",
            "value": detected_pooled,
            "unit": "messages/s",
            "target": "",
            "note": f"{detected_pooled / undetected:.2f}× in process; "
            f"{detected_pooled_cpu:,.0f} per CPU-second of the pipeline's own process",
        },
        {
            "benchmark": "ceiling: the plugins' message hooks alone (no database)",
            "value": ceiling,
            "unit": "messages per CPU-second",
            "target": "",
            "note": f"{1e3 / ceiling:.3f} CPU ms/message in the hooks: "
            + ", ".join(f"{name} {micros:.0f}" for name, micros in split.items())
            + " (VADER is part of enrich)",
        },
    ]
    rows.extend(pg_rows(count, 1 if quick else 2, PLUGINS))
    return rows


if __name__ == "__main__":
    for row in run():
        print(row)
