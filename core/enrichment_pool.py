"""Enrichment ahead of the pipeline, in other processes.

Enriching a customer message (sentiment, topics, personal data, language) is most of the
pipeline's CPU time and depends on nothing but the message and the settings, while threading,
routing, escalation and storing must run in order in the pipeline's process. With
``[pipeline] enrich_processes`` above 0, the pipeline hands a batch's customer messages to that
many processes as soon as the batch is parsed and goes on; when it reaches a message, its
enrichment is usually ready. On a machine with spare cores the two halves overlap.

Each process has a pipe for requests and one for answers, read and written by the pipeline's own
thread: a pool with helper threads (:class:`concurrent.futures.ProcessPoolExecutor`) hands every
answer over through them, and each hand-over waits for the pipeline's thread to let go of the
interpreter lock — which cost the pipeline more than the enrichment it saved.

The processes are started (``spawn``) at the first batch and live as long as the runtime. Each
registers the plugins that implement ``careline_enrich_message`` — the same modules or objects,
in the same order — with a copy of the settings, and runs the same merge as the pipeline
(:func:`careline.pipeline_batch.enrich`), so the answer is the one the pipeline would have
computed itself. Whatever cannot go to another process is enriched in the pipeline's own process:
an enrichment plugin object that cannot be pickled, settings that cannot, or the messages of a
batch under which a process died (killed, or crashed in an extension); that is logged and new
processes start for the next batch, until :data:`GIVE_UP_AFTER` batches in a row broke them.

On SQLite the pipeline also hands over the raw events of the batch it reads ahead, which the
processes parse with their channels (:meth:`EnrichmentPool.parse_ahead`). What runs inside a
process is :mod:`careline.enrichment_process`.
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import logging
import multiprocessing
import pickle
import time
import types
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import TYPE_CHECKING, Any, Protocol

import pluggy
from careline.config import Settings
from careline.enrichment_process import (
    ChannelSpec,
    Deliveries,
    EnrichmentFailed,
    PluginSpec,
    serve,
    wants_enrichment,
)
from careline.types import Enrichment, InboundMessage

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.pipeline")

FIRST_CHUNK, LARGEST_CHUNK = 25, 50
"""Messages per request: the first small, so that the pipeline waits little for it, then at most
50. The pipeline waits for a whole chunk's answer when it reaches the chunk's first message, and
a process that enriches three times as fast as the pipeline threads still finishes a chunk of 200
after the pipeline reached it."""

IN_FLIGHT = 4
"""Requests a process may have been sent and not yet answered; more wait in the pipeline's
process, so that at most a few answers wait in the answers pipe."""

PIPE_BYTES = 1 << 20
"""The pipes' capacity asked for (Linux; where it cannot be had, the default is used). Nothing
is lost without it — a process's reader thread takes the requests as they come, and the pipeline
reads the answers waiting before it writes a request — but that thread may wait up to the
process's GIL switch interval (5 ms) while a hook computes, and four requests of 50 messages
can outgrow the default 64 KiB: the pipeline would then wait to write."""

GIVE_UP_AFTER = 3
"""Batches in a row under which the processes broke before enrichment stays in process."""

WARM_UP_SECONDS = 120
"""How long :meth:`EnrichmentPool.warm_up` waits for every process to answer."""

STOP_SECONDS = 10.0
"""How long stopping the processes waits for them to exit before killing them."""


def plugin_specs(pm: pluggy.PluginManager) -> list[PluginSpec] | None:
    """The enrichment plugins of ``pm`` in registration order, or ``None`` when one cannot be
    sent to another process (an object that does not pickle, a module that cannot be found by
    its name)."""
    specs = []
    registered = [plugin for _, plugin in pm.list_name_plugin()]
    enrichers = {id(impl.plugin) for impl in pm.hook.careline_enrich_message.get_hookimpls()}
    for plugin in registered:
        if id(plugin) not in enrichers:
            continue
        name = pm.get_name(plugin)
        if isinstance(plugin, types.ModuleType):
            if importlib.util.find_spec(plugin.__name__) is None:
                log.warning("enriching in process: module %s cannot be imported", plugin.__name__)
                return None
            spec = PluginSpec(name, module=plugin.__name__)
        else:
            spec = PluginSpec(name, instance=plugin)
        try:
            pickle.dumps(spec)
        except Exception as exc:
            log.warning("enriching in process: plugin %s cannot be sent (%s)", name, exc)
            return None
        specs.append(spec)
    return specs


def parsing_channels(runtime: Runtime) -> dict[str, ChannelSpec]:
    """The channels of ``runtime`` whose deliveries a process can parse: by name, how to find
    their class (a class made at run time cannot be found by name: its deliveries are parsed in
    the pipeline's process)."""
    found = {}
    for name, channel in runtime.channels.items():
        channel_class = type(channel)
        spec = ChannelSpec(channel_class.__module__, channel_class.__qualname__)
        try:
            if spec.load() is channel_class:
                found[name] = spec
        except (ImportError, AttributeError) as exc:
            log.debug("parsing %s deliveries in process: %s", name, exc)
    return found


# --- in the pipeline's process ----------------------------------------------------------------
class ProcessGone(Exception):
    """The enrichment process died (or its pipes broke) before answering."""


class PoolClosed(Exception):
    """The pool was closed while the pipeline waited for an answer: enrich in process."""


class ChunkAnswer(Protocol):
    """The answer to one chunk of messages, in their order (waiting for it up to ``timeout``
    seconds: :class:`TimeoutError` past it)."""

    def result(self, timeout: float | None = None) -> list[Any]: ...


class EnrichmentProcess:
    """One enrichment process and its two pipes, used by the pipeline's thread only (but
    :meth:`stop`). Requests are numbered; their answers come back in the same order."""

    def __init__(
        self,
        settings: Settings,
        specs: list[PluginSpec],
        channels: dict[str, ChannelSpec] | None = None,
    ) -> None:
        context = multiprocessing.get_context("spawn")
        their_requests, self._requests = context.Pipe(duplex=False)
        self._answers, their_answers = context.Pipe(duplex=False)
        for connection in (self._requests, their_answers):
            _enlarge(connection)
        self.process: BaseProcess = context.Process(
            target=serve,
            args=(their_requests, their_answers, settings, specs, channels or {}),
            name="careline-enrichment",
            daemon=True,
        )
        self.process.start()
        # Only the process holds its ends now: its death reads as the end of the answers.
        their_requests.close()
        their_answers.close()
        self.pid: int | None = None
        """Set once the process said it is ready."""
        self._unsent: deque[tuple[int, bytes]] = deque()
        self._numbers = 0
        self._in_flight: deque[int] = deque()
        """The numbers of the requests sent and not yet answered, in the order sent."""
        self._answered: dict[int, list[Any]] = {}
        self._forgotten: set[int] = set()
        self.stopped = False

    def ready(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for the process to have loaded its plugins."""
        if self.pid is None and wait([self._answers], timeout):
            self._receive()
        return self.pid is not None

    def submit(self, request: bytes, *, at_once: bool = False) -> int:
        """Queue a pickled chunk; its number, for :meth:`answer`. ``at_once`` sends it, and all
        queued before it, past the :data:`IN_FLIGHT` limit (for a batch read ahead, whose
        answers the pipeline takes only when that batch starts)."""
        number = self._numbers
        self._numbers += 1
        self._unsent.append((number, request))
        self._send(at_once=at_once)
        return number

    def answer(self, number: int, timeout: float | None) -> list[Any]:
        """The answer to request ``number``, waiting up to ``timeout`` seconds for it."""
        while number not in self._answered:
            if self.stopped:
                raise PoolClosed
            try:
                # the timeout is for one answer: earlier ones (forgotten requests of the batch
                # before, say) may come first
                ready = wait([self._answers, self.process.sentinel], timeout)
            except Exception as exc:  # closed from another thread meanwhile
                raise self._gone() from exc
            if not ready:
                raise TimeoutError(f"no answer within {timeout} s")
            self._receive()
        return self._answered.pop(number)

    def forget(self, number: int) -> None:
        """Request ``number``'s answer is not wanted: do not send it, or drop its answer."""
        if self._answered.pop(number, None) is not None:
            return
        if number in self._in_flight:
            self._forgotten.add(number)
        else:
            self._unsent = deque(entry for entry in self._unsent if entry[0] != number)

    def _send(self, *, at_once: bool = False) -> None:
        try:
            # An answer waiting in the pipe is taken first: the process may be waiting to
            # write the next while this waits to write a request.
            while self._answers.poll():
                self._receive()
            while self._unsent and (at_once or len(self._in_flight) < IN_FLIGHT):
                number, request = self._unsent.popleft()
                self._requests.send_bytes(request)
                self._in_flight.append(number)
        except Exception as exc:  # gone, or closed from another thread meanwhile
            raise self._gone() from exc

    def _receive(self) -> None:
        """Read the next answer (or learn that the process is gone) and send what waits."""
        try:
            data = self._answers.recv_bytes()
        except Exception as exc:  # EOF: it died; anything else: its pipe cannot be trusted
            raise self._gone() from exc
        try:
            answer = pickle.loads(data)  # noqa: S301 - our child's
        except Exception:  # a channel's value in a message that does not unpickle here
            answer = None  # as for what cannot be pickled there: done in this process
        if self.pid is None:  # the first word is that it is ready
            self.pid = answer
            return
        number = self._in_flight.popleft()
        if number in self._forgotten:
            self._forgotten.discard(number)
        else:
            self._answered[number] = answer
        # the answer at hand still counts when sending fails: the next wait finds out
        with contextlib.suppress(ProcessGone, PoolClosed):
            self._send()

    def _gone(self) -> Exception:
        return PoolClosed() if self.stopped else ProcessGone(f"enrichment process {self.pid}")

    def stop(self, patience: float) -> None:
        """Close the requests pipe, so that the process exits; kill it when it has not after
        ``patience`` seconds (one stuck in a hook never would)."""
        self.stopped = True
        self._requests.close()
        self.process.join(patience)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(STOP_SECONDS)
        self._answers.close()


def _enlarge(connection: Connection) -> None:
    try:
        import fcntl

        fcntl.fcntl(connection.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
    except (ImportError, AttributeError, OSError):  # not Linux, or above the system's limit
        pass


@dataclass(slots=True)
class _Requested:
    """A chunk sent to an enrichment process: its answer once it came."""

    process: EnrichmentProcess
    number: int
    size: int
    answer: list[Any] | None = None

    def result(self, timeout: float | None = None) -> list[Any]:
        if self.answer is None:
            # None: the process could not unpickle the request; each is enriched in process
            self.answer = self.process.answer(self.number, timeout) or [None] * self.size
        return self.answer

    def forget(self) -> None:
        if self.answer is None:
            self.process.forget(self.number)


class EnrichmentsAhead:
    """The enrichments being computed for one batch's messages."""

    def __init__(self, timeout: float) -> None:
        self._pending: dict[tuple[str, str], tuple[InboundMessage, ChunkAnswer, int]] = {}
        self.chunks: list[ChunkAnswer] = []
        self.timeout = timeout
        """Seconds to wait for one answer before the processes count as stuck."""
        self.broken = False
        """A pool process died or got stuck under this batch (its messages are enriched in
        process)."""
        self.stuck = False
        """A pool process did not answer within :attr:`timeout`."""
        self.answered: set[tuple[str, str]] = set()
        """The messages (channel, external id) whose enrichment the processes delivered."""

    def add(self, items: Sequence[InboundMessage], answer: ChunkAnswer) -> None:
        """``answer`` answers ``items`` in order."""
        self.chunks.append(answer)
        for index, item in enumerate(items):
            self._pending[(item.channel, item.external_id)] = (item, answer, index)

    def handed(self, item: InboundMessage) -> bool:
        """Whether ``item`` (this very message) was handed over."""
        found = self._pending.get((item.channel, item.external_id))
        return found is not None and found[0] is item

    def take(self, item: InboundMessage) -> Enrichment | None:
        """The enrichment of ``item`` (waiting for it), or ``None`` when the pipeline must
        enrich it itself. Raises the hook's error when a hook raised on it."""
        found = self._pending.get((item.channel, item.external_id))
        if found is None or self.stuck or self.broken:
            return None
        handed, chunk, index = found
        # a reply the core moved into its parent's thread is still the message the hooks saw
        if handed is not item and replace(handed, thread_key=item.thread_key) != item:
            return None
        answers = self.wait_for(chunk)
        answer = None if answers is None else answers[index]
        if answer is None:
            return None
        self.answered.add((item.channel, item.external_id))
        if isinstance(answer, EnrichmentFailed):
            answer.raise_it()
        assert isinstance(answer, Enrichment)
        return answer

    def wait_for(self, chunk: ChunkAnswer) -> list[Any] | None:
        """``chunk``'s answer, waiting for it; ``None`` when it will not come — the process
        died or got stuck (this batch is then broken) or the pool was closed under it."""
        try:
            return chunk.result(timeout=self.timeout)
        except TimeoutError:
            self.broken = self.stuck = True
        except ProcessGone:
            self.broken = True
        except PoolClosed:  # closed (shutting down) under the batch
            pass
        return None


def _pickled_messages(chunk: Sequence[InboundMessage]) -> bytes | None:
    try:
        return pickle.dumps(list(chunk), pickle.HIGHEST_PROTOCOL)
    except Exception as exc:  # a plugin's value in a message: enrich in process
        log.debug("enriching in process: %s", exc)
        return None


def _pickled_deliveries(chunk: Sequence[tuple[int, str, bytes]]) -> bytes:
    return pickle.dumps(Deliveries([(channel, body) for _, channel, body in chunk]))


@dataclass(slots=True)
class _Given:
    """An answer at hand (a message's enrichment that came with its delivery's parse)."""

    answer: list[Any]

    def result(self, timeout: float | None = None) -> list[Any]:
        return self.answer


class DeliveriesAhead:
    """Raw events being parsed, and their customer messages enriched, by the processes."""

    def __init__(self, timeout: float) -> None:
        self.enrichments = EnrichmentsAhead(timeout)
        """The enrichments of the messages :meth:`parsed` answers."""
        self._chunks: list[tuple[list[int], _Requested]] = []

    def add(self, events: Sequence[tuple[int, str, bytes]], answer: _Requested) -> None:
        """``answer`` answers ``events`` in order."""
        self._chunks.append(([event_id for event_id, _, _ in events], answer))

    def parsed(self) -> dict[int, list[InboundMessage] | Exception]:
        """Each raw event's messages, or its parse error, by id, waiting for them. An event is
        missing when its answer did not come — a process died or got stuck (then
        :attr:`enrichments` is broken), or the answer could not travel back: the pipeline
        parses it itself."""
        ahead = self.enrichments
        parsed: dict[int, list[InboundMessage] | Exception] = {}
        for ids, chunk in self._chunks:
            if ahead.broken:
                chunk.forget()
                continue
            answers = ahead.wait_for(chunk)
            if answers is None:
                continue
            for event_id, answer in zip(ids, answers, strict=True):
                if isinstance(answer, EnrichmentFailed):
                    parsed[event_id] = answer.error_here()
                elif answer is not None:
                    items, enrichments = answer
                    parsed[event_id] = items
                    customers = [item for item in items if wants_enrichment(item)]
                    ahead.add(customers, _Given(enrichments))
        self._chunks = []
        return parsed

    def drop(self) -> None:
        """Forget the answers still to come."""
        with contextlib.suppress(ProcessGone, PoolClosed):
            for _, chunk in self._chunks:
                chunk.forget()
        self._chunks = []


class EnrichmentPool:
    """Processes that enrich customer messages ahead of the pipeline (see the module doc).

    Used by the one thread that runs the pipeline; :meth:`close` may come from another.
    """

    def __init__(
        self,
        settings: Settings,
        specs: list[PluginSpec],
        processes: int,
        timeout: float,
        channels: dict[str, ChannelSpec] | None = None,
    ) -> None:
        self.processes = processes
        self.timeout = timeout
        """``[pipeline] enrich_timeout``: seconds to wait for one answer."""
        self._settings = settings
        self._specs = specs
        self._channels = channels or {}
        self._running: list[EnrichmentProcess] = []
        self._breaks_in_a_row = 0
        self.disabled = False
        """Set after :data:`GIVE_UP_AFTER` batches in a row broke the processes."""
        self.closed = False
        self.answered = 0
        """Enrichments the processes delivered so far."""

    @classmethod
    def for_runtime(cls, runtime: Runtime) -> EnrichmentPool | None:
        """A pool for ``runtime`` as configured, or ``None`` (no processes asked for, nothing to
        enrich, or plugins or settings that cannot be sent)."""
        pipeline = runtime.settings.core("pipeline")
        processes = pipeline.enrich_processes
        if processes < 1:
            return None
        specs = plugin_specs(runtime.pm)
        if not specs:
            return None
        settings = portable_settings(runtime.settings)
        if settings is None:
            return None
        # only SQLite reads batches ahead (see careline.pipeline.ReadAhead)
        channels = {} if runtime.db.supports_row_claims else parsing_channels(runtime)
        return cls(settings, specs, processes, pipeline.enrich_timeout, channels)

    @property
    def pids(self) -> list[int]:
        """The process ids of the running enrichment processes."""
        return [p.process.pid for p in self._running if p.process.pid is not None]

    def warm_up(self) -> None:
        """Start every process now and wait until each has loaded its plugins (a process that
        dies meanwhile raises :class:`ProcessGone`).

        Every process says so itself, over its own pipe; until it has, Ctrl-C could still reach
        it before it ignores it, and print a traceback.
        """
        if self.closed:
            return
        if not self._running:
            self._running = [
                EnrichmentProcess(self._settings, self._specs, self._channels)
                for _ in range(self.processes)
            ]
        deadline = time.monotonic() + WARM_UP_SECONDS
        for process in self._running:
            if not process.ready(max(0.0, deadline - time.monotonic())):
                log.warning(
                    "%d of %d enrichment processes answered in %d s",
                    sum(p.pid is not None for p in self._running),
                    self.processes,
                    WARM_UP_SECONDS,
                )
                return

    def ahead(
        self,
        items: Sequence[InboundMessage],
        *,
        adding_to: EnrichmentsAhead | None = None,
        guess: bool = False,
    ) -> EnrichmentsAhead:
        """Start enriching the customer messages among ``items``: in a new
        :class:`EnrichmentsAhead`, or ``adding_to`` one that a running process already works on
        (its messages among ``items`` are not handed over again).

        When the processes cannot take work, the batch is enriched in process (the answer is
        broken) — unless the messages are a ``guess`` (a batch read ahead, sent at once): then
        they are left out, for their batch to hand over again. ``adding_to`` that broke is
        answered as it is: its batch is enriched in process.
        """
        if adding_to is not None and adding_to.broken:
            return adding_to  # enriched in process; settle() replaces the processes
        if adding_to is not None and self.works_on(adding_to):
            ahead = adding_to
            wanted = [item for item in items if wants_enrichment(item) and not ahead.handed(item)]
        else:
            ahead = EnrichmentsAhead(self.timeout)
            wanted = [item for item in items if wants_enrichment(item)]
        if not self._hand_over(wanted, _pickled_messages, ahead.add, at_once=guess) and not guess:
            ahead.broken = True
        return ahead

    def parses(self, channel: str) -> bool:
        """Whether the processes parse deliveries to ``channel`` (:func:`parsing_channels`)."""
        return channel in self._channels

    def parse_ahead(self, events: Sequence[tuple[int, str, bytes]]) -> DeliveriesAhead:
        """Start parsing raw events — ``(id, channel, body)``, of channels the processes
        :meth:`parses` — and enriching their customer messages. A guess: when the processes
        cannot take work, the events are left out (their batch parses them)."""
        deliveries = DeliveriesAhead(self.timeout)
        self._hand_over(events, _pickled_deliveries, deliveries.add, at_once=True)
        return deliveries

    def _hand_over(
        self,
        work: Sequence[Any],
        pickled: Callable[[Sequence[Any]], bytes | None],
        add: Callable[[Sequence[Any], _Requested], None],
        *,
        at_once: bool = False,
    ) -> bool:
        """Send ``work`` to the processes in chunks, in turn (starting them if need be);
        ``add`` learns each chunk's answer to come. A chunk that does not pickle is left out.
        ``False`` when the processes cannot take work (what was not sent is left out).
        ``at_once``: see :meth:`EnrichmentProcess.submit`."""
        if self.disabled or self.closed:
            return True
        try:
            if not self._running:
                # [pipeline] enrich_timeout is for answering, not for starting and loading
                # the plugins, which may take longer
                self.warm_up()
            if not self._running:  # closed meanwhile
                return True
            offset, size, turn = 0, FIRST_CHUNK, 0
            while offset < len(work):
                chunk = work[offset : offset + size]
                offset, size = offset + size, min(2 * size, LARGEST_CHUNK)
                request = pickled(chunk)
                if request is None:
                    continue
                process = self._running[turn % len(self._running)]
                turn += 1
                number = process.submit(request, at_once=at_once)
                add(chunk, _Requested(process, number, len(chunk)))
        except PoolClosed:
            pass
        except Exception as exc:  # died, or none could be started (no /dev/shm, …)
            log.warning("the enrichment processes cannot take work: %s", exc)
            return False
        return True

    def works_on(self, ahead: EnrichmentsAhead) -> bool:
        """Whether every process ``ahead`` was handed to still runs (none broke meanwhile)."""
        return not ahead.broken and all(
            chunk.process in self._running
            for chunk in ahead.chunks
            if isinstance(chunk, _Requested)
        )

    def drop(self, ahead: EnrichmentsAhead) -> None:
        """``ahead`` will not be taken (its batch never ran): forget its answers. Unlike
        :meth:`settle`, this says nothing of whether the processes broke."""
        with contextlib.suppress(ProcessGone, PoolClosed):  # noticed on the next batch
            for chunk in ahead.chunks:
                if isinstance(chunk, _Requested):
                    chunk.forget()

    def settle(self, ahead: EnrichmentsAhead) -> None:
        """After a batch: when the processes broke under it, start new ones for the next — or,
        after several batches in a row (they cannot even start), stop trying."""
        self.answered += len(ahead.answered)
        if not ahead.broken:
            self._breaks_in_a_row = 0
            self.drop(ahead)
            return
        self._breaks_in_a_row += 1
        self._stop(patience=0.0 if ahead.stuck else STOP_SECONDS)
        if self._breaks_in_a_row < GIVE_UP_AFTER:
            if ahead.stuck:
                log.warning(
                    "an enrichment process did not answer within %g s ([pipeline] "
                    "enrich_timeout); its batch was enriched in process, new processes start "
                    "for the next batch",
                    self.timeout,
                )
            else:
                log.warning("an enrichment process died; starting new ones for the next batch")
        else:
            self.disabled = True
            log.error(
                "the enrichment processes died or got stuck in %d batches in a row (their errors "
                "went to standard error); enriching in the pipeline's own process from now on",
                GIVE_UP_AFTER,
            )

    def close(self) -> None:
        """Stop the processes; the pipeline enriches in its own process from now on."""
        self.closed = True
        self._stop(patience=STOP_SECONDS)

    def _stop(self, *, patience: float) -> None:
        running, self._running = self._running, []
        deadline = time.monotonic() + patience
        for process in running:
            process.stop(max(0.0, deadline - time.monotonic()))


def portable_settings(settings: Settings) -> Settings | None:
    """A copy of ``settings`` without what was built from it in this process (database,
    compiled rules), for another process; ``None`` when it cannot be pickled."""
    copy = Settings(
        home=settings.home, data=settings.data, clock=settings.clock, environ=settings.environ
    )
    try:
        pickle.dumps(copy)
    except Exception as exc:
        log.warning("enriching in process: the settings cannot be sent (%s)", exc)
        return None
    return copy
