"""The emulated reads: mentions, a user's posts, recent search and DM events (API v2)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import timedelta
from typing import Any

from starlette.requests import Request

from careline_twitter.emulator.gate import (
    Caller,
    Refusal,
    bad_parameter,
    check_parameters,
    field_list,
    max_results,
    paginate,
)
from careline_twitter.emulator.model import DirectMessage, Post, User
from careline_twitter.emulator.query import Candidate, QueryError, compile_query
from careline_twitter.emulator.shapes import (
    invalid_request,
    iso,
    v2_dm_event,
    v2_media,
    v2_post,
    v2_user,
)
from careline_twitter.emulator.state import EmulatorState
from careline_twitter.ids import is_id, snowflake_time

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


class Reads:
    """The read endpoints over one :class:`EmulatorState`."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state

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
        since = request.query_params.get("since_id")
        if since and is_id(since) and snowflake_time(since) < horizon:
            raise bad_parameter(
                "since_id",
                since,
                f"Invalid 'since_id':'{since}'. 'since_id' must be a tweet id created after "
                f"{iso(horizon)}. Please use a 'since_id' that is newer",
            )
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
        check_parameters(params, DM_PARAMETERS)
        fields = field_list(params, "dm_event.fields", DM_FIELDS)
        expansions = field_list(params, "expansions", DM_EXPANSIONS)
        user_fields = field_list(params, "user.fields", USER_FIELDS)
        types = field_list(params, "event_types", DM_EVENT_TYPES) or DM_EVENT_TYPES
        limit = max_results(params, 1, 100, default=100)
        assert caller.user_id is not None
        events: list[DirectMessage] = (
            self.state.dm_events_of(caller.user_id) if "MessageCreate" in types else []
        )
        page, next_token = paginate(events, params.get("pagination_token"), limit)
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

    def _path_user(self, request: Request) -> User:
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
        check_parameters(params, allowed)
        fields = field_list(params, "tweet.fields", TWEET_FIELDS)
        expansions = field_list(params, "expansions", TWEET_EXPANSIONS)
        user_fields = field_list(params, "user.fields", USER_FIELDS)
        media_fields = field_list(params, "media.fields", MEDIA_FIELDS)
        limit = max_results(params, *bounds, default=10)
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
        page, next_token = paginate(window, params.get(token_name), limit)
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
