"""Polling X: mentions and own posts per brand account, listening searches, and DM events.

Sources are named ``mentions:<account>``, ``posts:<account>``, ``search:<index>`` and
``dms:<account>``. X lists newest first. Post feeds take the newest id seen as ``since_id``;
the DM feed has no ``since_id``, so pages are read until an already-seen event appears. The
first poll of a feed takes only the newest page (no backfill of older history).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from careline.channels import ChannelError, PollPage

from careline_twitter.client import Credential, XClient
from careline_twitter.config import TwitterConfig
from careline_twitter.cursor import PollCursor
from careline_twitter.envelope import Feed, PollContext, wrap_page
from careline_twitter.ids import id_from, id_key, newest, snowflake_time
from careline_twitter.payload import mapping

TWEET_FIELDS = (
    "id,text,author_id,conversation_id,created_at,in_reply_to_user_id,lang,"
    "referenced_tweets,entities,attachments,note_tweet,public_metrics"
)
USER_FIELDS = "id,name,username,public_metrics,verified"
MEDIA_FIELDS = "media_key,type,url,preview_image_url"
SEARCH_WINDOW = timedelta(days=7)
SEARCH_WINDOW_MARGIN = timedelta(minutes=10)
DM_EVENT_FIELDS = (
    "id,event_type,text,sender_id,dm_conversation_id,created_at,participant_ids,"
    "attachments,referenced_tweets"
)


@dataclass(frozen=True, slots=True)
class FeedRequest:
    """How one post feed is fetched: endpoint, credential and extra parameters."""

    route: str
    path: str
    credential: Credential
    token_parameter: str
    extra: tuple[tuple[str, str], ...] = ()


class Poller:
    """Fetches pages for the channel's poll sources."""

    def __init__(self, config: TwitterConfig, client: XClient) -> None:
        self.config = config
        self.client = client

    def sources(self) -> list[str]:
        """Every feed to poll, from the configuration."""
        names: list[str] = []
        for account in self.config.accounts:
            if self.config.poll_mentions:
                names.append(f"mentions:{account.id}")
            if self.config.poll_own_posts:
                names.append(f"posts:{account.id}")
            if self.config.poll_dms:
                names.append(f"dms:{account.id}")
        names.extend(f"search:{index}" for index in range(len(self.config.searches)))
        return names

    def poll(self, source: str, cursor: str | None) -> PollPage:
        """Fetch the next page of ``source`` after ``cursor``."""
        context = self._context(source)
        state = PollCursor.decode(cursor)
        if context.feed is Feed.DMS:
            return self._poll_dms(context, state)
        return self._poll_posts(context, state, self._feed_request(context))

    # --- sources ------------------------------------------------------------------------
    def _context(self, source: str) -> PollContext:
        kind, _, key = source.partition(":")
        if kind == "search":
            if not key.isdigit() or int(key) >= len(self.config.searches):
                raise ChannelError(f"no search number {key!r} in [twitter] searches")
            search = self.config.searches[int(key)]
            return PollContext(Feed.SEARCH, self.config.search_account(search), source)
        if kind not in {Feed.MENTIONS, Feed.POSTS, Feed.DMS} or self.config.account(key) is None:
            raise ChannelError(f"unknown X poll source {source!r}")
        return PollContext(Feed(kind), key, source)

    def _feed_request(self, context: PollContext) -> FeedRequest:
        account = context.account
        if context.feed is Feed.SEARCH:
            search = self.config.searches[int(context.source.partition(":")[2])]
            return FeedRequest(
                "GET /2/tweets/search/recent",
                "/2/tweets/search/recent",
                self.client.read_credential(account),
                "next_token",
                (("query", search.query), ("sort_order", "recency")),
            )
        if context.feed is Feed.POSTS:
            return FeedRequest(
                "GET /2/users/:id/tweets",
                f"/2/users/{account}/tweets",
                self.client.read_credential(account),
                "pagination_token",
            )
        return FeedRequest(
            "GET /2/users/:id/mentions",
            f"/2/users/{account}/mentions",
            self.client.read_credential(account),
            "pagination_token",
        )

    # --- posts --------------------------------------------------------------------------
    def _poll_posts(self, context: PollContext, state: PollCursor, feed: FeedRequest) -> PollPage:
        since = state.since_id if state.walking else state.newest_id
        if context.feed is Feed.SEARCH and since and self._beyond_search_window(since):
            # X refuses a since_id older than recent search's 7 days: start again from now.
            state, since = PollCursor(), None
        params = {
            "max_results": str(self.config.max_results),
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id,attachments.media_keys",
            "user.fields": USER_FIELDS,
            "media.fields": MEDIA_FIELDS,
            **dict(feed.extra),
        }
        if since:
            params["since_id"] = since
        if state.next_token:
            params[feed.token_parameter] = state.next_token
        response = self.client.request(
            "GET",
            feed.route,
            feed.path,
            credential=feed.credential,
            action=f"polling {context.source}",
            params=params,
        )
        meta = mapping(response.document.get("meta") or {}, "meta")
        page_ids = _ids(response.document.get("data"))
        seen = newest(state.newest_id, id_from(meta.get("newest_id")), *page_ids)
        next_token = meta.get("next_token")
        deliveries = [wrap_page(context, response.body)] if page_ids else []
        if since and isinstance(next_token, str) and next_token and page_ids:
            walk = PollCursor(newest_id=seen, since_id=since, next_token=next_token)
            return PollPage(deliveries, walk.encode(), more=True)
        return PollPage(deliveries, PollCursor(newest_id=seen).encode(), more=False)

    def _beyond_search_window(self, since: str) -> bool:
        horizon = self.client.clock.now() - SEARCH_WINDOW + SEARCH_WINDOW_MARGIN
        return snowflake_time(since) < horizon

    # --- direct messages ----------------------------------------------------------------
    def _poll_dms(self, context: PollContext, state: PollCursor) -> PollPage:
        stop_at = state.since_id if state.walking else state.newest_id
        params = {
            "max_results": str(self.config.max_results),
            "event_types": "MessageCreate",
            "dm_event.fields": DM_EVENT_FIELDS,
            "expansions": "sender_id",
            "user.fields": USER_FIELDS,
        }
        if state.next_token:
            params["pagination_token"] = state.next_token
        response = self.client.request(
            "GET",
            "GET /2/dm_events",
            "/2/dm_events",
            credential=Credential.user(context.account),
            action=f"polling {context.source}",
            params=params,
        )
        meta = mapping(response.document.get("meta") or {}, "meta")
        page_ids = _ids(response.document.get("data"))
        fresh = [i for i in page_ids if stop_at is None or id_key(i) > id_key(stop_at)]
        seen = newest(state.newest_id, *page_ids)
        deliveries = [wrap_page(context, response.body)] if fresh else []
        next_token = meta.get("next_token")
        reached_seen = len(fresh) < len(page_ids)
        if stop_at and not reached_seen and isinstance(next_token, str) and next_token:
            walk = PollCursor(newest_id=seen, since_id=stop_at, next_token=next_token)
            return PollPage(deliveries, walk.encode(), more=True)
        return PollPage(deliveries, PollCursor(newest_id=seen).encode(), more=False)


def _ids(data: object) -> list[str]:
    if not isinstance(data, list):
        return []
    found = []
    for item in data:
        if isinstance(item, dict) and (item_id := id_from(item.get("id"))) is not None:
            found.append(item_id)
    return found
