"""The checks every emulated API call passes, in X's order, and the helpers handlers share.

A scripted failure if one is pending, then authentication (app bearer or OAuth 2.0 user token;
an expired or unknown token → 401; user-only endpoints refuse the app with 403
``unsupported-authentication``), then the rate limit (429 with ``x-rate-limit-*`` headers).
Handlers raise :class:`Refusal` for X's error answers (400 ``invalid-request`` …).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from careline_twitter.emulator.shapes import invalid_request, problem
from careline_twitter.emulator.state import EmulatorState
from careline_twitter.ids import is_id


class Refusal(Exception):
    """An API call answered with an error status (raised inside handlers)."""

    def __init__(self, status: int, body: Mapping[str, Any]) -> None:
        super().__init__(status)
        self.status = status
        self.body = body


@dataclass(frozen=True, slots=True)
class Caller:
    """Who made a call: the app (``user_id=None``) or a user through their token."""

    user_id: str | None

    @property
    def kind(self) -> str:
        """``app`` or ``user``."""
        return "app" if self.user_id is None else "user"

    @property
    def subject(self) -> str:
        """The rate-limit bucket."""
        return self.user_id or "app"


def unauthorized() -> Refusal:
    """X's 401."""
    return Refusal(401, problem(401, "Unauthorized", "Unauthorized"))


def bad_parameter(name: str, value: str, message: str) -> Refusal:
    """A 400 ``invalid-request`` naming the parameter."""
    return Refusal(400, invalid_request(message, {name: [value]}))


Handler = Callable[[Request, Caller], Awaitable[tuple[int, Any]]]


def guarded(
    state: EmulatorState, route: str, handler: Handler, *, user_only: bool
) -> Callable[[Request], Awaitable[Response]]:
    """Wrap ``handler`` (named ``route`` for limits and scripted failures) in X's checks."""

    async def endpoint(request: Request) -> Response:
        state.requests.append(request_line(request))
        failure = state.take_failure(route)
        if failure is not None:
            return scripted_response(
                state, failure.status, failure.body, failure.headers, failure.reset_in
            )
        headers: dict[str, str] = {}
        try:
            caller = authenticate(state, request, user_only=user_only)
            allowed, headers = state.limiter.take(
                route, caller.kind, caller.subject, state.clock.now()
            )
            if not allowed:
                raise Refusal(429, problem(429, "Too Many Requests", "Too Many Requests"))
            status, body = await handler(request, caller)
        except Refusal as refusal:
            media_type = "application/json" if refusal.status == 400 else "application/problem+json"
            return JSONResponse(
                refusal.body, status_code=refusal.status, headers=headers, media_type=media_type
            )
        return JSONResponse(body, status_code=status, headers=headers)

    return endpoint


def authenticate(state: EmulatorState, request: Request, *, user_only: bool) -> Caller:
    """Who is calling, from the ``Authorization: Bearer`` header."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise unauthorized()
    if token == state.bearer_token:
        if user_only:
            raise Refusal(
                403,
                problem(
                    403,
                    "Unsupported Authentication",
                    "Authenticating with OAuth 2.0 Application-Only is forbidden for this "
                    "endpoint.  Supported authentication types are [OAuth 1.0a User Context, "
                    "OAuth 2.0 User Context].",
                    "unsupported-authentication",
                ),
            )
        return Caller(None)
    user_id, valid = state.user_for_token(token)
    if user_id is None or not valid:
        raise unauthorized()
    return Caller(user_id)


def request_line(request: Request) -> str:
    query = request.url.query
    return f"{request.method} {request.url.path}" + (f"?{query}" if query else "")


def scripted_response(
    state: EmulatorState,
    status: int,
    body: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    reset_in: int,
) -> Response:
    """The answer of a scripted failure (X's problem body and headers for that status)."""
    reset = str(int(state.clock.now().timestamp()) + reset_in)
    base: dict[str, str] = {}
    if status == 429:
        base = {
            "x-rate-limit-limit": "100",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": reset,
        }
    default = {
        401: problem(401, "Unauthorized", "Unauthorized"),
        429: problem(429, "Too Many Requests", "Too Many Requests"),
        500: problem(500, "Internal Server Error", "Internal Server Error"),
        503: problem(503, "Service Unavailable", "Service Unavailable"),
    }.get(status, problem(status, "Error", f"Scripted failure {status}"))
    return JSONResponse(
        dict(body) if body is not None else default, status_code=status, headers={**base, **headers}
    )


def check_parameters(params: Mapping[str, str], allowed: Collection[str]) -> None:
    for name in params:
        if name not in allowed:
            raise bad_parameter(
                name,
                params[name],
                f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]",
            )


def field_list(params: Mapping[str, str], name: str, allowed: Collection[str]) -> frozenset[str]:
    raw = params.get(name)
    if not raw:
        return frozenset()
    values = [v.strip() for v in raw.split(",")]
    for value in values:
        if value not in allowed:
            raise bad_parameter(
                name,
                value,
                f"The `{name}` query parameter value [{value}] is not one of [{','.join(sorted(allowed))}]",
            )
    return frozenset(values)


def max_results(params: Mapping[str, str], low: int, high: int, *, default: int) -> int:
    raw = params.get("max_results")
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise bad_parameter(
            "max_results",
            raw,
            f"The `max_results` query parameter value [{raw}] is not between {low} and {high}",
        )
    return int(raw)


def _encode_token(item_id: str) -> str:
    return base64.b32encode(item_id.encode()).decode().rstrip("=").lower()


def _decode_token(token: str) -> str | None:
    padded = token.upper() + "=" * (-len(token) % 8)
    try:
        decoded = base64.b32decode(padded).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if is_id(decoded) else None


def paginate(items: list[Any], token: str | None, limit: int) -> tuple[list[Any], str | None]:
    """A page of newest-first ``items`` after ``token`` (the id of the last item already sent)."""
    if token is not None:
        after = _decode_token(token)
        if after is None:
            raise bad_parameter(
                "pagination_token",
                token,
                f"The `pagination_token` query parameter value [{token}] is not valid",
            )
        items = [item for item in items if int(item.id) < int(after)]
    page = items[:limit]
    next_token = _encode_token(page[-1].id) if len(items) > limit else None
    return page, next_token


async def json_body(request: Request) -> dict[str, Any]:
    raw = await request.body()
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise Refusal(
            400,
            problem(400, "Invalid Request", "Request body is not valid JSON.", "invalid-request"),
        ) from None
    if not isinstance(body, dict):
        raise Refusal(400, invalid_request("$: object expected", {"body": [str(body)[:40]]}))
    return body
