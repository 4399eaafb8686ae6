"""``/_emulator/…``: drive the simulation over HTTP (customers act, failures, webhooks).

- ``POST /_emulator/customer/tweet`` ``{"customer", "text", "in_reply_to"?, "lang"?}``
- ``POST /_emulator/customer/dm`` ``{"customer", "to", "text"}``
- ``POST /_emulator/customer/delete`` ``{"customer", "tweet_id"}``
- ``POST /_emulator/customers`` ``{"username", "name"?, "followers"?}``
- ``POST /_emulator/webhook`` ``{"url"}`` (runs the CRC check first)
- ``POST /_emulator/fail`` ``{"route", "status", "times"?}``
- ``POST /_emulator/expire-tokens`` ``{"user"}``
- ``GET /_emulator/state``: brands (with their current tokens), customers, counts.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from careline_twitter.emulator.state import EmulatorError, EmulatorState
from careline_twitter.emulator.webhooks import WebhookRegistrationError

Action = Callable[[dict[str, Any]], Any]


def control_routes(state: EmulatorState) -> list[Route]:
    """The control routes over ``state``."""

    def tweet(body: dict[str, Any]) -> Any:
        post = state.customer_posts(
            str(body["customer"]),
            str(body["text"]),
            in_reply_to=body.get("in_reply_to"),
            lang=str(body.get("lang", "en")),
        )
        return {"id": post.id, "conversation_id": post.conversation_id}

    def dm(body: dict[str, Any]) -> Any:
        message = state.customer_sends_dm(str(body["customer"]), str(body["to"]), str(body["text"]))
        return {"id": message.id, "dm_conversation_id": message.conversation_id}

    def delete(body: dict[str, Any]) -> Any:
        post = state.delete_post(str(body["tweet_id"]), by=body.get("customer"))
        return {"id": post.id, "deleted": True}

    def customer(body: dict[str, Any]) -> Any:
        user = state.add_customer(
            str(body["username"]), body.get("name"), followers=int(body.get("followers", 120))
        )
        return {"id": user.id, "username": user.username}

    def webhook(body: dict[str, Any]) -> Any:
        state.deliver_to(str(body["url"]))
        return {"url": body["url"], "valid": True}

    def fail(body: dict[str, Any]) -> Any:
        state.fail_next(str(body["route"]), int(body["status"]), times=int(body.get("times", 1)))
        return {"scripted": body["route"]}

    def expire(body: dict[str, Any]) -> Any:
        state.expire_tokens(str(body["user"]))
        return {"expired": body["user"]}

    async def summary(request: Request) -> Response:
        with state.lock:
            brands = [
                {
                    "id": b.id,
                    "username": b.username,
                    "access_token": state.tokens_of(b.id).access_token,
                    "refresh_token": state.tokens_of(b.id).refresh_token,
                }
                for b in state.brands
            ]
            customers = [
                {"id": u.id, "username": u.username} for u in state.users.values() if not u.brand
            ]
            return JSONResponse(
                {
                    "brands": brands,
                    "customers": customers,
                    "posts": len(state.posts),
                    "direct_messages": len(state.messages),
                    "deliveries": len(state.deliveries),
                }
            )

    return [
        Route("/_emulator/customer/tweet", _action(tweet), methods=["POST"]),
        Route("/_emulator/customer/dm", _action(dm), methods=["POST"]),
        Route("/_emulator/customer/delete", _action(delete), methods=["POST"]),
        Route("/_emulator/customers", _action(customer), methods=["POST"]),
        Route("/_emulator/webhook", _action(webhook, blocking=True), methods=["POST"]),
        Route("/_emulator/fail", _action(fail), methods=["POST"]),
        Route("/_emulator/expire-tokens", _action(expire), methods=["POST"]),
        Route("/_emulator/state", summary, methods=["GET"]),
    ]


def _action(action: Action, *, blocking: bool = False) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        try:
            body = json.loads(await request.body() or b"{}")
            if not isinstance(body, dict):
                raise TypeError("the body must be a JSON object")
            if blocking:
                result = await run_in_threadpool(action, body)
            else:
                result = action(body)
        except (KeyError, TypeError, ValueError) as error:
            return JSONResponse({"error": f"bad request: {error}"}, status_code=400)
        except (EmulatorError, WebhookRegistrationError) as error:
            return JSONResponse({"error": str(error)}, status_code=409)
        return JSONResponse(result, status_code=201)

    return endpoint
