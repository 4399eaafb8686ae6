"""Workers as real processes: killed mid-batch they lose nothing; on PostgreSQL they share work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from careline.db import Database
from careline.ingest import store_raw_events
from careline.models import Conversation, Message, RawEvent
from careline.testing.channel import delivery, message
from sqlmodel import func, select

WORKER_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from careline import hookimpl
    from careline.config import load_settings
    from careline.plugins import get_plugin_manager
    from careline.runtime import Runtime
    from careline.testing.channel import TestChannelPlugin
    from careline.worker import Worker

    class Slow:
        @hookimpl
        def careline_enrich_message(self, message):
            time.sleep(float(sys.argv[2]))

    settings = load_settings(sys.argv[1], environ={"CARELINE_DATABASE_URL": sys.argv[3]})
    settings.data["pipeline"] = {"batch_size": 5}
    settings._state.clear()
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": ""}, plugins=[TestChannelPlugin(), Slow()])
    runtime = Runtime.create(settings, pm)
    worker = Worker(runtime, poll=False)
    if sys.argv[4] == "once":
        while worker.run_once(force=True)["processed"]:
            pass
    else:
        worker.run()
    """
)
MESSAGES = 60


def seed(url: str) -> None:
    database = Database.from_url(url)
    database.create_schema()
    bodies = [
        delivery(message(f"m{n}", author=f"u{n % 7}", thread=f"t{n % 11}")) for n in range(MESSAGES)
    ]
    with database.engine.begin() as connection:
        from datetime import UTC, datetime

        store_raw_events(
            connection,
            "testchannel",
            [(f"k{n}", b) for n, b in enumerate(bodies)],
            via="webhook",
            received_at=datetime.now(UTC),
        )
    database.dispose()


def start_worker(
    script: Path, home: Path, url: str, delay: float, mode: str
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(script), str(home), str(delay), url, mode],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )


def stored(url: str) -> tuple[int, int, int, int]:
    database = Database.from_url(url)
    with database.read_session() as session:
        messages = session.exec(select(func.count()).select_from(Message)).one()
        distinct = session.exec(select(func.count(func.distinct(Message.external_id)))).one()
        pending = session.exec(
            select(func.count()).select_from(RawEvent).where(RawEvent.status != "done")
        ).one()
        conversations = session.exec(select(func.count()).select_from(Conversation)).one()
    database.dispose()
    return int(messages), int(distinct), int(pending), int(conversations)


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "worker.py"
    path.write_text(WORKER_SCRIPT)
    return path


def test_worker_killed_mid_batch_loses_nothing(
    careline_home: Path, careline_database_url: str, script: Path
) -> None:
    seed(careline_database_url)
    worker = start_worker(script, careline_home, careline_database_url, 0.05, "loop")
    deadline = time.monotonic() + 60
    while stored(careline_database_url)[0] < 10 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    messages, _, pending, _ = stored(careline_database_url)
    assert 0 < messages < MESSAGES, "the worker should have been killed mid-way"
    assert pending > 0
    restarted = start_worker(script, careline_home, careline_database_url, 0.0, "once")
    assert restarted.wait(timeout=120) == 0, restarted.stderr.read() if restarted.stderr else ""
    messages, distinct, pending, conversations = stored(careline_database_url)
    assert (messages, distinct, pending) == (MESSAGES, MESSAGES, 0)
    assert conversations == 11


def test_two_workers_on_postgresql_share_the_work_exactly_once(
    careline_home: Path, careline_database_url: str, script: Path
) -> None:
    if not careline_database_url.startswith("postgresql"):
        pytest.skip("several workers need PostgreSQL; SQLite runs one worker")
    seed(careline_database_url)
    workers = [
        start_worker(script, careline_home, careline_database_url, 0.01, "once") for _ in range(2)
    ]
    for worker in workers:
        assert worker.wait(timeout=120) == 0, worker.stderr.read() if worker.stderr else ""
    messages, distinct, pending, conversations = stored(careline_database_url)
    assert (messages, distinct, pending, conversations) == (MESSAGES, MESSAGES, 0, 11)
