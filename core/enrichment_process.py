"""What runs inside an enrichment process (:mod:`careline.enrichment_pool` starts them).

A process registers the enrichment plugins and builds the channels whose deliveries it parses,
then answers the pipeline's requests over its pipes, in order: a list of messages with their
enrichments (:data:`Answer`), or :class:`Deliveries` with each delivery's messages and their
enrichments (:data:`Parsed`). What cannot travel back is answered so that the pipeline's own
process does that part itself.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import pickle
import queue
import signal
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

import pluggy
from careline.config import Settings
from careline.types import Direction, Enrichment, InboundMessage, MessageKind

if TYPE_CHECKING:
    from careline.channels import Channel

log = logging.getLogger("careline.pipeline")


class EnrichmentProcessError(Exception):
    """A hook's error that could not travel back from an enrichment process, re-created under
    its own class name and text (so the raw event records what enriching in process would)."""


@dataclass(frozen=True, slots=True)
class EnrichmentFailed:
    """An enrichment hook, or a channel's parse, raised in the pool: the error, or its class
    name and text when the error itself cannot travel."""

    error: Exception | None
    type_name: str
    text: str

    def error_here(self) -> Exception:
        """The error in the pipeline's process, as if it had been raised there."""
        if self.error is not None:
            return self.error.with_traceback(None)  # raised again when its batch is retried
        return type(self.type_name, (EnrichmentProcessError,), {})(self.text)

    def raise_it(self) -> None:
        """Raise the hook's error in the pipeline's process, as if it had run there."""
        raise self.error_here()


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


@dataclass(frozen=True, slots=True)
class ChannelSpec:
    """How a process builds a channel to parse its deliveries: its class, by module and name."""

    module: str
    qualname: str

    def load(self) -> type[Channel]:
        """The channel class (:class:`AttributeError` or :class:`ImportError` when not found)."""
        found: Any = importlib.import_module(self.module)
        for part in self.qualname.split("."):
            found = getattr(found, part)
        return found


@dataclass(frozen=True, slots=True)
class Deliveries:
    """A request to parse raw deliveries, ``(channel, body)`` pairs, and enrich their customer
    messages (see :meth:`EnrichmentPool.parse_ahead`)."""

    events: list[tuple[str, bytes]]


def wants_enrichment(item: InboundMessage) -> bool:
    """Whether the pipeline may enrich ``item``: a customer message that is not a deletion."""
    return item.direction is Direction.INBOUND and item.kind is not MessageKind.DELETE


_plugins: tuple[pluggy.PluginManager, Settings] | None = None
_channels: dict[str, Channel] = {}


def _start(settings: Settings, specs: list[PluginSpec], channels: dict[str, ChannelSpec]) -> None:
    """Initialiser of a pool process: a plugin manager with the enrichment plugins, and the
    channels whose deliveries it parses, built as the pipeline's process builds them.

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
    for name, channel in channels.items():
        try:
            _channels[name] = channel.load()(settings.section(name), clock=settings.clock)
        except Exception as exc:  # its deliveries are parsed in the pipeline's process
            log.warning("an enrichment process cannot build channel %s: %s", name, exc)


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


Parsed = tuple[list[InboundMessage], list[Answer]] | EnrichmentFailed | None
"""What a pool process sends back for one delivery: its messages and the :data:`Answer` of
each customer message among them (in order), the parse error, or ``None`` when the channel
could not be built here (the pipeline's process parses the delivery)."""


def _parse_and_enrich(events: list[tuple[str, bytes]]) -> list[Parsed]:
    """Parse each delivery with its channel and enrich its customer messages, as
    :func:`careline.pipeline.parse_delivery` and the pipeline would."""
    from careline.pipeline import parse_delivery

    parsed: list[Parsed] = []
    for name, body in events:
        channel = _channels.get(name)
        if channel is None:
            parsed.append(None)
            continue
        try:
            items = parse_delivery(channel, body)
        except Exception as exc:  # a ParseError
            error = exc if _travels(exc) else None
            parsed.append(EnrichmentFailed(error, type(exc).__name__, str(exc)))
            continue
        parsed.append((items, _enrich_chunk([item for item in items if wants_enrichment(item)])))
    return parsed


def _travels(value: object) -> bool:
    """Whether ``value`` survives the trip back (an exception may pickle and not unpickle,
    which would break the whole pool instead of one item)."""
    try:
        pickle.loads(pickle.dumps(value))  # noqa: S301 - our own bytes, just made
    except Exception:
        return False
    return True


def serve(
    requests: Connection,
    answers: Connection,
    settings: Settings,
    specs: list[PluginSpec],
    channels: dict[str, ChannelSpec],
) -> None:
    """An enrichment process: load the plugins and channels, say its pid (ready), then answer
    each request — a pickled list of messages with their :data:`Answer` list, :class:`Deliveries`
    with their :data:`Parsed` list — until the pipeline closes its end of the requests pipe. A
    request that does not unpickle here, or an answer that cannot be pickled, is answered
    ``None``.

    A thread reads the requests as they come, so that the pipeline never waits to write one —
    not even while a hook is stuck, or while this process waits to write an answer.
    """
    _start(settings, specs, channels)
    waiting: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    threading.Thread(target=_read_requests, args=(requests, waiting), daemon=True).start()
    answers.send_bytes(pickle.dumps(os.getpid()))
    while (request := waiting.get()) is not None:
        try:
            work = pickle.loads(request)  # noqa: S301 - from the pipeline's process
        except Exception:  # e.g. a plugin's value in a message whose class is not here
            answers.send_bytes(pickle.dumps(None))
            continue
        if isinstance(work, Deliveries):
            answer: list[Any] = _parse_and_enrich(work.events)
        else:
            answer = _enrich_chunk(work)
        try:
            # a channel's value in a parsed message may not pickle
            data = pickle.dumps(answer, pickle.HIGHEST_PROTOCOL)
        except Exception:
            data = pickle.dumps(None)
        answers.send_bytes(data)


def _read_requests(requests: Connection, waiting: queue.SimpleQueue[bytes | None]) -> None:
    while True:
        try:
            waiting.put(requests.recv_bytes())
        except (EOFError, OSError):
            waiting.put(None)
            return
