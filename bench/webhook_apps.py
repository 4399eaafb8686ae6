"""The two apps the webhook benchmark compares, importable by uvicorn's worker processes.

``careline_app`` is exactly what ``careline serve --no-worker`` serves (``create_app``), with the
in-repository test channel registered so deliveries can be signed without platform secrets;
``bare_app`` only reads the body and answers 200 — the floor.

``python webhook_apps.py FACTORY PORT WORKERS`` serves one of them from several processes with
:func:`careline.web.factory.serve_processes` (one process is served by ``uvicorn`` itself).
"""

from __future__ import annotations

import os
import sys

from careline.config import load_settings
from careline.plugins import get_plugin_manager
from careline.testing.channel import TestChannelPlugin
from careline.web.app import create_app
from careline.web.factory import serve_processes
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


def careline_app() -> Starlette:
    """careline's web app for the instance in ``CARELINE_HOME``."""
    settings = load_settings(os.environ["CARELINE_HOME"], require=True)
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": ""}, plugins=[TestChannelPlugin()])
    return create_app(settings, pm)


async def _receive(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse({"received": True})


def bare_app() -> Starlette:
    """A Starlette endpoint that reads the body and answers 200."""
    return Starlette(routes=[Route("/webhooks/testchannel", _receive, methods=["POST"])])


if __name__ == "__main__":
    factory, port, workers = sys.argv[1:4]
    serve_processes(
        f"webhook_apps:{factory}",
        host="127.0.0.1",
        port=int(port),
        workers=int(workers),
        log_level="info",  # the benchmark waits for each process's "startup complete"
        access_log=False,
    )
