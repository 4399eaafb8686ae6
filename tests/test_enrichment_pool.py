"""Enrichment in other processes (``[pipeline] enrich_processes``) stores exactly what
enrichment in the pipeline's own process stores, and loses nothing when a process fails."""

from __future__ import annotations

import copy
import logging
import multiprocessing
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from careline import pipeline
from careline.channels import ParseError
from careline.enrichment_pool import GIVE_UP_AFTER, EnrichmentPool, EnrichmentsAhead
from careline.models import Conversation, Escalation, Message, RawEvent
from careline.pipeline import process_pending, replay
from careline.pipeline_batch import enrich
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver, deliver_and_process
from careline.types import (
    Author,
    Direction,
    Enrichment,
    InboundMessage,
    PersonalDataMatch,
    Source,
    Visibility,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.exc import OperationalError
from sqlmodel import select

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ONE_PROCESS = {"pipeline": {"enrich_processes": 1}}

# Plugins a pool process must be able to import: written to a module on sys.path, which the
# spawned processes inherit.
ENRICHERS = '''
import multiprocessing
import os

from careline import hookimpl
from careline.testing.channel import TestChannel
from careline.types import Enrichment


class Marker:
    """Tags every message; says its language only for texts with "bonjour"."""

    @hookimpl
    def careline_enrich_message(self, message):
        language = "fr" if "bonjour" in message.text else None
        return Enrichment(language=language, tags=("marked",), attributes={"length": len(message.text)})


class Failing:
    @hookimpl
    def careline_enrich_message(self, message):
        if "boom" in message.text:
            raise ValueError(f"cannot enrich {message.external_id}")


class Dying:
    """Kills the process it runs in, but only a pool process (as a crashing extension would)."""

    @hookimpl
    def careline_enrich_message(self, message):
        if "die" in message.text and multiprocessing.parent_process() is not None:
            os._exit(3)


class Hanging:
    """Never answers for texts with "hang", but only in a pool process (as a hook stuck on a
    lock or a network call would)."""

    @hookimpl
    def careline_enrich_message(self, message):
        if "hang" in message.text and multiprocessing.parent_process() is not None:
            import time

            time.sleep(3600)


class OddAnswer:
    """An answer that cannot travel back for texts with "odd"; an error that pickles but does
    not unpickle for texts with "strange"."""

    @hookimpl
    def careline_enrich_message(self, message):
        if "odd" in message.text:
            return Enrichment(tags=("odd",), attributes={"items": (n for n in range(3))})
        if "strange" in message.text:
            raise TwoArgumentError("strange", message.external_id)


class TwoArgumentError(Exception):
    def __init__(self, what, where):
        super().__init__(f"{what} at {where}")


def _rebuild_unloadable(where):
    if (multiprocessing.parent_process() is not None) == (where == "pool"):
        raise RuntimeError(f"cannot be rebuilt in the {where}'s process")
    return Unloadable(where)


class Unloadable:
    """A channel's value in a message that pickles, and does not unpickle in ``where``: an
    enrichment process ("pool") or the pipeline's process ("pipeline")."""

    def __init__(self, where):
        self.where = where

    def __reduce__(self):
        return (_rebuild_unloadable, (self.where,))

    def __eq__(self, other):
        return isinstance(other, Unloadable) and other.where == self.where


class PoolChannel(TestChannel):
    """The test channel under a module-level class: enrichment processes can parse for it."""

    name = "poolchannel"


class OddChannel(TestChannel):
    """Puts a value that does not unpickle in the pipeline's process in messages whose text
    says "odd"."""

    name = "oddchannel"

    def parse(self, body):
        import dataclasses

        return [
            dataclasses.replace(item, raw={"value": Unloadable("pipeline")}) if "odd" in item.text else item
            for item in super().parse(body)
        ]


class PoolChannels:
    @hookimpl
    def careline_register_channels(self):
        return [PoolChannel, OddChannel]


class Unpicklable:
    def __init__(self):
        self.callback = lambda text: text

    @hookimpl
    def careline_enrich_message(self, message):
        return None
'''

TEXTS = [
    "my order never arrived and nobody answers, this is ridiculous!!! 😡",
    "Thanks so much for the quick help, you guys are great :)",
    "bonjour, ma commande est en retard",
    "call me on +1 415 555 0134 or write to jane.doe@example.com about the refund",
    "I was charged twice for my subscription, I want my money back",
    "the app keeps crashing when I log in",
    "",
    "👍",
    "WORST. SERVICE. EVER.",
    "not bad, not good either",
    "If this isn't fixed by Friday my lawyer will be in touch",
    "I want to speak to your manager, now",
]


@pytest.fixture
def enrichers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    folder = tmp_path / "enrichers_on_path"
    folder.mkdir()
    (folder / "pool_test_enrichers.py").write_text(textwrap.dedent(ENRICHERS))
    monkeypatch.syspath_prepend(str(folder))
    import pool_test_enrichers

    yield pool_test_enrichers
    sys.modules.pop("pool_test_enrichers", None)


def _item(n: int, text: str) -> InboundMessage:
    return InboundMessage(
        channel="testchannel",
        account="brand",
        external_id=f"m{n}",
        thread_key=f"t{n}",
        direction=Direction.INBOUND,
        visibility=Visibility.PUBLIC,
        source=Source.OWNED,
        author=Author(external_id=f"u{n}", handle=f"@u{n}"),
        text=text,
        created_at=T0 + timedelta(seconds=n),
    )


MESSAGES = st.builds(
    InboundMessage,
    author=st.builds(Author, followers=st.none() | st.integers(min_value=0)),
    created_at=st.datetimes(timezones=st.just(UTC)),
    attachments=st.lists(st.text(max_size=20), max_size=3).map(tuple),
    raw=st.dictionaries(st.text(max_size=10), st.integers() | st.text(max_size=10), max_size=3),
)
ENRICHMENTS = st.builds(
    Enrichment,
    topics=st.lists(st.text(max_size=10), max_size=3).map(tuple),
    topic_scores=st.dictionaries(st.text(max_size=10), st.floats(allow_nan=False), max_size=3),
    personal_data=st.lists(st.builds(PersonalDataMatch), max_size=3).map(tuple),
    tags=st.lists(st.text(max_size=10), max_size=3).map(tuple),
    attributes=st.dictionaries(st.text(max_size=10), st.integers(), max_size=3),
)


@dataclass(frozen=True, slots=True)
class ScoredEnrichment(Enrichment):
    """A plugin's own kind of enrichment, with a field of its own."""

    score: float = 0.0


def test_a_subclass_travels_with_its_own_fields() -> None:
    answer = ScoredEnrichment(sentiment=0.5, topics=("refund",), score=0.25)
    for arrived in (pickle.loads(pickle.dumps(answer)), copy.deepcopy(answer)):
        assert type(arrived) is ScoredEnrichment and arrived == answer


@given(st.lists(MESSAGES | ENRICHMENTS, max_size=5))
def test_messages_and_enrichments_arrive_in_another_process_as_they_left(values) -> None:
    """What travels to and from the enrichment processes is pickled field by field."""
    arrived = pickle.loads(pickle.dumps(values))
    assert arrived == values
    assert [type(value) for value in arrived] == [type(value) for value in values]


def test_the_pool_answers_what_enriching_in_process_answers(careline_runtime, enrichers) -> None:
    runtime = careline_runtime("careline-insights", enrichers.Marker(), config=ONE_PROCESS)
    pool = runtime.enrichment_pool()
    assert pool is not None

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(st.one_of(st.sampled_from(TEXTS), st.text(max_size=200)), max_size=60))
    def answers_alike(texts: list[str]) -> None:
        items = [_item(n, text) for n, text in enumerate(texts)]
        ahead = pool.ahead(items)
        assert [ahead.take(item) for item in items] == [enrich(runtime, item) for item in items]
        assert not ahead.broken

    answers_alike()


def _stored(runtime: Any, prefix: str) -> list[tuple[Any, ...]]:
    with runtime.db.session() as session:
        rows = session.exec(
            select(Message, Conversation)
            .join(Conversation, Conversation.id == Message.conversation_id)  # type: ignore[arg-type]
            .where(Message.external_id.startswith(prefix))  # type: ignore[union-attr]
            .order_by(Message.id)  # type: ignore[arg-type]
        ).all()
        return [
            (
                m.text,
                m.language,
                m.sentiment,
                m.topics,
                m.personal_data,
                c.topic,
                c.topic_score,
                c.sentiment,
                c.tags,
                c.language,
                c.queue,
                c.priority,
                sorted(
                    (e.trigger, e.target)
                    for e in session.exec(
                        select(Escalation).where(Escalation.conversation_id == c.id)
                    )
                ),
            )
            for m, c in rows
        ]


def _one_each(texts: list[str], prefix: str = "m") -> list[bytes]:
    """A delivery per text, each from its own customer in its own thread (``{prefix}{n}``)."""
    return [
        delivery(message(f"{prefix}{n}", author=f"{prefix}u{n}", thread=f"{prefix}t{n}", text=t))
        for n, t in enumerate(texts)
    ]


def _deliveries(prefix: str) -> list[bytes]:
    """Each text once in its own thread, then a second message in the first thread."""
    second = message(f"{prefix}x", author=f"{prefix}u0", thread=f"{prefix}t0", text=TEXTS[4])
    return [*_one_each(TEXTS, prefix), delivery(second)]


def test_answers_stay_with_their_messages_when_some_are_never_taken(
    careline_runtime, enrichers
) -> None:
    """A batch takes the answers it needs, in its own order; the answers of messages it never
    reached (a duplicate, a failed raw event) are dropped, not given to the next batch's."""
    # a misplaced answer makes its message wait for good: fail after seconds, not a minute
    config = {"pipeline": {"enrich_processes": 1, "enrich_timeout": 2}}
    runtime = careline_runtime(enrichers.Marker(), config=config)
    pool = runtime.enrichment_pool()
    assert pool is not None
    pool.warm_up()

    @settings(
        max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        st.lists(
            st.tuples(st.integers(0, 400), st.integers(0, 400), st.randoms(use_true_random=False)),
            max_size=4,
        )
    )
    def check(batches: list[tuple[int, int, Any]]) -> None:
        # a batch reads some of the messages before its ``last`` (the later chunks may not even
        # have been sent), in any order
        for size, last, chance in batches:
            texts = ["x" * chance.randrange(40) for _ in range(size)]
            items = [_item(n, text) for n, text in enumerate(texts)]
            ahead = pool.ahead(items)
            pairs = zip(items[:last], texts[:last], strict=True)
            wanted = [pair for pair in pairs if chance.random() < 0.5]
            chance.shuffle(wanted)
            for item, text in wanted:
                answer = ahead.take(item)
                assert answer is not None and answer.attributes == {"length": len(text)}
            pool.settle(ahead)
        assert not pool.disabled

    check()


def test_the_pipeline_stores_the_same_with_enrichment_processes(
    careline_runtime, enrichers
) -> None:
    plugins = ("careline-insights", "careline-routing", "careline-escalation")
    with_pool = careline_runtime(*plugins, enrichers.Marker(), config=ONE_PROCESS)
    stats = deliver_and_process(with_pool, "testchannel", *_deliveries("p"))
    pool = with_pool.enrichment_pool()
    assert pool is not None and pool.answered == len(TEXTS) + 1  # the processes did it
    in_process = careline_runtime(*plugins, enrichers.Marker(), config={"pipeline": {}})
    assert in_process.enrichment_pool() is None
    reference = deliver_and_process(in_process, "testchannel", *_deliveries("r"))
    assert (
        (stats.messages, stats.failed)
        == (reference.messages, reference.failed)
        == (len(TEXTS) + 1, 0)
    )
    stored = _stored(with_pool, "p")
    assert stored == _stored(in_process, "r")
    escalated = {trigger for row in stored for trigger, _ in row[-1]}
    assert {"content:legal", "manager_request"} <= escalated  # phrases found in the processes


@dataclass
class _Timeline:
    """What the pipeline did, in order: ``("parse", raw event id)`` and ``("batch", ids)``."""

    steps: list[tuple[str, Any]]
    fail_first_parse_of: set[int]

    def parses(self) -> list[int]:
        return [value for step, value in self.steps if step == "parse"]

    def parsed_before_their_batch(self) -> list[bool]:
        """For each batch: whether all its events were parsed before it began."""
        answers, parsed = [], set()
        for step, value in self.steps:
            if step == "parse":
                parsed.add(value)
            else:
                answers.append(set(value) <= parsed)
        return answers


@pytest.fixture
def timeline(monkeypatch: pytest.MonkeyPatch) -> _Timeline:
    """Records the pipeline's parses and batches; a parse of an event in
    ``fail_first_parse_of`` fails the first time (as a channel's passing glitch would)."""
    record = _Timeline([], set())
    parse, process_batch = pipeline.parse_raw_event, pipeline.process_batch

    def parsing(runtime: Any, raw: Any) -> Any:
        record.steps.append(("parse", raw.id))
        if raw.id in record.fail_first_parse_of:
            record.fail_first_parse_of.discard(raw.id)
            raise ParseError("a passing glitch")
        return parse(runtime, raw)

    def processing(runtime: Any, session: Any, batch: Any, **options: Any) -> Any:
        record.steps.append(("batch", [raw.id for raw in batch]))
        return process_batch(runtime, session, batch, **options)

    monkeypatch.setattr(pipeline, "parse_raw_event", parsing)
    monkeypatch.setattr(pipeline, "process_batch", processing)
    return record


def _raw_event_ids(runtime: Any) -> list[int]:
    with runtime.db.session() as session:
        return list(session.exec(select(RawEvent.id).order_by(RawEvent.id)))  # type: ignore[arg-type]


PLUGINS = ("careline-insights", "careline-routing", "careline-escalation")


BAD_DELIVERIES = [
    b"not json",
    b'{"messages": 3}',
    delivery(message("bad-time", author="x", thread="x", at=None) | {"created_at": "soon"}),
]


def _outcomes(runtime: Any, channel: str) -> list[tuple[str, str | None]]:
    with runtime.db.session() as session:
        rows = session.exec(
            select(RawEvent).where(RawEvent.channel == channel).order_by(RawEvent.id)  # type: ignore[arg-type]
        )
        return [(raw.status, raw.error) for raw in rows]


def test_on_sqlite_the_processes_parse_the_next_batch_ahead_and_store_the_same(
    careline_runtime, enrichers, timeline
) -> None:
    """While a batch runs, the enrichment processes parse the next batch's deliveries and enrich
    their messages — not for a last batch — and what is stored, and every parse error, is what
    the pipeline's process alone stores and records."""
    plugins = (*PLUGINS, enrichers.Marker(), enrichers.PoolChannels())
    with_pool = careline_runtime(*plugins, config=ONE_PROCESS)
    for body in [*_deliveries("p"), *BAD_DELIVERIES]:
        deliver(with_pool, "poolchannel", body)
    sqlite, ids = with_pool.db.is_sqlite, _raw_event_ids(with_pool)
    pool = with_pool.enrichment_pool()
    assert pool is not None
    # a channel class made at run time (the test channel's) cannot be built elsewhere
    assert (pool.parses("poolchannel"), pool.parses("testchannel")) == (sqlite, False)
    first = process_pending(with_pool, batch_size=3, max_batches=2)
    rest = process_pending(with_pool, batch_size=3)
    assert (first.messages + rest.messages, first.failed + rest.failed) == (len(TEXTS) + 1, 3)
    # the pipeline's process parsed the first batch of each call; the processes, on SQLite,
    # every later one, and none after a last batch
    assert sorted(timeline.parses()) == (ids[:3] + ids[6:9] if sqlite else ids)
    assert pool.answered == len(TEXTS) + 1
    in_process = careline_runtime(*plugins, config={"pipeline": {}})
    for body in [*_deliveries("r"), *BAD_DELIVERIES]:
        deliver(in_process, "testchannel", body)
    process_pending(in_process, batch_size=3)
    assert _stored(with_pool, "p") == _stored(in_process, "r")
    assert _outcomes(with_pool, "poolchannel") == _outcomes(in_process, "testchannel")


def test_messages_that_cannot_travel_back_are_parsed_here_and_misplace_nothing(
    careline_runtime, enrichers, timeline
) -> None:
    """A parsed message that does not unpickle in the pipeline's process sends its request's
    deliveries back to be parsed there; every later answer still reaches its own message."""
    plugins = ("careline-insights", enrichers.Marker(), enrichers.PoolChannels())
    runtime = careline_runtime(*plugins, config=ONE_PROCESS)
    texts = ["thanks!", "late again", "an odd one", "worst ever", "fine", "bonjour", "ok", "hi"]
    for body in _one_each(texts):
        deliver(runtime, "oddchannel", body)
    stats = process_pending(runtime, batch_size=2)
    assert (stats.messages, stats.failed) == (len(texts), 0)
    ids = _raw_event_ids(runtime)
    # on SQLite the pipeline parses the first batch, and the odd one's batch again
    assert sorted(timeline.parses()) == (ids[:4] if runtime.db.is_sqlite else ids)
    with runtime.db.session() as session:
        stored = {m.text: (m.sentiment, m.raw_event_id) for m in session.exec(select(Message))}
    in_process = (enrich(runtime, _item(n, text)) for n, text in enumerate(texts))
    assert stored == {
        text: (answer.sentiment, ids[n])
        for n, (text, answer) in enumerate(zip(texts, in_process, strict=True))
    }
    pool = runtime.enrichment_pool()
    assert pool is not None and not pool.disabled and pool.answered == len(texts)


def test_a_batch_read_ahead_that_broke_is_enriched_in_process_without_waiting_again(
    careline_runtime,
) -> None:
    runtime = careline_runtime("careline-insights", config=ONE_PROCESS)
    pool = runtime.enrichment_pool()
    assert pool is not None
    broken = EnrichmentsAhead(timeout=60)
    broken.broken = broken.stuck = True
    item = _item(1, "where is my parcel?")
    assert pool.ahead([item], adding_to=broken) is broken
    assert not broken.handed(item) and pool.pids == []  # nothing handed to anyone
    assert broken.take(item) is None


def test_a_read_ahead_that_fails_leaves_its_batch_alone(
    careline_runtime, enrichers, monkeypatch, caplog
) -> None:
    runtime = careline_runtime("careline-insights", enrichers.PoolChannels(), config=ONE_PROCESS)
    for body in _one_each(["hello", "my parcel is late", "thanks"]):
        deliver(runtime, "poolchannel", body)

    def locked(self: Any, session: Any, last_id: int) -> None:
        raise OperationalError("SELECT …", {}, Exception("database is locked"))

    monkeypatch.setattr(pipeline.ReadAhead, "read_after", locked)
    with caplog.at_level(logging.WARNING, logger="careline.pipeline"):
        stats = process_pending(runtime, batch_size=1)
    assert (stats.messages, stats.failed) == (3, 0)
    sqlite = runtime.db.is_sqlite
    assert caplog.text.count("reading the next batch ahead failed") == (3 if sqlite else 0)
    with runtime.db.session() as session:
        assert all(s is not None for s in session.exec(select(Message.sentiment)))


@pytest.mark.parametrize("channel", ["testchannel", "poolchannel"])
def test_a_wrong_guess_of_the_next_batch_loses_and_misplaces_nothing(
    careline_runtime, enrichers, timeline, channel
) -> None:
    """An event read ahead and then taken by another process is dropped with its answer; an
    older event put back meanwhile is parsed and handed over when its batch claims it. (The
    test channel's class is made at run time: its deliveries are parsed ahead in the pipeline's
    process.)"""
    plugins = ("careline-insights", enrichers.Marker(), enrichers.PoolChannels())
    runtime = careline_runtime(*plugins, config=ONE_PROCESS)
    texts = ["thanks a lot!", "my parcel is late", "ok", "worst service ever", "bonjour", "hi"]
    for body in _one_each(texts):
        deliver(runtime, channel, body)
    ids = _raw_event_ids(runtime)
    timeline.fail_first_parse_of.add(ids[0])
    calls = 0

    def between_batches() -> bool:
        nonlocal calls
        calls += 1
        if calls == 2:  # batch 1 is done and, on SQLite, read events 3 and 4 ahead
            replay(runtime, ids=[ids[0]])
            with runtime.db.session() as session:
                taken = session.get(RawEvent, ids[2])
                assert taken is not None
                taken.status, taken.error = "failed", "taken by another process"
                session.add(taken)
        return False

    stats = process_pending(runtime, batch_size=2, stop=between_batches)
    assert (stats.messages, stats.failed) == (5, 1)
    batches = [value for step, value in timeline.steps if step == "batch"]
    assert batches == [ids[0:2], [ids[0], ids[3]], ids[4:6]]
    ahead_here = runtime.db.is_sqlite and channel == "testchannel"
    assert timeline.parsed_before_their_batch() == [False, ahead_here, ahead_here]
    with runtime.db.session() as session:
        stored = {
            m.text: (m.language, m.sentiment, c.tags)
            for m, c in session.exec(
                select(Message, Conversation).join(
                    Conversation,
                    Conversation.id == Message.conversation_id,  # type: ignore[arg-type]
                )
            )
        }
    in_process = (enrich(runtime, _item(n, text)) for n, text in enumerate(texts))
    assert stored == {
        text: (answer.language, answer.sentiment, ["marked"])
        for text, answer in zip(texts, in_process, strict=True)
        if text != texts[2]
    }
    pool = runtime.enrichment_pool()
    assert pool is not None and not pool.disabled and pool.answered == 5


@pytest.mark.parametrize("channel", ["testchannel", "poolchannel"])
def test_messages_read_ahead_for_a_process_that_died_go_to_its_successor(
    careline_runtime, enrichers, caplog, channel
) -> None:
    plugins = ("careline-insights", enrichers.Dying(), enrichers.PoolChannels())
    runtime = careline_runtime(*plugins, config=ONE_PROCESS)
    texts = ["hello", "I will die waiting for this refund", "bye", "one more thing"]
    for body in _one_each(texts):
        deliver(runtime, channel, body)
    with caplog.at_level(logging.WARNING, logger="careline.pipeline"):
        stats = process_pending(runtime, batch_size=1)
    assert (stats.messages, stats.failed) == (4, 0)
    assert caplog.text.count("an enrichment process died") == 1
    pool = runtime.enrichment_pool()
    assert pool is not None and not pool.disabled
    assert pool.answered == 3  # all but the message the process died on
    with runtime.db.session() as session:
        sentiments = session.exec(select(Message.sentiment)).all()
    assert len(sentiments) == 4 and all(s is not None for s in sentiments)


def test_a_hook_error_fails_its_raw_event_alone_with_the_same_error(
    careline_runtime, enrichers
) -> None:
    runtime = careline_runtime(enrichers.Failing(), config=ONE_PROCESS)
    bodies = _one_each(["fine", "boom goes the order", "fine again"])
    stats = deliver_and_process(runtime, "testchannel", *bodies)
    assert (stats.messages, stats.failed) == (2, 1)
    with runtime.db.session() as session:
        failed = session.exec(select(RawEvent).where(RawEvent.status == "failed")).one()
    assert failed.error == "ValueError: cannot enrich m1"


def test_what_cannot_travel_back_fails_or_is_enriched_item_by_item(
    careline_runtime, enrichers
) -> None:
    runtime = careline_runtime(enrichers.OddAnswer(), config=ONE_PROCESS)
    bodies = _one_each(["fine", "an odd one", "a strange one", "fine again"])
    stats = deliver_and_process(runtime, "testchannel", *bodies)
    pool = runtime.enrichment_pool()
    assert pool is not None and not pool.disabled
    assert pool.answered == 3  # all but the odd answer, which was computed in process
    assert (stats.messages, stats.failed) == (3, 1)
    with runtime.db.session() as session:
        failed = session.exec(select(RawEvent).where(RawEvent.status == "failed")).one()
        odd = session.exec(select(Conversation).where(Conversation.thread_key == "mt1")).one()
    assert failed.error == "TwoArgumentError: strange at m2"  # as in process
    assert odd.tags == ["odd"]


def test_after_close_the_pipeline_enriches_in_process(careline_runtime) -> None:
    runtime = careline_runtime("careline-insights", config=ONE_PROCESS)
    pool = runtime.enrichment_pool()
    assert pool is not None
    pool.warm_up()
    runtime.stop_enrichment()
    stats = deliver_and_process(runtime, "testchannel", delivery(message("m1", text="thanks!")))
    assert stats.messages == 1 and pool.answered == 0 and pool.pids == []
    with runtime.db.session() as session:
        assert session.exec(select(Message.sentiment)).one() is not None


def test_a_dead_process_loses_nothing_and_is_replaced(careline_runtime, enrichers, caplog) -> None:
    runtime = careline_runtime("careline-insights", enrichers.Dying(), config=ONE_PROCESS)
    first = _one_each(["hello", "I will die waiting for this refund", "bye"], prefix="a")
    with caplog.at_level(logging.WARNING, logger="careline.pipeline"):
        stats = deliver_and_process(runtime, "testchannel", *first)
    assert (stats.messages, stats.failed) == (3, 0)
    assert "an enrichment process died" in caplog.text
    pool = runtime.enrichment_pool()
    assert pool is not None and not pool.disabled
    second = _one_each(["my parcel is late"], prefix="b")
    assert deliver_and_process(runtime, "testchannel", *second).messages == 1
    ahead = pool.ahead([_item(99, "are you there?")])
    assert ahead.take(_item(99, "are you there?")) is not None  # a new process answers
    with runtime.db.session() as session:
        sentiments = session.exec(select(Message.sentiment)).all()
    assert len(sentiments) == 4 and all(s is not None for s in sentiments)


def test_a_request_the_process_cannot_read_is_enriched_in_process(
    careline_runtime, enrichers
) -> None:
    runtime = careline_runtime(enrichers.Marker(), config=ONE_PROCESS)
    pool = runtime.enrichment_pool()
    assert pool is not None
    odd = replace(_item(1, "my refund"), raw={"value": enrichers.Unloadable("pool")})
    ahead = pool.ahead([odd, _item(2, "hello")])  # one chunk: the process cannot read it
    assert ahead.take(odd) is None and ahead.take(_item(2, "hello")) is None
    pool.settle(ahead)
    assert not ahead.broken and not pool.disabled  # the process lives on
    again = pool.ahead([_item(3, "and now?")])
    answer = again.take(_item(3, "and now?"))
    assert answer is not None and answer.attributes == {"length": 8}


def test_a_stuck_hook_does_not_stop_the_pipeline_handing_work_over(
    careline_runtime, enrichers
) -> None:
    """Requests far beyond a pipe's capacity are handed over while the process is stuck on the
    first (its reader takes them), and the batch gives up after the timeout."""
    config = {"pipeline": {"enrich_processes": 1, "enrich_timeout": 1}}
    runtime = careline_runtime(enrichers.Hanging(), config=config)
    pool = runtime.enrichment_pool()
    assert pool is not None
    pool.warm_up()
    items = [_item(0, "hang on")] + [_item(n, "x" * 40_000) for n in range(1, 400)]
    ahead = pool.ahead(items)  # ~16 MB of requests: waited here for good before
    assert [ahead.take(item) for item in items[:3]] == [None, None, None]
    assert ahead.stuck
    pool.settle(ahead)


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see processes")
def test_a_stuck_process_is_given_up_after_the_timeout_and_replaced(
    careline_runtime, enrichers, caplog
) -> None:
    config = {"pipeline": {"enrich_processes": 1, "enrich_timeout": 1}}
    runtime = careline_runtime("careline-insights", enrichers.Hanging(), config=config)
    pool = runtime.enrichment_pool()
    assert pool is not None
    pool.warm_up()
    (stuck,) = (child.pid for child in multiprocessing.active_children())
    first = _one_each(["hello", "please hang on, my refund", "bye"], prefix="a")
    with caplog.at_level(logging.WARNING, logger="careline.pipeline"):
        stats = deliver_and_process(runtime, "testchannel", *first)
    assert (stats.messages, stats.failed) == (3, 0)  # enriched in process instead
    assert "did not answer within 1 s" in caplog.text
    assert _wait_until_gone([stuck]) == []  # killed, not left behind
    second = _one_each(["my parcel is late"], prefix="b")
    assert deliver_and_process(runtime, "testchannel", *second).messages == 1
    assert not pool.disabled and pool.answered >= 1  # new processes answer
    with runtime.db.session() as session:
        sentiments = session.exec(select(Message.sentiment)).all()
    assert len(sentiments) == 4 and all(s is not None for s in sentiments)


class _NeverAnswered(Future):
    """A chunk's answer that never comes, counting how often it was waited for."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = 0

    def result(self, timeout: float | None = None) -> Any:
        self.waits += 1
        return super().result(timeout)


def test_once_stuck_a_batch_waits_no_more() -> None:
    """The first unanswered message costs one timeout; the rest of the batch none."""
    chunk = _NeverAnswered()
    items = [_item(n, text) for n, text in enumerate(["hang on", "still there?", "hello"])]
    ahead = EnrichmentsAhead(timeout=0.01)
    ahead.add(items, chunk)
    assert [ahead.take(item) for item in items] == [None, None, None]
    assert ahead.stuck and ahead.broken and chunk.waits == 1


def test_a_plugin_that_cannot_be_pickled_keeps_enrichment_in_process(
    careline_runtime, enrichers
) -> None:
    runtime = careline_runtime("careline-insights", enrichers.Unpicklable(), config=ONE_PROCESS)
    assert runtime.enrichment_pool() is None
    body = delivery(message("m1", text="still enriched"))
    assert deliver_and_process(runtime, "testchannel", body).messages == 1


def test_processes_that_cannot_start_stop_being_tried(careline_runtime, caplog) -> None:
    runtime = careline_runtime("careline-insights", config=ONE_PROCESS)
    pool = runtime.enrichment_pool()
    assert isinstance(pool, EnrichmentPool)
    pool._specs = [*pool._specs, type(pool._specs[0])("missing", module="no_such_module_here")]
    with caplog.at_level(logging.WARNING, logger="careline.pipeline"):
        for body in _one_each(["hi"] * GIVE_UP_AFTER):
            assert not pool.disabled
            assert deliver_and_process(runtime, "testchannel", body).messages == 1
    assert pool.disabled
    assert caplog.text.count("an enrichment process died") == GIVE_UP_AFTER - 1
    assert f"died or got stuck in {GIVE_UP_AFTER} batches in a row" in caplog.text
    last = deliver_and_process(runtime, "testchannel", delivery(message("z", text="hello")))
    assert last.messages == 1


# --- the processes' lifetime ------------------------------------------------------------------
HOLDER = """
import multiprocessing, sys, time
from pathlib import Path
from careline.config import load_settings
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime

if __name__ == "__main__":
    home = Path(sys.argv[1])
    (home / "careline.toml").write_text("[pipeline]\\nenrich_processes = 2\\n")
    settings = load_settings(home, environ={"CARELINE_DATABASE_URL": f"sqlite:///{home}/c.db"})
    runtime = Runtime.create(
        settings, get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": "careline-insights"})
    )
    runtime.enrichment_pool().warm_up()
    try:  # before the pids are out: Ctrl-C may come as soon as they are
        print(" ".join(str(child.pid) for child in multiprocessing.active_children()), flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        print("interrupted", flush=True)
    runtime.close()
"""


def _gone(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return True
    return "\nState:\tZ" in status  # exited, waiting to be reaped by whoever adopted it


def _wait_until_gone(pids: list[int], seconds: float = 15) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not all(_gone(pid) for pid in pids):
        time.sleep(0.1)
    return [pid for pid in pids if not _gone(pid)]


def _holder(tmp_path: Path) -> tuple[subprocess.Popen[str], list[int]]:
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)
    process = subprocess.Popen(
        [sys.executable, str(script), str(tmp_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # its own process group, as a terminal would give it
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    pids = [int(pid) for pid in line.split()]
    assert len(pids) == 2, process.stderr.read() if process.stderr else line
    return process, pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see processes")
def test_ctrl_c_stops_the_pipeline_and_its_processes_quietly(tmp_path: Path) -> None:
    process, pids = _holder(tmp_path)
    os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0 and "interrupted" in out
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
    assert _wait_until_gone(pids) == []


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc to see processes")
def test_processes_exit_when_the_pipeline_is_killed(tmp_path: Path) -> None:
    process, pids = _holder(tmp_path)
    process.kill()  # SIGKILL: no clean-up runs in the pipeline's process
    process.communicate(timeout=30)
    assert _wait_until_gone(pids) == []
