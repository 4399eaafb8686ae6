"""The machinery every Meta emulator shares: clock, tokens, scripted failures, usage, webhooks.

:class:`MetaEmulatorState` is the simulated platform's memory. The Facebook emulator and the
Instagram one (in ``careline-instagram``) subclass it with their own objects (posts, media,
comments) and reuse its Messenger-style private messaging (:mod:`.messaging`).

Webhook deliveries are signed with the app secret exactly like Meta's, recorded in
:attr:`MetaEmulatorState.deliveries`, and POSTed to :attr:`MetaEmulatorState.webhook_url` when
one is set — repeated ``duplicate_deliveries`` times, held back and released out of order on
request, or re-sent later (:meth:`MetaEmulatorState.redeliver`), as Meta does.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
import secrets
import threading
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from careline.clock import ensure_utc

from careline_facebook.graph import tls_context
from careline_facebook.webhooks import envelope, signature_headers

DEFAULT_APP_SECRET = "emulator-app-secret"  # noqa: S105 - the emulator's own, public value
DEFAULT_VERIFY_TOKEN = "emulator-verify-token"  # noqa: S105
USAGE_WINDOW = timedelta(hours=1)


class OffsetClock:
    """The real time shifted by an offset that tests and demos can move (never backwards)."""

    def __init__(self) -> None:
        self._offset = timedelta(0)

    def now(self) -> datetime:
        """The shifted current time."""
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        """Move forward by ``delta`` (or ``timedelta(**kwargs)``)."""
        self._offset += delta if delta is not None else timedelta(**kwargs)
        return self.now()

    def set(self, when: datetime) -> None:
        """Jump to ``when``."""
        self._offset = ensure_utc(when) - datetime.now(UTC)


class GraphApiError(Exception):
    """An error the emulator answers in the Graph API's shape."""

    def __init__(
        self,
        message: str,
        *,
        code: int,
        subcode: int | None = None,
        status: int = 400,
        kind: str = "OAuthException",
        is_transient: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.subcode = subcode
        self.status = status
        self.kind = kind
        self.is_transient = is_transient

    def body(self) -> dict[str, Any]:
        """``{"error": {...}}`` as Meta sends it."""
        error: dict[str, Any] = {
            "message": self.message,
            "type": self.kind,
            "code": self.code,
            "is_transient": self.is_transient,
            "fbtrace_id": "A" + secrets.token_hex(8),
        }
        if self.subcode is not None:
            error["error_subcode"] = self.subcode
        return {"error": error}


class HttpFailure(Exception):
    """A scripted failure without a Graph body (e.g. a 502 from a proxy)."""

    def __init__(self, status: int, body: str = "") -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.body = body


def window_error() -> GraphApiError:
    """Meta's answer to a message outside the allowed window."""
    return GraphApiError(
        "(#10) This message is sent outside of allowed window.", code=10, subcode=2018278
    )


def not_found(object_id: str, method: str = "get") -> GraphApiError:
    """Meta's answer for an unknown object id."""
    return GraphApiError(
        f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be "
        "loaded due to missing permissions, or does not support this operation.",
        code=100,
        subcode=33,
        kind="GraphMethodException",
    )


def invalid_parameter(message: str) -> GraphApiError:
    """Meta's ``(#100)`` answer."""
    return GraphApiError(f"(#100) {message}", code=100)


def required_text(params: Mapping[str, Any], name: str, max_length: int) -> str:
    """A non-empty text parameter no longer than ``max_length``, else Meta's ``(#100)``."""
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise invalid_parameter(f"param {name} must be non-empty")
    if len(value) > max_length:
        raise invalid_parameter(f"param {name} must be at most {max_length} characters")
    return value


@dataclass
class Delivery:
    """One signed webhook delivery, as sent (or as it would have been sent)."""

    body: bytes
    headers: dict[str, str]
    attempts: list[int] = field(default_factory=list)

    def document(self) -> Any:
        """The decoded body."""
        return json.loads(self.body)


@dataclass
class TokenGrant:
    """What an access token opens: one account, until it expires or is revoked."""

    account: str
    expired: bool = False


class MetaEmulatorState:
    """The simulated platform's shared memory; subclasses add their objects and routes."""

    webhook_object = "page"
    channel_name = "meta"

    def __init__(
        self,
        *,
        clock: Any | None = None,
        app_secret: str = DEFAULT_APP_SECRET,
        verify_token: str = DEFAULT_VERIFY_TOKEN,
        webhook_url: str | None = None,
        calls_per_hour: int = 4800,
        api_version: str | None = None,
    ) -> None:
        self.lock = threading.RLock()
        self.clock = clock or OffsetClock()
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.webhook_url = webhook_url
        self.calls_per_hour = calls_per_hour
        self.api_version = api_version
        self.tokens: dict[str, TokenGrant] = {}
        self.failures: deque[GraphApiError | HttpFailure] = deque()
        self.calls: dict[str, deque[datetime]] = {}
        self.deliveries: list[Delivery] = []
        self.duplicate_deliveries = 0
        self.holding = False
        self._held: list[Delivery] = []
        self._outgoing: list[Delivery] = []
        self._ids = itertools.count(1)
        self.requests: list[tuple[str, str]] = []
        self.answered_errors: list[int] = []
        self._http = httpx.Client(timeout=10, verify=tls_context())

    # --- ids and time ------------------------------------------------------------------------
    def now(self) -> datetime:
        """The emulator's current time."""
        return ensure_utc(self.clock.now())

    def next_number(self) -> int:
        """A fresh number for building ids."""
        return next(self._ids)

    # --- tokens ------------------------------------------------------------------------------
    def issue_token(self, account: str) -> str:
        """A new access token for ``account`` (as after the admin reconnects)."""
        token = "EAAG" + secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = TokenGrant(account=account)
        return token

    def expire_token(self, token: str) -> None:
        """Make ``token`` answer 190/463 from now on (the silent expiry)."""
        with self.lock:
            self.tokens[token].expired = True

    def authorize(self, token: str | None, account: str) -> None:
        """Check that ``token`` is valid for ``account``; raise the error Meta would."""
        grant = self.tokens.get(token or "")
        if grant is None:
            raise GraphApiError(
                "Invalid OAuth access token - Cannot parse access token", code=190, status=400
            )
        if grant.expired:
            raise GraphApiError(
                "Error validating access token: Session has expired on "
                f"{self.now():%A, %d-%b-%y %H:%M:%S} UTC.",
                code=190,
                subcode=463,
            )
        if grant.account != account:
            raise GraphApiError("(#200) Permissions error", code=200, status=403)

    # --- scripted failures and usage ---------------------------------------------------------
    def fail_next(
        self,
        code: int,
        *,
        subcode: int | None = None,
        message: str | None = None,
        status: int = 400,
        times: int = 1,
        is_transient: bool = False,
    ) -> None:
        """Make the next ``times`` Graph calls fail with this error."""
        error = GraphApiError(
            message or f"(#{code}) Scripted failure",
            code=code,
            subcode=subcode,
            status=status,
            is_transient=is_transient,
        )
        with self.lock:
            self.failures.extend([error] * times)

    def fail_next_http(self, status: int, *, body: str = "", times: int = 1) -> None:
        """Make the next ``times`` calls answer a bare HTTP ``status`` (no Graph body)."""
        with self.lock:
            self.failures.extend([HttpFailure(status, body)] * times)

    def take_failure(self) -> GraphApiError | HttpFailure | None:
        """The next scripted failure, if any."""
        with self.lock:
            return self.failures.popleft() if self.failures else None

    def count_call(self, account: str) -> None:
        """Count a call against ``account``'s hourly budget; refuse it when the budget is gone."""
        now = self.now()
        with self.lock:
            calls = self.calls.setdefault(account, deque())
            while calls and calls[0] <= now - USAGE_WINDOW:
                calls.popleft()
            if len(calls) >= self.calls_per_hour:
                raise GraphApiError(
                    "(#32) Page request limit reached", code=32, status=400, is_transient=False
                )
            calls.append(now)

    def usage_percent(self, account: str) -> int:
        """How much of ``account``'s hourly budget is used, in percent."""
        now = self.now()
        with self.lock:
            calls = [t for t in self.calls.get(account, ()) if t > now - USAGE_WINDOW]
        return min(100, round(len(calls) * 100 / max(self.calls_per_hour, 1)))

    def usage_headers(self, account: str | None) -> dict[str, str]:
        """``X-App-Usage``, ``X-Page-Usage`` and ``X-Business-Use-Case-Usage`` for a call."""
        if account is None:
            return {}
        percent = self.usage_percent(account)
        usage = {"call_count": percent, "total_cputime": percent // 2, "total_time": percent // 2}
        regain = 0
        if percent >= 100:
            with self.lock:
                oldest = self.calls[account][0]
            regain = max(1, int((oldest + USAGE_WINDOW - self.now()).total_seconds() // 60))
        business = {
            account: [
                {
                    "type": "messenger" if self.webhook_object == "page" else "instagram",
                    **usage,
                    "estimated_time_to_regain_access": regain,
                }
            ]
        }
        return {
            "x-app-usage": json.dumps(usage),
            "x-page-usage": json.dumps(usage),
            "x-business-use-case-usage": json.dumps(business),
        }

    # --- webhooks ----------------------------------------------------------------------------
    def queue_delivery(
        self,
        account: str,
        *,
        changes: Iterable[Mapping[str, Any]] = (),
        messaging: Iterable[Mapping[str, Any]] = (),
    ) -> Delivery:
        """Sign and queue one delivery of one entry; sent by :meth:`flush_deliveries`."""
        entry: dict[str, Any] = {"id": account, "time": int(self.now().timestamp())}
        changes, messaging = list(changes), list(messaging)
        if changes:
            entry["changes"] = changes
        if messaging:
            entry["time"] = int(self.now().timestamp() * 1000)
            entry["messaging"] = messaging
        return self._queue(envelope(self.webhook_object, [entry]))

    def _queue(self, document: Mapping[str, Any]) -> Delivery:
        body = json.dumps(document).encode()
        delivery = Delivery(
            body=body,
            headers={
                "content-type": "application/json",
                **signature_headers(self.app_secret, body),
            },
        )
        with self.lock:
            self.deliveries.append(delivery)
            if self.holding:
                self._held.append(delivery)
            else:
                self._outgoing.extend([delivery] * (1 + self.duplicate_deliveries))
        return delivery

    def deliver_to(self, url: str | None, *, duplicates: int = 0) -> None:
        """Send webhook deliveries to ``url`` from now on (``None`` only records them), each
        ``duplicates`` extra times."""
        with self.lock:
            self.webhook_url = url
            self.duplicate_deliveries = duplicates

    def flush_deliveries(self) -> None:
        """POST the queued deliveries to the webhook URL (outside the lock: the receiver may
        call the emulator back)."""
        with self.lock:
            outgoing, self._outgoing = self._outgoing, []
        for delivery in outgoing:
            self._send_delivery(delivery)

    def _send_delivery(self, delivery: Delivery) -> None:
        if not self.webhook_url:
            return
        try:
            response = self._http.post(
                self.webhook_url, content=delivery.body, headers=delivery.headers
            )
            delivery.attempts.append(response.status_code)
        except httpx.HTTPError:
            delivery.attempts.append(0)

    def hold(self) -> None:
        """Keep new deliveries back until :meth:`release` (to make them arrive out of order)."""
        with self.lock:
            self.holding = True

    def release(self, *, reverse: bool = True) -> None:
        """Send the held deliveries, newest first by default."""
        with self.lock:
            held, self._held, self.holding = self._held, [], False
            for delivery in reversed(held) if reverse else held:
                self._outgoing.extend([delivery] * (1 + self.duplicate_deliveries))
        self.flush_deliveries()

    def redeliver(self, last: int = 1, *, reverse: bool = False, batched: bool = False) -> None:
        """Send the ``last`` deliveries again (Meta's at-least-once repeats).

        ``reverse`` repeats them newest first; ``batched`` merges their entries into one
        delivery, so the repeat has a different body and signature but the same objects.
        """
        with self.lock:
            chosen = self.deliveries[-last:] if last else []
        if reverse:
            chosen = list(reversed(chosen))
        if batched and chosen:
            entries = [e for d in chosen for e in d.document()["entry"]]
            self._queue(envelope(self.webhook_object, entries))
        else:
            with self.lock:
                self._outgoing.extend(chosen)
        self.flush_deliveries()


def paged(items: list[Any], *, limit: Any, after: Any, path: str) -> dict[str, Any]:
    """A Graph API page of ``items`` with cursor paging (cursors are opaque offsets)."""
    size = _bounded_int(limit, default=25, maximum=100)
    start = _offset(after)
    chunk = items[start : start + size]
    result: dict[str, Any] = {"data": chunk}
    if chunk:
        cursors = {"before": _cursor(start), "after": _cursor(start + len(chunk))}
        result["paging"] = {"cursors": cursors}
        if start + size < len(items):
            result["paging"]["next"] = f"{path}?after={cursors['after']}"
    return result


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(after: Any) -> int:
    if not after:
        return 0
    try:
        text = base64.urlsafe_b64decode(str(after).encode()).decode()
        return max(0, int(text.removeprefix("offset:")))
    except (ValueError, UnicodeDecodeError) as exc:
        raise invalid_parameter(f"invalid paging cursor {after!r}") from exc


def _bounded_int(value: Any, *, default: int, maximum: int) -> int:
    try:
        number = int(value) if value not in (None, "") else default
    except (TypeError, ValueError) as exc:
        raise invalid_parameter(f"limit must be a number, not {value!r}") from exc
    return max(1, min(number, maximum))


def edge_modifier(fields: str, edge: str, modifier: str) -> str | None:
    """The argument of ``edge.modifier(…)`` in a field expansion, e.g. ``since`` of
    ``comments.filter(stream).since(1701410000){id,message}``."""
    match = re.search(rf"(?:^|[,{{]){re.escape(edge)}((?:\.\w+\([^)]*\))*)", fields)
    if match is None:
        return None
    found = re.search(rf"\.{re.escape(modifier)}\(([^)]*)\)", match.group(1))
    return found.group(1) if found else None
