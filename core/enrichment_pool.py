"""Enrichment ahead of the pipeline, in other processes.

Enriching a customer message (sentiment, topics, personal data, language) is most of the
pipeline's CPU time and depends on nothing but the message and the settings, while threading,
routing, escalation and storing must run in order in the pipeline's process. With
``[pipeline] enrich_processes`` above 0, the pipeline hands a batch's customer messages to that
many processes as soon as the batch is parsed and goes on; when it reaches a message, its
enrichment is usually ready. On a machine with spare cores the two halves overlap.

The processes are started (``spawn``) at the first batch and live as long as the runtime. Each
registers the plugins that implement ``careline_enrich_message`` — the same modules or objects,
in the same order — with a copy of the settings, and runs the same merge as the pipeline
(:func:`careline.pipeline_batch.enrich`), so the answer is the one the pipeline would have
computed itself. Whatever cannot go to another process is enriched in the pipeline's own process:
an enrichment plugin object that cannot be pickled, settings that cannot, or the messages of a
batch under which a process died (killed, or crashed in an extension); that is logged and new
processes start for the next batch, until :data:`GIVE_UP_AFTER` batches in a row broke them.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
import types
from collections.abc import Sequence
from concurrent.futures import CancelledError, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pluggy
from careline.config import Settings
from careline.types import Direction, Enrichment, InboundMessage, MessageKind

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.pipeline")

FIRST_CHUNK, LARGEST_CHUNK = 25, 200
"""Messages per task: the first small, so that the pipeline waits little for it, then doubling
(a task costs the pipeline's process ~0.3 ms besides pickling), while enriching a chunk still
takes the processes less time than the pipeline spends on the one before."""

GIVE_UP_AFTER = 3
"""Batches in a row under which the processes broke before enrichment stays in process."""

WARM_UP_SECONDS = 120
"""How long :meth:`EnrichmentPool.warm_up` waits for every process to answer."""

STOP_SECONDS = 10.0
"""How long stopping the processes waits for them to exit before killing them."""


class EnrichmentProcessError(Exception):
    """A hook's error that could not travel back from an enrichment process, re-created under
    its own class name and text (so the raw event records what enriching in process would)."""


@dataclass(frozen=True, slots=True)
class EnrichmentFailed:
    """An enrichment hook raised in the pool: the error, or its class name and text when the
    error itself cannot travel."""

    error: BaseException | None
    type_name: str
    text: str

    def raise_it(self) -> None:
        """Raise the hook's error in the pipeline's process, as if it had run there."""
        if self.error is not None:
            raise self.error.with_traceback(None)  # raised again when its batch is retried
        raise type(self.type_name, (EnrichmentProcessError,), {})(self.text)


@dataclass(frozen=True, slots=True)
class PluginSpec:
    """How a process registers one enrichment plugin: a module by name, or a pickled object."""

    name: str | None
    module: str | None = None
    instance: Any = None

    def load(self) -> object:
        """The plugin object to register."""
        if self.module is not None:
            return importlib.import_module(self.module)
        return self.instance


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


# --- inside a pool process --------------------------------------------------------------------
_plugins: tuple[pluggy.PluginManager, Settings] | None = None


def _start(settings: Settings, specs: list[PluginSpec]) -> None:
    """Initialiser of a pool process: a plugin manager with the enrichment plugins.

    Ctrl-C reaches the whole process group; the pipeline's process decides when the pool
    stops, so the processes ignore it. They exit when that process is gone, however it ended
    (killed, out of memory), instead of waiting for work forever.
    """
    global _plugins
    from careline import hookspecs

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()

    pm = pluggy.PluginManager(hookspecs.PROJECT_NAME)
    pm.add_hookspecs(hookspecs)
    for spec in specs:
        pm.register(spec.load(), name=spec.name)
    _plugins = (pm, settings)


def _exit_with(parent: multiprocessing.process.BaseProcess) -> None:
    parent.join()
    os._exit(0)


Answer = Enrichment | EnrichmentFailed | None
"""What a pool process sends back for one message: its enrichment, its hook's error, or
``None`` when the answer cannot travel back (the pipeline's process enriches it itself)."""


def _enrich_chunk(items: list[InboundMessage]) -> list[Answer]:
    """Enrich ``items`` in this pool process (see :data:`Answer`)."""
    from careline.pipeline_batch import enrich_with

    assert _plugins is not None, "not a started enrichment process"
    pm, settings = _plugins
    answers: list[Answer] = []
    for item in items:
        try:
            answer = enrich_with(pm, settings, item)
        except Exception as exc:
            error = exc if _travels(exc) else None
            answers.append(EnrichmentFailed(error, type(exc).__name__, str(exc)))
            continue
        answers.append(answer if _travels(answer) else None)
    return answers


def _travels(value: object) -> bool:
    """Whether ``value`` survives the trip back (an exception may pickle and not unpickle,
    which would break the whole pool instead of one item)."""
    try:
        pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes, just made
    except Exception:
        return False
    return True


def _ready() -> int:
    """This process's id, once its plugins are loaded (and Ctrl-C is ignored)."""
    assert _plugins is not None, "not a started enrichment process"
    return os.getpid()


# --- in the pipeline's process ----------------------------------------------------------------
def wants_enrichment(item: InboundMessage) -> bool:
    """Whether the pipeline may enrich ``item``: a customer message that is not a deletion."""
    return item.direction is Direction.INBOUND and item.kind is not MessageKind.DELETE


class EnrichmentsAhead:
    """The enrichments being computed for one batch's messages."""

    def __init__(self, timeout: float) -> None:
        self._pending: dict[tuple[str, str], tuple[InboundMessage, Future[Any], int]] = {}
        self.timeout = timeout
        """Seconds to wait for one answer before the processes count as stuck."""
        self.broken = False
        """A pool process died or got stuck under this batch (its messages are enriched in
        process)."""
        self.stuck = False
        """A pool process did not answer within :attr:`timeout`."""
        self.answered: set[tuple[str, str]] = set()
        """The messages (channel, external id) whose enrichment the processes delivered."""

    def add(self, items: Sequence[InboundMessage], future: Future[Any]) -> None:
        """``future`` answers ``items`` in order."""
        for index, item in enumerate(items):
            self._pending[(item.channel, item.external_id)] = (item, future, index)

    def take(self, item: InboundMessage) -> Enrichment | None:
        """The enrichment of ``item`` (waiting for it), or ``None`` when the pipeline must
        enrich it itself. Raises the hook's error when a hook raised on it."""
        found = self._pending.get((item.channel, item.external_id))
        if found is None or self.stuck:
            return None
        handed, future, index = found
        # a reply the core moved into its parent's thread is still the message the hooks saw
        if handed is not item and replace(handed, thread_key=item.thread_key) != item:
            return None
        try:
            answer = future.result(timeout=self.timeout)[index]
        except TimeoutError:
            self.broken = self.stuck = True
            return None
        except BrokenProcessPool:
            self.broken = True
            return None
        except CancelledError:  # the pool was closed (shutting down) under the batch
            return None
        except Exception as exc:  # e.g. the chunk's messages could not be pickled
            log.debug("enriching in process: %s", exc)
            return None
        if answer is None:
            return None
        self.answered.add((item.channel, item.external_id))
        if isinstance(answer, EnrichmentFailed):
            answer.raise_it()
        assert isinstance(answer, Enrichment)
        return answer


class EnrichmentPool:
    """Processes that enrich customer messages ahead of the pipeline (see the module doc).

    Used by the one thread that runs the pipeline; :meth:`close` may come from another.
    """

    def __init__(
        self, settings: Settings, specs: list[PluginSpec], processes: int, timeout: float
    ) -> None:
        self.processes = processes
        self.timeout = timeout
        """``[pipeline] enrich_timeout``: seconds to wait for one answer."""
        self._settings = settings
        self._specs = specs
        self._executor: ProcessPoolExecutor | None = None
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
        return cls(settings, specs, processes, pipeline.enrich_timeout)

    def _started(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(
                max_workers=self.processes,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start,
                initargs=(self._settings, self._specs),
            )
        return self._executor

    def warm_up(self) -> None:
        """Start every process now and wait until each has loaded its plugins.

        Each must answer: the first one ready could answer for all, while another is still
        starting — and would print a traceback if Ctrl-C came then.
        """
        executor = self._started()
        answered: set[int] = set()
        deadline = time.monotonic() + WARM_UP_SECONDS
        while len(answered) < self.processes:
            asked = [executor.submit(_ready) for _ in range(self.processes)]
            done, _ = wait(asked, timeout=max(0.0, deadline - time.monotonic()))
            answered.update(future.result() for future in done)
            if time.monotonic() > deadline:
                log.warning(
                    "%d of %d enrichment processes answered in %d s",
                    len(answered),
                    self.processes,
                    WARM_UP_SECONDS,
                )
                return
            if len(answered) < self.processes:
                time.sleep(0.01)

    def ahead(self, items: Sequence[InboundMessage]) -> EnrichmentsAhead:
        """Start enriching the customer messages among ``items``."""
        wanted = [item for item in items if wants_enrichment(item)]
        ahead = EnrichmentsAhead(self.timeout)
        if self.disabled or self.closed:
            return ahead
        try:
            if self._executor is None:
                # [pipeline] enrich_timeout is for answering, not for starting and loading
                # the plugins, which may take longer
                self.warm_up()
            executor = self._started()
            offset, size = 0, FIRST_CHUNK
            while offset < len(wanted):
                chunk = wanted[offset : offset + size]
                ahead.add(chunk, executor.submit(_enrich_chunk, chunk))
                offset, size = offset + size, min(2 * size, LARGEST_CHUNK)
        except Exception as exc:  # broken, or no process could be started (no /dev/shm, …)
            log.warning("the enrichment processes cannot take work: %s", exc)
            ahead.broken = True
        return ahead

    def settle(self, ahead: EnrichmentsAhead) -> None:
        """After a batch: when the processes broke under it, start new ones for the next — or,
        after several batches in a row (they cannot even start), stop trying."""
        self.answered += len(ahead.answered)
        if not ahead.broken:
            self._breaks_in_a_row = 0
            return
        self._breaks_in_a_row += 1
        if self._executor is not None:
            _stop(self._executor, patience=0.0 if ahead.stuck else STOP_SECONDS)
            self._executor = None
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
        if self._executor is not None:
            _stop(self._executor, patience=STOP_SECONDS)
            self._executor = None


def _stop(executor: ProcessPoolExecutor, *, patience: float) -> None:
    """Shut ``executor`` down, killing the processes that have not exited after ``patience``
    seconds (one stuck in a hook never would, and shutting down would wait for it forever)."""
    # The executor keeps its processes only privately; without them, shutting down cannot
    # wait for them at all.
    processes = list((getattr(executor, "_processes", None) or {}).values())
    executor.shutdown(wait=False, cancel_futures=True)
    deadline = time.monotonic() + patience
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
        if process.is_alive():
            process.kill()
            process.join(STOP_SECONDS)


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
