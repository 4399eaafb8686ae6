"""An X (Twitter) API emulator: the endpoints careline uses, with X's shapes, checks and limits.

``create_emulator(state)`` builds the Starlette app; :class:`EmulatorState` is the simulated
world (brand accounts, customers, posts, DMs, tokens, scripted failures, signed Account Activity
deliveries to a registered webhook URL). ``serve_in_thread(app)`` runs it on loopback.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.applications import Starlette

from careline_twitter.emulator.api import api_routes
from careline_twitter.emulator.control import control_routes
from careline_twitter.emulator.server import serve_in_thread
from careline_twitter.emulator.state import EmulatorError, EmulatorState, demo_state
from careline_twitter.emulator.webhooks import Delivery, WebhookRegistrationError


def create_emulator(
    state: EmulatorState, *, on_startup: Callable[[], Any] | None = None
) -> Starlette:
    """The emulator app over ``state`` (API v2 endpoints plus ``/_emulator/…`` controls).

    ``on_startup`` runs once the server is up (e.g. to register a webhook URL).
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if on_startup is not None:
            on_startup()
        yield
        state.close()

    return Starlette(routes=[*api_routes(state), *control_routes(state)], lifespan=lifespan)


__all__ = [
    "Delivery",
    "EmulatorError",
    "EmulatorState",
    "WebhookRegistrationError",
    "create_emulator",
    "demo_state",
    "serve_in_thread",
]
