"""A tiny stand-in for the website: it signs form submissions and accepts replies.

- :meth:`EmulatorState.submit` builds a submission, signs it like the website would and POSTs it
  to the webhook URL set with :meth:`EmulatorState.deliver_to` (or just keeps it).
- ``POST /replies`` checks the bearer token, records the reply once per ``Idempotency-Key`` and
  queues a signed ``"type": "reply"`` notice (the echo), sent by :meth:`EmulatorState.flush`.
- :meth:`EmulatorState.fail_next` makes the next replies fail with a chosen status.

Run it for a demo with ``uvicorn --factory careline_contact_form.emulator:create_default_emulator``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx
from careline.channels import WebhookRequest, hmac_signature
from careline.clock import Clock, SystemClock
from careline.servers import serve_in_thread
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from careline_contact_form.channel import MAX_LENGTH

__all__ = ["Delivery", "EmulatorState", "Reply", "create_emulator", "serve_in_thread"]

WEBHOOK_PATH = "/webhooks/contactform"


@dataclass(frozen=True)
class Delivery:
    """One signed POST the website makes to careline."""

    body: bytes
    headers: dict[str, str]

    def request(self, path: str = WEBHOOK_PATH) -> WebhookRequest:
        """The delivery as careline's webhook route hands it to the channel."""
        return WebhookRequest("POST", path, {}, dict(self.headers), self.body)


@dataclass(frozen=True)
class Reply:
    """A reply the website accepted."""

    id: str
    to_email: str
    in_reply_to: str | None
    text: str
    received_at: datetime
    idempotency_key: str | None


@dataclass
class EmulatorState:
    """Everything the emulated website knows; safe to use from the test and server threads."""

    secret: str = "emulator-signing-secret"  # noqa: S105 (a test double's fixed secret)
    api_token: str = "emulator-reply-token"  # noqa: S105
    clock: Clock = field(default_factory=SystemClock)
    webhook_url: str | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    replies: list[Reply] = field(default_factory=list)
    senders: set[str] = field(default_factory=set)
    _pending: list[Delivery] = field(default_factory=list, repr=False)
    _failures: deque[tuple[int, float | None]] = field(default_factory=deque, repr=False)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1), repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    # --- configuration for careline ----------------------------------------------------------
    def environment(self, prefix: str = "CONTACTFORM") -> dict[str, str]:
        """The environment variables the ``$env:`` references of :meth:`channel_config` name."""
        return {f"{prefix}_SECRET": self.secret, f"{prefix}_API_TOKEN": self.api_token}

    def channel_config(self, base_url: str, *, env_prefix: str | None = None) -> dict[str, Any]:
        """A ``[contactform]`` table pointing at this emulator.

        With ``env_prefix`` the secrets are ``$env:`` references (as in ``careline.toml``);
        without, the resolved values (to build the channel directly in tests).
        """
        if env_prefix:
            return {
                "base_url": base_url,
                "secret": f"$env:{env_prefix}_SECRET",
                "api_token": f"$env:{env_prefix}_API_TOKEN",
            }
        return {"base_url": base_url, "secret": self.secret, "api_token": self.api_token}

    def deliver_to(self, url: str) -> None:
        """POST deliveries to careline's webhook at ``url`` from now on."""
        self.webhook_url = url

    # --- inbound: what the website sends ------------------------------------------------------
    def sign(self, payload: dict[str, Any]) -> Delivery:
        """Serialise and sign ``payload`` as the website does, and keep it to deliver."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        headers = {
            "content-type": "application/json",
            "x-signature": "sha256=" + hmac_signature(self.secret, body),
        }
        delivery = Delivery(body=body, headers=headers)
        with self._lock:
            self.deliveries.append(delivery)
            self._pending.append(delivery)
        return delivery

    def submit(
        self,
        email: str,
        message: str,
        *,
        name: str = "",
        subject: str = "",
        thread: str | None = None,
    ) -> Delivery:
        """A visitor sends the form; delivered at once when a webhook URL is set."""
        with self._lock:
            submission_id = f"sub_{next(self._ids)}"
            self.senders.add(email.strip().lower())
        payload: dict[str, Any] = {
            "id": submission_id,
            "submitted_at": self.clock.now().isoformat(),
            "email": email,
            "name": name,
            "subject": subject,
            "message": message,
        }
        if thread is not None:
            payload["thread"] = thread
        delivery = self.sign(payload)
        if self.webhook_url:
            self.flush()
        return delivery

    def flush(self) -> list[int]:
        """POST every delivery not sent yet (submissions and reply notices); their statuses."""
        if not self.webhook_url:
            raise RuntimeError("call deliver_to(url) first")
        with self._lock:
            pending, self._pending = self._pending, []
        statuses = []
        with httpx.Client(timeout=10.0) as client:
            for delivery in pending:
                response = client.post(
                    self.webhook_url, content=delivery.body, headers=delivery.headers
                )
                statuses.append(response.status_code)
        return statuses

    # --- outbound: what careline sends ----------------------------------------------------------
    def fail_next(self, status: int, *, retry_after: float | None = None, times: int = 1) -> None:
        """Answer the next ``times`` replies with ``status`` (and ``Retry-After``)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def accept_reply(
        self, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """What ``POST /replies`` answers: status, JSON body and extra headers."""
        if headers.get("authorization") != f"Bearer {self.api_token}":
            return 401, {"error": "invalid or missing bearer token"}, {}
        with self._lock:
            if self._failures:
                status, wait = self._failures.popleft()
                extra = {"retry-after": str(int(wait))} if wait is not None else {}
                return status, {"error": f"emulated failure {status}"}, extra
        try:
            data = json.loads(body)
        except ValueError:
            return 400, {"error": "the body is not JSON"}, {}
        if not isinstance(data, dict):
            return 400, {"error": "the body must be a JSON object"}, {}
        to_email, text = data.get("to_email"), data.get("text")
        if not isinstance(to_email, str) or not isinstance(text, str) or not text.strip():
            return 422, {"error": "to_email and text are required"}, {}
        if len(text) > MAX_LENGTH:
            return 400, {"error": f"text is longer than {MAX_LENGTH} characters"}, {}
        if to_email.strip().lower() not in self.senders:
            return 422, {"error": "nobody with that address wrote to us"}, {}
        key = headers.get("idempotency-key")
        with self._lock:
            for earlier in self.replies:
                if key and earlier.idempotency_key == key:
                    return 200, {"id": earlier.id}, {}
            reply = Reply(
                id=f"rep_{next(self._ids)}",
                to_email=to_email,
                in_reply_to=data.get("in_reply_to"),
                text=text,
                received_at=self.clock.now(),
                idempotency_key=key,
            )
            self.replies.append(reply)
        self.sign(
            {
                "type": "reply",
                "id": reply.id,
                "sent_at": reply.received_at.isoformat(),
                "to_email": reply.to_email,
                "in_reply_to": reply.in_reply_to,
                "text": reply.text,
            }
        )
        return 201, {"id": reply.id}, {}


def create_emulator(state: EmulatorState) -> Starlette:
    """The website's reply endpoint as an ASGI app (``POST /replies``, ``GET /replies``)."""

    async def post_reply(request: Request) -> Response:
        headers = {key.lower(): value for key, value in request.headers.items()}
        status, payload, extra = state.accept_reply(headers, await request.body())
        return JSONResponse(payload, status_code=status, headers=extra)

    async def list_replies(request: Request) -> Response:
        items = [
            {"id": r.id, "to_email": r.to_email, "in_reply_to": r.in_reply_to, "text": r.text}
            for r in state.replies
        ]
        return JSONResponse({"items": items})

    return Starlette(
        routes=[
            Route("/replies", post_reply, methods=["POST"]),
            Route("/replies", list_replies, methods=["GET"]),
        ]
    )


def create_default_emulator() -> Starlette:
    """An emulator with the default secret and token (for ``uvicorn --factory``)."""
    return create_emulator(EmulatorState())
