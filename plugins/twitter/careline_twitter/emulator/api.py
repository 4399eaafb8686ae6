"""The emulator's X API v2 routes: the reads and writes careline uses, behind X's checks."""

from __future__ import annotations

from starlette.routing import Route

from careline_twitter.emulator.gate import guarded
from careline_twitter.emulator.oauth import OAuth
from careline_twitter.emulator.reads import Reads
from careline_twitter.emulator.state import EmulatorState
from careline_twitter.emulator.writes import Writes

MENTIONS = "GET /2/users/:id/mentions"
USER_POSTS = "GET /2/users/:id/tweets"
SEARCH = "GET /2/tweets/search/recent"
DM_EVENTS = "GET /2/dm_events"
CREATE_POST = "POST /2/tweets"
SEND_DM = "POST /2/dm_conversations/with/:participant_id/messages"


def api_routes(state: EmulatorState) -> list[Route]:
    """The Starlette routes of the emulated API."""
    reads, writes, oauth = Reads(state), Writes(state), OAuth(state)
    return [
        Route(
            "/2/users/{id}/mentions",
            guarded(state, MENTIONS, reads.mentions, user_only=False),
            methods=["GET"],
        ),
        Route(
            "/2/users/{id}/tweets",
            guarded(state, USER_POSTS, reads.timeline, user_only=False),
            methods=["GET"],
        ),
        Route(
            "/2/tweets/search/recent",
            guarded(state, SEARCH, reads.search, user_only=False),
            methods=["GET"],
        ),
        Route(
            "/2/dm_events",
            guarded(state, DM_EVENTS, reads.dm_events, user_only=True),
            methods=["GET"],
        ),
        Route(
            "/2/tweets",
            guarded(state, CREATE_POST, writes.create_post, user_only=True),
            methods=["POST"],
        ),
        Route(
            "/2/dm_conversations/with/{participant_id}/messages",
            guarded(state, SEND_DM, writes.send_dm, user_only=True),
            methods=["POST"],
        ),
        Route("/2/oauth2/token", oauth.token, methods=["POST"]),
    ]
