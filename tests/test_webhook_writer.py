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
