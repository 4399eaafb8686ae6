"""The webhook path's group-commit writer: one transaction per batch, an honest answer each."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from careline.models import RawEvent
from careline.web.webhooks import RawEventWriter
from sqlmodel import select


def stored_keys(runtime) -> list[tuple[str, str, bytes]]:
    with runtime.db.session() as session:
        rows = session.exec(select(RawEvent).order_by(RawEvent.id)).all()
        return [(row.channel, row.key, row.body) for row in rows]


def test_a_batch_is_stored_at_once_and_repeats_are_duplicates(careline_runtime) -> None:
    runtime = careline_runtime()
    writer = RawEventWriter(runtime)

    async def deliver() -> tuple[bool, list[bool]]:
        first = await writer.store("testchannel", "k0", b"zero")
        # Queued together, so drained as one batch: a repeat inside the batch, a repeat of an
        # earlier batch and the same key on another channel.
        answers = await asyncio.gather(
            writer.store("testchannel", "k1", b"one"),
            writer.store("testchannel", "k2", b"two"),
            writer.store("testchannel", "k1", b"one again"),
            writer.store("testchannel", "k0", b"zero again"),
            writer.store("otherchannel", "k1", b"other"),
        )
        await writer.close()
        return first, answers

    first, answers = asyncio.run(deliver())
    assert first is True
    assert answers == [True, True, False, False, True]
    assert stored_keys(runtime) == [
        ("testchannel", "k0", b"zero"),
        ("testchannel", "k1", b"one"),
        ("testchannel", "k2", b"two"),
        ("otherchannel", "k1", b"other"),
    ]


def test_a_failed_commit_reaches_every_waiting_request(careline_runtime) -> None:
    runtime = careline_runtime()
    writer = RawEventWriter(runtime)

    async def deliver() -> list[BaseException | bool]:
        answers = await asyncio.gather(
            writer.store("testchannel", "k1", b"one"),
            writer.store("testchannel", "k2", None),  # type: ignore[arg-type]  # NOT NULL
            return_exceptions=True,
        )
        await writer.close()
        return answers

    answers = asyncio.run(deliver())
    assert len(answers) == 2
    for answer in answers:
        assert isinstance(answer, sa.exc.IntegrityError)
    assert stored_keys(runtime) == []  # the whole batch rolled back, and nobody was told 200


@pytest.mark.parametrize("count", [1, 300])
def test_more_deliveries_than_one_batch_holds_are_all_stored(careline_runtime, count: int) -> None:
    runtime = careline_runtime()
    writer = RawEventWriter(runtime)

    async def deliver() -> list[bool]:
        answers = await asyncio.gather(
            *(writer.store("testchannel", f"k{n}", b"x") for n in range(count))
        )
        await writer.close()
        return answers

    assert asyncio.run(deliver()) == [True] * count
    assert len(stored_keys(runtime)) == count


def test_a_held_sqlite_write_lock_does_not_stall_the_app(careline_runtime) -> None:
    """The worker may hold SQLite's write lock for a whole batch: meanwhile the app keeps
    answering, and the delivery waiting for the lock is stored and acknowledged after it."""
    import threading
    import time

    import httpx
    from careline.servers import serve_in_thread
    from careline.testing.channel import delivery, message, sign
    from careline.web.app import create_app

    runtime = careline_runtime()
    if not runtime.db.is_sqlite:
        pytest.skip("PostgreSQL writers do not queue on one lock")
    app = create_app(runtime.settings, runtime.pm, runtime=runtime, run_worker=False)
    body = delivery(message("m1"))
    answers: list[int] = []
    with serve_in_thread(app) as base, runtime.db.engine.connect() as holder:
        holder.begin()  # BEGIN IMMEDIATE: the write lock, as a worker's batch holds it
        poster = threading.Thread(
            target=lambda: answers.append(
                httpx.post(
                    f"{base}/webhooks/testchannel", content=body, headers=sign(body), timeout=60
                ).status_code
            )
        )
        poster.start()
        for _ in range(25):  # while the delivery reaches the writer and waits for the lock
            assert httpx.get(f"{base}/api/health", timeout=10).status_code == 200
            time.sleep(0.02)
        assert poster.is_alive() and answers == []  # acknowledged only once stored
        holder.rollback()
        poster.join(timeout=60)
    assert answers == [200]
    assert len(stored_keys(runtime)) == 1
