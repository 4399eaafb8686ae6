"""Run an emulator (or any ASGI app) on loopback in a background thread, and a webhook sink.

``serve_in_thread(app)`` is what the plugins' tests use to talk to an emulator over real HTTP;
:class:`WebhookSink` is a tiny receiver that records the deliveries an emulator sends, turned
into :class:`~careline.channels.WebhookRequest` objects exactly as careline's web layer hands
them to a channel.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import uvicorn
from careline.channels import WebhookRequest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

STARTUP_TIMEOUT = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serve_in_thread(app: Any, *, host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a daemon thread; yield its base URL; stop on exit."""
    config = uvicorn.Config(
        app,
        host=host,
        port=port or free_port(host),
        log_level="warning",
        lifespan="off",
        access_log=False,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="careline-emulator", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the server on {host}:{config.port} did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{config.port}"
    finally:
        server.should_exit = True
        server.force_exit = True
        thread.join(timeout=STARTUP_TIMEOUT)


class WebhookSink:
    """Records webhook deliveries POSTed to it (and answers hub challenges with 200)."""

    def __init__(self, path: str = "/webhooks/{channel}") -> None:
        self.received: list[WebhookRequest] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route(path, self._receive, methods=["GET", "POST"])])

    async def _receive(self, request: Request) -> Response:
        received = WebhookRequest(
            method=request.method,
            path=request.url.path,
            query=dict(request.query_params),
            headers={key.lower(): value for key, value in request.headers.items()},
            body=await request.body(),
        )
        with self._lock:
            self.received.append(received)
        return PlainTextResponse("EVENT_RECEIVED")

    def take(self) -> list[WebhookRequest]:
        """The deliveries received so far (and forget them)."""
        with self._lock:
            received, self.received = self.received, []
        return received
