"""A local stand-in for the care leads' chat: it receives the escalation plugin's signed
notification webhooks, checks the signature and keeps them (``GET /`` lists them).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

SIGNATURE_HEADER = "x-careline-signature"


@dataclass
class NotificationReceiver:
    """Received notifications, in order; ``on_receive`` is told about each one."""

    secret: str
    on_receive: Callable[[dict[str, Any]], None] | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def app(self) -> Starlette:
        """The receiving app: ``POST /notifications`` and ``GET /``."""

        async def receive(request: Request) -> Response:
            body = await request.body()
            expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
            if not hmac.compare_digest(expected, request.headers.get(SIGNATURE_HEADER, "")):
                with self.lock:
                    self.refused += 1
                return JSONResponse({"error": "bad signature"}, status_code=401)
            payload = json.loads(body)
            with self.lock:
                self.received.append(payload)
            if self.on_receive is not None:
                self.on_receive(payload)
            return JSONResponse({"ok": True})

        async def listing(_request: Request) -> Response:
            with self.lock:
                return JSONResponse({"received": self.received, "refused": self.refused})

        return Starlette(
            routes=[
                Route("/notifications", receive, methods=["POST"]),
                Route("/", listing, methods=["GET"]),
            ]
        )
