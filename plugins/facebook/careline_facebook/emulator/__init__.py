"""The Facebook emulator and the machinery the Instagram emulator shares with it.

``create_emulator(state)`` builds the Starlette app; ``serve_in_thread(app)`` runs it on
loopback; ``careline facebook emulator --port N --webhook-url URL`` runs it from the shell.
"""

from __future__ import annotations

from careline_facebook.emulator.core import (
    DEFAULT_APP_SECRET,
    DEFAULT_VERIFY_TOKEN,
    Delivery,
    GraphApiError,
    MetaEmulatorState,
    OffsetClock,
)
from careline_facebook.emulator.facebook import (
    Comment,
    Customer,
    FacebookEmulatorState,
    Post,
    create_emulator,
)
from careline_facebook.emulator.live import EmulatorServers, LiveEmulator, run_live, serve_emulator
from careline_facebook.emulator.server import WebhookSink, free_port, serve_in_thread

__all__ = [
    "DEFAULT_APP_SECRET",
    "DEFAULT_VERIFY_TOKEN",
    "Comment",
    "Customer",
    "Delivery",
    "EmulatorServers",
    "FacebookEmulatorState",
    "GraphApiError",
    "LiveEmulator",
    "MetaEmulatorState",
    "OffsetClock",
    "Post",
    "WebhookSink",
    "create_emulator",
    "free_port",
    "run_live",
    "serve_emulator",
    "serve_in_thread",
]
