"""Starlette plumbing shared by the Meta emulators: Graph-style endpoints and control routes.

A Graph endpoint is a plain function ``handler(call) -> dict`` run in a worker thread (it may
deliver webhooks, which must not block the event loop). :class:`GraphCall` carries the path
parameters, the merged query/form/JSON parameters and the access token; ``call.authorize(id)``
checks the token for an account and counts the call against its usage budget. Errors are
answered in Meta's shape, with the usage headers of the account.

The control routes under ``/_emulator/`` let tests and demos move the clock, issue and expire
tokens, script failures, and hold, release or repeat webhook deliveries.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from careline_facebook.emulator.core import (
    GraphApiError,
    HttpFailure,
    MetaEmulatorState,
    invalid_parameter,
)

VERSION_PATTERN = re.compile(r"^v\d+\.\d+$")


@dataclass
class GraphCall:
    """One request to an emulated Graph endpoint."""

    state: MetaEmulatorState
    method: str
    path: str
    path_params: Mapping[str, str]
    params: dict[str, Any]
    token: str | None
    account: str | None = field(default=None)

    def authorize(self, account: str) -> None:
        """Check the token for ``account`` and count the call against its budget."""
        self.state.authorize(self.token, account)
        self.account = account
        self.state.count_call(account)


GraphHandler = Callable[[GraphCall], dict[str, Any]]
ControlAction = Callable[[Any, dict[str, Any]], Any]


def emulator_state(request: Request) -> Any:
    """The state the app serves (looked up per request, so a running server can be reused
    with a fresh state)."""
    return request.app.state.emulator


async def read_params(request: Request) -> dict[str, Any]:
    """Query parameters merged with a JSON or form body (Graph accepts all three)."""
    params: dict[str, Any] = dict(request.query_params)
    if request.method != "POST":
        return params
    content_type = request.headers.get("content-type", "")
    if "json" in content_type:
        try:
            body = await request.json()
        except ValueError as exc:
            raise invalid_parameter("the request body is not valid JSON") from exc
        if isinstance(body, Mapping):
            params.update(body)
    else:
        form = await request.form()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return params


def _token(request: Request, params: dict[str, Any]) -> str | None:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        params.pop("access_token", None)
        return header[7:].strip()
    value = params.pop("access_token", None)
    return str(value) if value else None


def graph_endpoint(handler_name: str) -> Callable[..., Any]:
    """An endpoint calling the state's method ``handler_name`` and answering like Graph."""

    async def endpoint(request: Request) -> Response:
        state: MetaEmulatorState = emulator_state(request)
        handler: GraphHandler = getattr(state, handler_name)
        call: GraphCall | None = None
        try:
            if not VERSION_PATTERN.match(request.path_params.get("version", "")):
                raise invalid_parameter("Unknown path components: use /vNN.0/…")
            params = await read_params(request)
            call = GraphCall(
                state=state,
                method=request.method,
                path=request.url.path,
                path_params=request.path_params,
                params=params,
                token=_token(request, params),
            )
            with state.lock:
                state.requests.append((request.method, request.url.path))
            failure = state.take_failure()
            if failure is not None:
                raise failure
            result = await run_in_threadpool(handler, call)
            return JSONResponse(result, headers=state.usage_headers(call.account))
        except GraphApiError as error:
            account = call.account if call else None
            with state.lock:
                state.answered_errors.append(error.code)
            return JSONResponse(
                error.body(), status_code=error.status, headers=state.usage_headers(account)
            )
        except HttpFailure as failure:
            return PlainTextResponse(failure.body, status_code=failure.status)

    return endpoint


def control_endpoint(action: ControlAction) -> Callable[..., Any]:
    """Wrap a control action ``action(state, params) -> JSON`` (run in a worker thread)."""

    async def endpoint(request: Request) -> Response:
        try:
            params = await read_params(request)
            result = await run_in_threadpool(action, emulator_state(request), params)
        except GraphApiError as error:
            return JSONResponse(error.body(), status_code=error.status)
        except (KeyError, TypeError, ValueError) as exc:
            return JSONResponse({"error": {"message": f"bad control request: {exc}"}}, 400)
        return JSONResponse(result if result is not None else {"ok": True})

    return endpoint


def _clock(state: MetaEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    if "advance_seconds" in params:
        state.clock.advance(timedelta(seconds=float(params["advance_seconds"])))
    if "set" in params:
        state.clock.set(datetime.fromisoformat(str(params["set"]).replace("Z", "+00:00")))
    return {"now": state.now().isoformat()}


def _issue_token(state: MetaEmulatorState, params: dict[str, Any]) -> dict[str, Any]:
    return {"access_token": state.issue_token(str(params["account"]))}


def _expire_token(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    state.expire_token(str(params["access_token"]))


def _fail(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    times = int(params.get("times", 1))
    if "http_status" in params:
        state.fail_next_http(int(params["http_status"]), times=times)
        return
    subcode = params.get("subcode")
    state.fail_next(
        int(params["code"]),
        subcode=int(subcode) if subcode is not None else None,
        message=params.get("message"),
        status=int(params.get("status", 400)),
        times=times,
        is_transient=bool(params.get("is_transient", False)),
    )


def _webhook(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    state.deliver_to(params.get("url") or None, duplicates=int(params.get("duplicates", 0)))


def _usage(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    state.calls_per_hour = int(params["calls_per_hour"])


def _hold(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    state.hold()


def _release(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    state.release(reverse=bool(params.get("reverse", True)))


def _redeliver(state: MetaEmulatorState, params: dict[str, Any]) -> None:
    state.redeliver(
        int(params.get("last", 1)),
        reverse=bool(params.get("reverse", False)),
        batched=bool(params.get("batched", False)),
    )


def _deliveries(state: MetaEmulatorState, params: dict[str, Any]) -> list[dict[str, Any]]:
    with state.lock:
        return [
            {"body": json.loads(d.body), "headers": d.headers, "attempts": d.attempts}
            for d in state.deliveries
        ]


CONTROL_ACTIONS: dict[str, tuple[ControlAction, list[str]]] = {
    "clock": (_clock, ["GET", "POST"]),
    "tokens": (_issue_token, ["POST"]),
    "tokens/expire": (_expire_token, ["POST"]),
    "fail": (_fail, ["POST"]),
    "webhook": (_webhook, ["POST"]),
    "usage": (_usage, ["POST"]),
    "hold": (_hold, ["POST"]),
    "release": (_release, ["POST"]),
    "redeliver": (_redeliver, ["POST"]),
    "deliveries": (_deliveries, ["GET"]),
}


def control_routes(extra: Mapping[str, ControlAction] | None = None) -> list[Route]:
    """``/_emulator/…``: clock, tokens, failures, usage and webhook delivery controls, plus
    ``extra`` platform actions (POST)."""
    actions = {**CONTROL_ACTIONS, **{name: (a, ["POST"]) for name, a in (extra or {}).items()}}
    return [
        Route(f"/_emulator/{name}", control_endpoint(action), methods=methods)
        for name, (action, methods) in actions.items()
    ]


def graph_routes() -> list[Route]:
    """``/{version}/{node}`` and ``/{version}/{node}/{edge}`` for GET and POST, answered by
    the state's ``node_get``, ``node_post``, ``edge_get`` and ``edge_post``."""
    return [
        Route("/{version}/{node}", graph_endpoint("node_get"), methods=["GET"]),
        Route("/{version}/{node}", graph_endpoint("node_post"), methods=["POST"]),
        Route("/{version}/{node}/{edge}", graph_endpoint("edge_get"), methods=["GET"]),
        Route("/{version}/{node}/{edge}", graph_endpoint("edge_post"), methods=["POST"]),
    ]
