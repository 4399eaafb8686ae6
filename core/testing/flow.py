"""Helpers to push deliveries through a runtime in tests, the way the web layer does."""

from __future__ import annotations

from careline.ingest import store_raw_event
from careline.pipeline import ProcessStats, process_pending
from careline.runtime import Runtime


def deliver(runtime: Runtime, channel: str, body: bytes, *, via: str = "webhook") -> bool:
    """Store a raw delivery for ``channel`` (``False`` when it is a repeat)."""
    key = runtime.channel(channel).delivery_key(body)
    with runtime.db.engine.begin() as connection:
        return store_raw_event(connection, channel, key, body, via=via, received_at=runtime.now())


def deliver_and_process(runtime: Runtime, channel: str, *bodies: bytes) -> ProcessStats:
    """Store deliveries and run the pipeline over everything pending."""
    for body in bodies:
        deliver(runtime, channel, body)
    return process_pending(runtime)
