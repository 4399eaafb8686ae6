"""The Starlette application: webhooks, the JSON API, the agent inbox, plugin routes."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import AsyncIterator

import pluggy
from careline import __version__
from careline.config import Settings
from careline.runtime import Runtime
from careline.web import inbox, webhooks
from careline.web.api import admin, conversations, reports
from careline.web.api.registry import ApiRegistry, openapi_document
from careline.web.errors import ApiError, api_error_handler, problem
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

log = logging.getLogger("careline.web")
API_MODULES = (conversations, admin, reports)


class BrowserSessionMiddleware(SessionMiddleware):
    """Signed session cookies for the inbox and API, skipped on the webhook hot path."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/webhooks/"):
            await self.app(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def api_registry() -> ApiRegistry:
    """Every API endpoint of the core, in one registry."""
    combined = ApiRegistry()
    for module in API_MODULES:
        combined.endpoints.extend(module.registry.endpoints)
    return combined


def create_app(
    settings: Settings,
    pm: pluggy.PluginManager,
    *,
    runtime: Runtime | None = None,
    run_worker: bool = False,
) -> Starlette:
    """Build the web app; with ``run_worker`` the worker runs in the same process."""
    runtime = runtime or Runtime.create(settings, pm)
    registry = api_registry()
    document = openapi_document(registry, version=__version__)

    async def openapi(_request: Request) -> Response:
        return JSONResponse(document)

    async def home(_request: Request) -> Response:
        return RedirectResponse("/inbox", status_code=303)

    routes: list[BaseRoute] = [
        *webhooks.routes(),  # first: the hot path should not be matched against every route
        Route("/", home),
        Route("/api/openapi.json", openapi),
        *registry.routes(),
        *inbox.routes(),
    ]
    for extra in pm.hook.careline_web_routes(settings=settings):
        routes.extend(extra or [])

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        worker_thread = None
        worker = None
        if run_worker:
            from careline.worker import Worker

            worker = Worker(runtime)
            worker_thread = threading.Thread(target=worker.run, name="careline-worker", daemon=True)
            worker_thread.start()
        try:
            yield
        finally:
            await app.state.raw_event_writer.close()
            if worker is not None and worker_thread is not None:
                worker.stop()
                worker_thread.join(timeout=30)
            runtime.close()

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(("/api", "/webhooks")):
            return problem(404, f"nothing at {request.url.path}")
        return inbox.error_page(request, 404, "This page does not exist.")

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path, exc_info=exc)
        return problem(500, "careline failed to answer this request; the error is in its log")

    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                BrowserSessionMiddleware,
                secret_key=settings.secret_key,
                session_cookie="careline_session",
                max_age=int(settings.core("web").session_max_age.total_seconds()),
                same_site="lax",
                https_only=settings.instance.base_url.startswith("https"),
            )
        ],
        exception_handlers={ApiError: api_error_handler, 404: not_found, 500: server_error},
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.raw_event_writer = webhooks.RawEventWriter(runtime)
    app.state.login_throttle = inbox.LoginThrottle(settings.core("web").login_attempts_per_minute)
    app.state.registry = registry
    return app
