"""The emulator's X API v2 endpoints: the reads and writes careline uses, with X's checks.

Each call goes through the same gate as on X: a scripted failure if one is pending, then
authentication (app bearer or OAuth 2.0 user token; expired → 401; user-only endpoints refuse
the app with 403 ``unsupported-authentication``), then the rate limit (429 with
``x-rate-limit-*`` headers), then parameter validation (400 ``invalid-request``).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from careline_twitter.emulator.model import DirectMessage, Post
from careline_twitter.emulator.query import Candidate, QueryError, compile_query
from careline_twitter.emulator.shapes import (
    invalid_request,
    problem,
    v2_dm_event,
    v2_media,
    v2_post,
    v2_user,
)
from careline_twitter.emulator.state import EmulatorError, EmulatorState
from careline_twitter.ids import is_id
from careline_twitter.length import is_valid_post

TWEET_FIELDS = frozenset(
    {
        "attachments",
        "author_id",
        "context_annotations",
        "conversation_id",
        "created_at",
        "edit_controls",
        "edit_history_tweet_ids",
        "entities",
        "geo",
        "id",
        "in_reply_to_user_id",
        "lang",
        "note_tweet",
        "possibly_sensitive",
        "public_metrics",
        "referenced_tweets",
        "reply_settings",
        "source",
        "text",
        "withheld",
    }
)
USER_FIELDS = frozenset(
    {
        "created_at",
        "description",
        "entities",
        "id",
        "location",
        "name",
        "pinned_tweet_id",
        "profile_image_url",
        "protected",
        "public_metrics",
        "url",
        "username",
        "verified",
        "verified_type",
        "withheld",
    }
)
MEDIA_FIELDS = frozenset({"media_key", "type", "url", "preview_image_url", "width", "height"})
TWEET_EXPANSIONS = frozenset(
    {"author_id", "attachments.media_keys", "referenced_tweets.id", "in_reply_to_user_id"}
)
DM_FIELDS = frozenset(
    {
        "id",
        "event_type",
        "text",
        "sender_id",
        "dm_conversation_id",
        "created_at",
        "participant_ids",
        "attachments",
        "referenced_tweets",
    }
)
DM_EXPANSIONS = frozenset({"sender_id", "participant_ids", "attachments.media_keys"})
DM_EVENT_TYPES = frozenset({"MessageCreate", "ParticipantsJoin", "ParticipantsLeave"})
TIMELINE_PARAMETERS = frozenset(
    {
        "since_id",
        "until_id",
        "max_results",
        "pagination_token",
        "start_time",
        "end_time",
        "tweet.fields",
        "expansions",
        "user.fields",
        "media.fields",
        "place.fields",
        "poll.fields",
    }
)
SEARCH_PARAMETERS = (TIMELINE_PARAMETERS - {"pagination_token"}) | {
    "query",
    "next_token",
    "pagination_token",
    "sort_order",
}
DM_PARAMETERS = frozenset(
    {
        "max_results",
        "pagination_token",
        "event_types",
        "dm_event.fields",
        "expansions",
        "user.fields",
        "tweet.fields",
        "media.fields",
    }
)
SEARCH_WINDOW = timedelta(days=7)


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


Handler = Callable[[Request, Caller], Awaitable[tuple[int, Any]]]


def unauthorized() -> Refusal:
    """X's 401."""
    return Refusal(401, problem(401, "Unauthorized", "Unauthorized"))


def bad_parameter(name: str, value: str, message: str) -> Refusal:
    """A 400 ``invalid-request`` naming the parameter."""
    return Refusal(400, invalid_request(message, {name: [value]}))


class Api:
    """The API endpoints over one :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

    def routes(self) -> list[Route]:
        """The Starlette routes of the API."""
        gate = self._gate
        return [
            Route(
                "/2/users/{id}/mentions",
                gate("GET /2/users/:id/mentions", self.mentions, user_only=False),
                methods=["GET"],
            ),
            Route(
                "/2/users/{id}/tweets",
                gate("GET /2/users/:id/tweets", self.timeline, user_only=False),
                methods=["GET"],
            ),
            Route(
                "/2/tweets/search/recent",
                gate("GET /2/tweets/search/recent", self.search, user_only=False),
                methods=["GET"],
            ),
            Route(
                "/2/dm_events",
                gate("GET /2/dm_events", self.dm_events, user_only=True),
                methods=["GET"],
            ),
            Route(
                "/2/tweets",
                gate("POST /2/tweets", self.create_post, user_only=True),
                methods=["POST"],
            ),
            Route(
                "/2/dm_conversations/with/{participant_id}/messages",
                gate(
                    "POST /2/dm_conversations/with/:participant_id/messages",
                    self.send_dm,
                    user_only=True,
                ),
                methods=["POST"],
            ),
            Route("/2/oauth2/token", self.token, methods=["POST"]),
        ]

    # --- the gate -----------------------------------------------------------------------
    def _gate(
        self, route: str, handler: Handler, *, user_only: bool
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            state = self.state
            state.requests.append(_request_line(request))
            failure = state.take_failure(route)
            if failure is not None:
                return _scripted(
                    failure.status, failure.body, failure.headers, failure.reset_in, state
                )
            headers: dict[str, str] = {}
            try:
                caller = self._authenticate(request, user_only=user_only)
                allowed, headers = state.limiter.take(
                    route, caller.kind, caller.subject, state.clock.now()
                )
                if not allowed:
                    raise Refusal(429, problem(429, "Too Many Requests", "Too Many Requests"))
                status, body = await handler(request, caller)
            except Refusal as refusal:
                return JSONResponse(
                    refusal.body,
                    status_code=refusal.status,
                    headers=headers,
                    media_type="application/problem+json"
                    if refusal.status != 400
                    else "application/json",
                )
            return JSONResponse(body, status_code=status, headers=headers)

        return endpoint

    def _authenticate(self, request: Request, *, user_only: bool) -> Caller:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise unauthorized()
        if token == self.state.bearer_token:
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
        user_id, valid = self.state.user_for_token(token)
        if user_id is None or not valid:
            raise unauthorized()
        return Caller(user_id)

    # --- reads --------------------------------------------------------------------------
    async def mentions(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``GET /2/users/:id/mentions``: posts mentioning the user."""
        user = self._path_user(request)
        posts = [
            p
            for p in self.state.visible_posts()
            if user.id in p.mentions and p.author_id != user.id
        ]
        return 200, self._post_page(
            request, posts, TIMELINE_PARAMETERS, (5, 100), "pagination_token"
        )

    async def timeline(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``GET /2/users/:id/tweets``: the user's own posts."""
        user = self._path_user(request)
        posts = [p for p in self.state.visible_posts() if p.author_id == user.id]
        return 200, self._post_page(
            request, posts, TIMELINE_PARAMETERS, (5, 100), "pagination_token"
        )

    async def search(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``GET /2/tweets/search/recent``: the last 7 days matching ``query``."""
        query = request.query_params.get("query")
        if not query:
            raise Refusal(
                400,
                invalid_request("The `query` query parameter can not be empty", {"query": [""]}),
            )
        if len(query) > 512:
            raise bad_parameter(
                "query",
                query,
                f"The `query` query parameter value is too long ({len(query)} > 512)",
            )
        try:
            matcher = compile_query(query)
        except QueryError as error:
            raise bad_parameter(
                "query", query, f"There were errors processing your request: {error}"
            ) from None
        horizon = self.state.clock.now() - SEARCH_WINDOW
        posts = [
            p
            for p in self.state.visible_posts()
            if p.created_at >= horizon and matcher(self._candidate(p))
        ]
        token_name = "next_token" if "next_token" in request.query_params else "pagination_token"
        return 200, self._post_page(request, posts, SEARCH_PARAMETERS, (10, 100), token_name)

    async def dm_events(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``GET /2/dm_events``: the caller's DM events, newest first."""
        params = request.query_params
        _check_parameters(params, DM_PARAMETERS)
        fields = _field_list(params, "dm_event.fields", DM_FIELDS)
        expansions = _field_list(params, "expansions", DM_EXPANSIONS)
        user_fields = _field_list(params, "user.fields", USER_FIELDS)
        types = _field_list(params, "event_types", DM_EVENT_TYPES) or DM_EVENT_TYPES
        limit = _max_results(params, 1, 100, default=100)
        assert caller.user_id is not None
        events: list[DirectMessage] = (
            self.state.dm_events_of(caller.user_id) if "MessageCreate" in types else []
        )
        page, next_token = _paginate(events, params.get("pagination_token"), limit)
        document: dict[str, Any] = {"meta": {"result_count": len(page)}}
        if page:
            document["data"] = [v2_dm_event(m, fields) for m in page]
            if "sender_id" in expansions or "participant_ids" in expansions:
                ids = dict.fromkeys(
                    uid
                    for m in page
                    for uid in (
                        (m.sender_id,)
                        if "participant_ids" not in expansions
                        else (m.sender_id, m.recipient_id)
                    )
                )
                document["includes"] = {
                    "users": [
                        v2_user(self.state.users[uid], user_fields)
                        for uid in ids
                        if uid in self.state.users
                    ]
                }
        if next_token:
            document["meta"]["next_token"] = next_token
        return 200, document

    def _path_user(self, request: Request) -> Any:
        user_id = request.path_params["id"]
        if not is_id(user_id):
            raise bad_parameter(
                "id",
                user_id,
                f"The `id` query parameter value [{user_id}] does not match ^[0-9]{{1,19}}$",
            )
        user = self.state.find_user(user_id)
        if user is None:
            raise Refusal(
                200,
                {
                    "errors": [
                        {
                            "value": user_id,
                            "detail": f"Could not find user with id: [{user_id}].",
                            "title": "Not Found Error",
                            "resource_type": "user",
                            "parameter": "id",
                            "resource_id": user_id,
                            "type": "https://api.twitter.com/2/problems/resource-not-found",
                        }
                    ]
                },
            )
        return user

    def _candidate(self, post: Post) -> Candidate:
        users = self.state.users
        author = users.get(post.author_id)
        reply_to = users.get(post.in_reply_to_user_id or "")
        return Candidate(
            text=post.text,
            author=author.username.lower() if author else "",
            lang=post.lang,
            mentioned=frozenset(users[m].username.lower() for m in post.mentions if m in users),
            reply_to_user=reply_to.username.lower() if reply_to else None,
            is_retweet=post.is_retweet,
            is_reply=post.in_reply_to_id is not None,
            is_quote=post.quote_of is not None,
            has_media=bool(post.media_urls),
        )

    def _post_page(
        self,
        request: Request,
        posts: list[Post],
        allowed: Collection[str],
        bounds: tuple[int, int],
        token_name: str,
    ) -> dict[str, Any]:
        params = request.query_params
        _check_parameters(params, allowed)
        fields = _field_list(params, "tweet.fields", TWEET_FIELDS)
        expansions = _field_list(params, "expansions", TWEET_EXPANSIONS)
        user_fields = _field_list(params, "user.fields", USER_FIELDS)
        media_fields = _field_list(params, "media.fields", MEDIA_FIELDS)
        limit = _max_results(params, *bounds, default=10)
        for name in ("since_id", "until_id"):
            value = params.get(name)
            if value is not None and not is_id(value):
                raise bad_parameter(
                    name,
                    value,
                    f"The `{name}` query parameter value [{value}] does not match ^[0-9]{{1,19}}$",
                )
        since, until = params.get("since_id"), params.get("until_id")
        window = [
            p
            for p in posts
            if (since is None or int(p.id) > int(since))
            and (until is None or int(p.id) < int(until))
        ]
        page, next_token = _paginate(window, params.get(token_name), limit)
        document: dict[str, Any] = {}
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            document["data"] = [v2_post(p, fields, self.state.users.get) for p in page]
            includes: dict[str, Any] = {}
            if "author_id" in expansions:
                authors = dict.fromkeys(p.author_id for p in page)
                includes["users"] = [
                    v2_user(self.state.users[a], user_fields)
                    for a in authors
                    if a in self.state.users
                ]
            if "attachments.media_keys" in expansions:
                media = [m for p in page for m in v2_media(p)]
                if media:
                    includes["media"] = [
                        {
                            k: v
                            for k, v in m.items()
                            if k in media_fields or k in ("media_key", "type")
                        }
                        for m in media
                    ]
            if includes:
                document["includes"] = includes
            meta = {"newest_id": page[0].id, "oldest_id": page[-1].id, **meta}
        if next_token:
            meta["next_token"] = next_token
        document["meta"] = meta
        return document

    # --- writes -------------------------------------------------------------------------
    async def create_post(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``POST /2/tweets``: publish a post or a reply as the caller."""
        body = await _json_body(request)
        unknown = set(body) - {
            "text",
            "reply",
            "media",
            "quote_tweet_id",
            "reply_settings",
            "poll",
            "geo",
            "direct_message_deep_link",
            "for_super_followers_only",
            "nullcast",
        }
        if unknown:
            name = sorted(unknown)[0]
            raise Refusal(
                400,
                invalid_request(
                    f"$.{name}: is not defined in the schema and the schema does not allow additional properties",
                    {name: [str(body[name])]},
                ),
            )
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise Refusal(
                400, invalid_request("$.text: is missing but it is required", {"text": [""]})
            )
        reply = body.get("reply")
        parent_id: str | None = None
        if reply is not None:
            if not isinstance(reply, dict):
                raise Refusal(
                    400, invalid_request("$.reply: object expected", {"reply": [str(reply)]})
                )
            extra = set(reply) - {
                "in_reply_to_tweet_id",
                "exclude_reply_user_ids",
                "auto_populate_reply_metadata",
            }
            if extra:
                name = sorted(extra)[0]
                raise Refusal(
                    400,
                    invalid_request(
                        f"$.reply.{name}: is not defined in the schema and the schema does not allow additional properties",
                        {name: [str(reply[name])]},
                    ),
                )
            parent_id = reply.get("in_reply_to_tweet_id")
            if not is_id(parent_id):
                raise Refusal(
                    400,
                    invalid_request(
                        "$.reply.in_reply_to_tweet_id: does not match the regex pattern ^[0-9]{1,19}$",
                        {"in_reply_to_tweet_id": [str(parent_id)]},
                    ),
                )
        if not is_valid_post(text):
            raise Refusal(
                400,
                invalid_request(
                    "The `text` field is too long or contains invalid characters.",
                    {"text": [text[:40]]},
                ),
            )
        assert caller.user_id is not None
        if self.state.has_posted(caller.user_id, text):
            raise Refusal(
                403,
                problem(
                    403,
                    "Forbidden",
                    "You are not allowed to create a Tweet with duplicate content.",
                ),
            )
        parent = self.state.posts.get(parent_id) if parent_id else None
        if parent_id and (parent is None or parent.deleted):
            raise Refusal(
                403,
                problem(
                    403,
                    "Forbidden",
                    "You attempted to reply to a Tweet that is deleted or not visible to you.",
                ),
            )
        post = self.state.create_post(caller.user_id, text, in_reply_to=parent_id)
        return 201, {
            "data": {"id": post.id, "text": post.text, "edit_history_tweet_ids": [post.id]}
        }

    async def send_dm(self, request: Request, caller: Caller) -> tuple[int, Any]:
        """``POST /2/dm_conversations/with/:participant_id/messages``."""
        participant_id = request.path_params["participant_id"]
        if not is_id(participant_id):
            raise bad_parameter(
                "participant_id",
                participant_id,
                f"The `participant_id` value [{participant_id}] does not match ^[0-9]{{1,19}}$",
            )
        body = await _json_body(request)
        text = body.get("text")
        if not isinstance(text, str) or not text:
            raise Refusal(
                400, invalid_request("$.text: is missing but it is required", {"text": [""]})
            )
        if len(text) > 10_000:
            raise Refusal(
                400,
                invalid_request(
                    "$.text: must be at most 10000 characters long", {"text": [text[:40]]}
                ),
            )
        recipient = self.state.find_user(participant_id)
        if recipient is None:
            raise Refusal(
                400,
                invalid_request(
                    f"The `participant_id` value [{participant_id}] does not identify a user",
                    {"participant_id": [participant_id]},
                ),
            )
        if not recipient.accepts_dms:
            raise Refusal(
                403,
                problem(
                    403, "Forbidden", "You are not permitted to send Direct Messages to this user."
                ),
            )
        assert caller.user_id is not None
        message = self.state.create_dm(caller.user_id, recipient.id, text)
        return 201, {
            "data": {"dm_conversation_id": message.conversation_id, "dm_event_id": message.id}
        }

    # --- OAuth 2.0 ----------------------------------------------------------------------
    async def token(self, request: Request) -> Response:
        """``POST /2/oauth2/token`` with ``grant_type=refresh_token`` (public or confidential)."""
        state = self.state
        state.requests.append(_request_line(request))
        failure = state.take_failure("POST /2/oauth2/token")
        if failure is not None:
            return _scripted(failure.status, failure.body, failure.headers, failure.reset_in, state)
        form = await request.form()
        client_id = str(form.get("client_id") or "")
        basic = _basic_credentials(request.headers.get("authorization"))
        if basic is not None:
            client_id, secret = basic
            if state.client_secret is None or secret != state.client_secret:
                return JSONResponse(
                    {
                        "error": "unauthorized_client",
                        "error_description": "Missing valid authorization header",
                    },
                    status_code=401,
                )
        elif state.client_secret is not None:
            return JSONResponse(
                {
                    "error": "unauthorized_client",
                    "error_description": "Missing valid authorization header",
                },
                status_code=401,
            )
        if form.get("grant_type") != "refresh_token":
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the grant type was invalid.",
                },
                status_code=400,
            )
        issued = state.refresh(str(form.get("refresh_token") or ""), client_id)
        if issued is None:
            return JSONResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Value passed for the token was invalid.",
                },
                status_code=400,
            )
        return JSONResponse(issued)


# --- helpers ------------------------------------------------------------------------------------
def _request_line(request: Request) -> str:
    query = request.url.query
    return f"{request.method} {request.url.path}" + (f"?{query}" if query else "")


def _scripted(
    status: int,
    body: Mapping[str, Any] | None,
    headers: Mapping[str, str],
    reset_in: int,
    state: EmulatorState,
) -> Response:
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


def _check_parameters(params: Mapping[str, str], allowed: Collection[str]) -> None:
    for name in params:
        if name not in allowed:
            raise bad_parameter(
                name,
                params[name],
                f"The query parameter [{name}] is not one of [{','.join(sorted(allowed))}]",
            )


def _field_list(params: Mapping[str, str], name: str, allowed: Collection[str]) -> frozenset[str]:
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


def _max_results(params: Mapping[str, str], low: int, high: int, *, default: int) -> int:
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


def _paginate(items: list[Any], token: str | None, limit: int) -> tuple[list[Any], str | None]:
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


async def _json_body(request: Request) -> dict[str, Any]:
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


def _basic_credentials(header: str | None) -> tuple[str, str] | None:
    if not header or not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    client_id, _, secret = decoded.partition(":")
    return client_id, secret


__all__ = ["Api", "EmulatorError"]
