"""An app factory for servers that import the app by name (uvicorn with several workers)."""

from __future__ import annotations

import contextlib
import os
import socket
from typing import Any

import uvicorn
from careline.config import load_settings
from careline.plugins import get_plugin_manager
from careline.web.app import create_app
from starlette.applications import Starlette
from uvicorn.supervisors import Multiprocess


def app_from_environment() -> Starlette:
    """Build the app from ``CARELINE_HOME`` and the installed plugins."""
    settings = load_settings(os.environ.get("CARELINE_HOME"), require=True)
    run_worker = os.environ.get("CARELINE_RUN_WORKER", "0") == "1"
    return create_app(settings, get_plugin_manager(), run_worker=run_worker)


class NoDelayConfig(uvicorn.Config):
    """uvicorn's configuration, with a listening socket whose connections get ``TCP_NODELAY``.

    With several workers uvicorn binds the socket itself and leaves its ``proto`` at 0; the
    accepted connections inherit it and asyncio only sets ``TCP_NODELAY`` on sockets that say
    ``IPPROTO_TCP`` (uvicorn issue #3149). Nagle's algorithm then holds each response's body
    until the client's delayed ACK of the headers: about 40 ms per keep-alive request on Linux,
    which capped four processes at ~650 requests/s. One process is not affected (asyncio binds
    that socket from ``getaddrinfo``).
    """

    def bind_socket(self) -> socket.socket:
        """The listening socket, declared as TCP so connections accepted from it get NODELAY."""
        sock = super().bind_socket()
        if sock.family in (socket.AF_INET, socket.AF_INET6) and sock.proto == 0:
            sock = socket.socket(sock.family, sock.type, socket.IPPROTO_TCP, fileno=sock.detach())
            sock.set_inheritable(True)
        return sock


def serve_processes(app: str, *, host: str, port: int, workers: int, **options: Any) -> None:
    """Serve the app factory ``app`` (``"module:function"``) from ``workers`` processes.

    What ``uvicorn.run(app, factory=True, workers=workers)`` does, with :class:`NoDelayConfig`.
    ``options`` are further :class:`uvicorn.Config` arguments.
    """
    config = NoDelayConfig(app, factory=True, host=host, port=port, workers=workers, **options)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the processes: no traceback
        Multiprocess(config, sockets=[config.bind_socket()]).run()
