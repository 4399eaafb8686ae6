"""The emulator's world: brand accounts, customers, posts, DMs, tokens, limits and deliveries.

Everything a test or a demo scripts goes through :class:`EmulatorState`; the HTTP app
(:mod:`careline_twitter.emulator.api`) only translates requests into these calls.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from careline.clock import Clock, SystemClock

from careline_twitter.emulator.limits import RateLimiter, ScriptedFailure
from careline_twitter.emulator.model import MENTION, DirectMessage, Grant, Post, User
from careline_twitter.emulator.shapes import milliseconds, v1_dm_event, v1_dm_user, v1_post
from careline_twitter.emulator.webhooks import (
    Delivery,
    Dispatcher,
    crc_check,
    encode_delivery,
    signed_headers,
)
from careline_twitter.ids import make_snowflake

ACCESS_TOKEN_LIFETIME = timedelta(hours=2)
SCOPES = "tweet.read tweet.write users.read dm.read dm.write offline.access"


class EmulatorError(Exception):
    """A scripted action that cannot happen (unknown user, deleted post, …)."""


@dataclass(frozen=True, slots=True)
class IssuedTokens:
    """The tokens the emulator issued to a brand account (to put in the environment)."""

    access_token: str
    refresh_token: str


class EmulatorState:
    """A simulated slice of X. Thread-safe: the app and the test code share it."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        consumer_secret: str = "emulator-consumer-secret",  # noqa: S107 - emulator credential
        bearer_token: str = "emulator-app-bearer",  # noqa: S107 - emulator credential
        client_id: str = "emulator-client-id",
        client_secret: str | None = None,
        issuer: str = "emulator",
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.consumer_secret = consumer_secret
        self.bearer_token = bearer_token
        self.client_id = client_id
        self.client_secret = client_secret
        self.issuer = issuer
        self.lock = threading.RLock()
        self.users: dict[str, User] = {}
        self.posts: dict[str, Post] = {}
        self.messages: dict[str, DirectMessage] = {}
        self.grants: dict[str, Grant] = {}
        self.refresh_tokens: dict[str, str] = {}
        self.blocked: set[tuple[str, str]] = set()
        self.limiter = RateLimiter()
        self.failures: list[ScriptedFailure] = []
        self.deliveries: list[Delivery] = []
        self.duplicate_deliveries = False
        self.user_has_blocked_as_string = False
        self.requests: list[str] = []
        self._dispatcher: Dispatcher | None = None
        self._sequence = 0
        self._last_ms = 0
        self._token_serial = 0

    # --- ids and users ------------------------------------------------------------------
    def mint_id(self, moment: datetime | None = None) -> str:
        """A new snowflake id, increasing even within one millisecond."""
        with self.lock:
            ms = int((moment or self.clock.now()).timestamp() * 1000)
            if ms <= self._last_ms:
                ms, self._sequence = self._last_ms, self._sequence + 1
                if self._sequence > 0xFFF:
                    ms, self._sequence = ms + 1, 0
            else:
                self._sequence = 0
            self._last_ms = ms
            return str(make_snowflake(ms, self._sequence, worker=1))

    def add_brand(
        self,
        username: str,
        name: str | None = None,
        *,
        followers: int = 25_000,
        user_id: str | None = None,
    ) -> User:
        """Add a brand account (subscribed to Account Activity) and issue its tokens."""
        user = self._add_user(
            username, name, followers=followers, verified=True, brand=True, user_id=user_id
        )
        self.issue_tokens(user.id)
        return user

    def add_customer(
        self,
        username: str,
        name: str | None = None,
        *,
        followers: int = 120,
        verified: bool = False,
        accepts_dms: bool = True,
        user_id: str | None = None,
    ) -> User:
        """Add a customer."""
        user = self._add_user(
            username, name, followers=followers, verified=verified, brand=False, user_id=user_id
        )
        user.accepts_dms = accepts_dms
        return user

    def _add_user(
        self,
        username: str,
        name: str | None,
        *,
        followers: int,
        verified: bool,
        brand: bool,
        user_id: str | None,
    ) -> User:
        with self.lock:
            if self.find_user(username) is not None or (user_id and user_id in self.users):
                raise EmulatorError(f"@{username} exists already")
            user = User(
                id=user_id or self.mint_id(),
                username=username,
                name=name or username.replace("_", " ").title(),
                followers=followers,
                verified=verified,
                brand=brand,
                created_at=self.clock.now() - timedelta(days=900),
            )
            self.users[user.id] = user
            return user

    def find_user(self, key: str) -> User | None:
        """A user by id or by username (with or without @, any case)."""
        with self.lock:
            if key in self.users:
                return self.users[key]
            wanted = key.lstrip("@").lower()
            return next((u for u in self.users.values() if u.username.lower() == wanted), None)

    def user(self, key: str) -> User:
        """Like :meth:`find_user`, raising :class:`EmulatorError` when unknown."""
        found = self.find_user(key)
        if found is None:
            raise EmulatorError(f"no user {key!r}")
        return found

    @property
    def brands(self) -> list[User]:
        """The brand accounts."""
        with self.lock:
            return [u for u in self.users.values() if u.brand]

    # --- tokens -------------------------------------------------------------------------
    def issue_tokens(self, user_id: str) -> IssuedTokens:
        """Issue a fresh access/refresh pair (older refresh tokens of the user stop working)."""
        with self.lock:
            user = self.users[user_id]
            self._token_serial += 1
            serial = self._token_serial
            access = f"{self.issuer}-{user.username}-access-{serial}"
            refresh = f"{self.issuer}-{user.username}-refresh-{serial}"
            for token, owner in list(self.refresh_tokens.items()):
                if owner == user_id:
                    del self.refresh_tokens[token]
            self.grants[access] = Grant(
                user_id, self.clock.now() + ACCESS_TOKEN_LIFETIME, refresh_token=refresh
            )
            self.refresh_tokens[refresh] = user_id
            return IssuedTokens(access, refresh)

    def tokens_of(self, key: str) -> IssuedTokens:
        """The newest tokens issued to a user."""
        with self.lock:
            user = self.user(key)
            for access, grant in reversed(list(self.grants.items())):
                if grant.user_id == user.id:
                    return IssuedTokens(access, grant.refresh_token)
            raise EmulatorError(f"no tokens issued to @{user.username}")

    def expire_tokens(self, key: str) -> None:
        """Make every access token of a user expired (the next call answers 401)."""
        with self.lock:
            user = self.user(key)
            past = self.clock.now() - timedelta(seconds=1)
            for grant in self.grants.values():
                if grant.user_id == user.id:
                    grant.expires_at = past

    def revoke_refresh_tokens(self, key: str) -> None:
        """Invalidate a user's refresh tokens (as when the brand revokes the app)."""
        with self.lock:
            user = self.user(key)
            for token, owner in list(self.refresh_tokens.items()):
                if owner == user.id:
                    del self.refresh_tokens[token]

    def user_for_token(self, token: str) -> tuple[str | None, bool]:
        """``(user id, valid)`` for an access token; ``(None, False)`` when unknown."""
        with self.lock:
            grant = self.grants.get(token)
            if grant is None:
                return None, False
            return grant.user_id, self.clock.now() < grant.expires_at

    def refresh(self, refresh_token: str, client_id: str) -> dict[str, Any] | None:
        """Exchange a refresh token (single use) for new tokens; ``None`` when refused."""
        with self.lock:
            user_id = self.refresh_tokens.get(refresh_token)
            if user_id is None or client_id != self.client_id:
                return None
            issued = self.issue_tokens(user_id)
            return {
                "token_type": "bearer",
                "expires_in": int(ACCESS_TOKEN_LIFETIME.total_seconds()),
                "access_token": issued.access_token,
                "scope": SCOPES,
                "refresh_token": issued.refresh_token,
            }

    def environment(self, prefix: str = "X_EMULATOR") -> dict[str, str]:
        """Environment variables holding this emulator's credentials (for ``$env:`` references)."""
        variables = {
            f"{prefix}_CONSUMER_SECRET": self.consumer_secret,
            f"{prefix}_BEARER_TOKEN": self.bearer_token,
        }
        if self.client_secret is not None:
            variables[f"{prefix}_CLIENT_SECRET"] = self.client_secret
        for brand in self.brands:
            tokens = self.tokens_of(brand.id)
            name = f"{prefix}_{brand.username.upper()}"
            variables[f"{name}_ACCESS_TOKEN"] = tokens.access_token
            variables[f"{name}_REFRESH_TOKEN"] = tokens.refresh_token
        return variables

    def channel_config(
        self, base_url: str, *, env_prefix: str | None = None, **overrides: Any
    ) -> dict[str, Any]:
        """A ``[twitter]`` table pointing careline at this emulator, with every brand.

        Secrets are the values themselves (a resolved table, as a channel receives it), or
        ``$env:`` references to :meth:`environment` when ``env_prefix`` is given (a table as
        written in ``careline.toml``).
        """

        def secret(value: str, variable: str) -> str:
            return f"$env:{env_prefix}_{variable}" if env_prefix else value

        accounts = []
        for brand in self.brands:
            tokens = self.tokens_of(brand.id)
            name = brand.username.upper()
            accounts.append(
                {
                    "id": brand.id,
                    "username": brand.username,
                    "access_token": secret(tokens.access_token, f"{name}_ACCESS_TOKEN"),
                    "refresh_token": secret(tokens.refresh_token, f"{name}_REFRESH_TOKEN"),
                }
            )
        table: dict[str, Any] = {
            "base_url": base_url,
            "consumer_secret": secret(self.consumer_secret, "CONSUMER_SECRET"),
            "bearer_token": secret(self.bearer_token, "BEARER_TOKEN"),
            "client_id": self.client_id,
            "accounts": accounts,
        }
        if self.client_secret is not None:
            table["client_secret"] = secret(self.client_secret, "CLIENT_SECRET")
        table.update(overrides)
        return table

    # --- scripted failures --------------------------------------------------------------
    def fail_next(
        self,
        route: str,
        status: int,
        *,
        times: int = 1,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        reset_in: int = 60,
    ) -> None:
        """Make the next ``times`` calls of ``route`` (``"POST /2/tweets"``, ``"*"``) fail."""
        with self.lock:
            self.failures.append(
                ScriptedFailure(route, status, times, body, dict(headers or {}), reset_in)
            )

    def take_failure(self, route: str) -> ScriptedFailure | None:
        """The scripted failure for this call, if one is pending."""
        with self.lock:
            for failure in self.failures:
                if failure.matches(route):
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                    return failure
            return None

    # --- customers act ------------------------------------------------------------------
    def customer_posts(
        self,
        customer: str,
        text: str,
        *,
        in_reply_to: str | None = None,
        lang: str = "en",
        retweet_of: str | None = None,
        quote_of: str | None = None,
        media_urls: Iterable[str] = (),
    ) -> Post:
        """A user posts (a mention, a reply in a thread, a retweet…); brands get deliveries."""
        return self.create_post(
            self.user(customer).id,
            text,
            in_reply_to=in_reply_to,
            lang=lang,
            retweet_of=retweet_of,
            quote_of=quote_of,
            media_urls=media_urls,
        )

    def customer_sends_dm(self, customer: str, brand: str, text: str) -> DirectMessage:
        """A customer writes a DM to a brand account."""
        return self.create_dm(self.user(customer).id, self.user(brand).id, text)

    def delete_post(self, post_id: str, *, by: str | None = None) -> Post:
        """Delete a post; the brands that saw it get a ``tweet_delete_events`` delivery."""
        with self.lock:
            post = self.posts.get(post_id)
            if post is None or post.deleted:
                raise EmulatorError(f"no post {post_id}")
            if by is not None and self.user(by).id != post.author_id:
                raise EmulatorError(f"@{by} cannot delete post {post_id}")
            post.deleted = True
            for brand in self._interested_brands(post):
                self._deliver(
                    brand.id,
                    {
                        "for_user_id": brand.id,
                        "tweet_delete_events": [
                            {
                                "status": {"id": post.id, "user_id": post.author_id},
                                "timestamp_ms": milliseconds(self.clock.now()),
                            }
                        ],
                    },
                )
            return post

    def edit_post(self, post_id: str, text: str) -> Post:
        """Edit a post: X publishes a new version with a new id and its edit history."""
        with self.lock:
            post = self.posts.get(post_id)
            if post is None or post.deleted or post.superseded:
                raise EmulatorError(f"no current post {post_id}")
            post.superseded = True
            edited = self.create_post(
                post.author_id,
                text,
                in_reply_to=post.in_reply_to_id,
                lang=post.lang,
                edit_history=post.versions,
            )
            return edited

    def block(self, brand: str, customer: str) -> None:
        """The brand blocks a customer (their mentions carry ``user_has_blocked: true``)."""
        with self.lock:
            self.blocked.add((self.user(brand).id, self.user(customer).id))

    # --- creating content (customers and the API) ---------------------------------------
    def create_post(
        self,
        author_id: str,
        text: str,
        *,
        in_reply_to: str | None = None,
        lang: str = "en",
        retweet_of: str | None = None,
        quote_of: str | None = None,
        media_urls: Iterable[str] = (),
        edit_history: Iterable[str] = (),
    ) -> Post:
        """Store a post and deliver it to every brand it concerns."""
        with self.lock:
            parent = self.posts.get(in_reply_to) if in_reply_to else None
            if in_reply_to and (parent is None or parent.deleted):
                raise EmulatorError(f"cannot reply to {in_reply_to}: no such post")
            mentioned = [u.id for name in MENTION.findall(text) if (u := self.find_user(name))]
            post_id = self.mint_id()
            post = Post(
                id=post_id,
                author_id=author_id,
                text=text,
                created_at=self.clock.now(),
                conversation_id=parent.conversation_id if parent else post_id,
                in_reply_to_id=parent.id if parent else None,
                in_reply_to_user_id=parent.author_id if parent else None,
                lang=lang,
                mentions=tuple(dict.fromkeys(mentioned)),
                retweet_of=retweet_of,
                quote_of=quote_of,
                media_urls=tuple(media_urls),
                edit_history=tuple(edit_history),
            )
            if post.edit_history:
                post.conversation_id = self.posts[post.edit_history[0]].conversation_id
            self.posts[post_id] = post
            for brand in self._interested_brands(post):
                document: dict[str, Any] = {"for_user_id": brand.id}
                if post.author_id != brand.id:
                    blocked = (brand.id, post.author_id) in self.blocked
                    document["user_has_blocked"] = (
                        str(blocked).lower() if self.user_has_blocked_as_string else blocked
                    )
                document["tweet_create_events"] = [v1_post(post, self.users.get)]
                self._deliver(brand.id, document)
            return post

    def create_dm(self, sender_id: str, recipient_id: str, text: str) -> DirectMessage:
        """Store a DM and deliver it to the brand(s) taking part."""
        with self.lock:
            message = DirectMessage(
                id=self.mint_id(),
                sender_id=sender_id,
                recipient_id=recipient_id,
                text=text,
                created_at=self.clock.now(),
            )
            self.messages[message.id] = message
            for user_id in dict.fromkeys((sender_id, recipient_id)):
                user = self.users.get(user_id)
                if user is None or not user.brand:
                    continue
                self._deliver(
                    user.id,
                    {
                        "for_user_id": user.id,
                        "direct_message_events": [v1_dm_event(message)],
                        "users": {
                            uid: v1_dm_user(self.users[uid])
                            for uid in (sender_id, recipient_id)
                            if uid in self.users
                        },
                    },
                )
            return message

    def _interested_brands(self, post: Post) -> list[User]:
        concerned = {post.author_id, *post.mentions}
        if post.in_reply_to_user_id:
            concerned.add(post.in_reply_to_user_id)
        if post.retweet_of and post.retweet_of in self.posts:
            concerned.add(self.posts[post.retweet_of].author_id)
        return [u for u in self.users.values() if u.brand and u.id in concerned]

    def has_posted(self, author_id: str, text: str) -> bool:
        """Whether the author already has a live post with exactly this text."""
        with self.lock:
            return any(
                p.author_id == author_id and p.text == text and not p.deleted
                for p in self.posts.values()
            )

    # --- webhook deliveries -------------------------------------------------------------
    def deliver_to(self, url: str) -> None:
        """Register a webhook URL (after a CRC check, as X does); later events are POSTed."""
        crc_check(url, self.consumer_secret)
        with self.lock:
            if self._dispatcher is not None:
                self._dispatcher.close()
            self._dispatcher = Dispatcher(url)

    def redeliver(self, index: int) -> Delivery:
        """Send an earlier delivery again (X repeats deliveries, sometimes out of order)."""
        with self.lock:
            delivery = self.deliveries[index]
            if self._dispatcher is not None:
                self._dispatcher.submit(delivery)
            return delivery

    def flush_deliveries(self, timeout: float = 10.0) -> bool:
        """Wait until queued deliveries were attempted (``True`` when there is no target)."""
        dispatcher = self._dispatcher
        return dispatcher.flush(timeout) if dispatcher is not None else True

    def close(self) -> None:
        """Stop delivering."""
        with self.lock:
            dispatcher, self._dispatcher = self._dispatcher, None
        if dispatcher is not None:
            dispatcher.close()

    def _deliver(self, for_user_id: str, document: dict[str, Any]) -> Delivery:
        body = encode_delivery(document)
        delivery = Delivery(for_user_id, body, signed_headers(self.consumer_secret, body))
        self.deliveries.append(delivery)
        if self._dispatcher is not None:
            self._dispatcher.submit(delivery)
            if self.duplicate_deliveries:
                self._dispatcher.submit(delivery)
        return delivery

    # --- reading ------------------------------------------------------------------------
    def visible_posts(self) -> list[Post]:
        """Live posts, newest first."""
        with self.lock:
            live = [p for p in self.posts.values() if not p.deleted and not p.superseded]
        return sorted(live, key=lambda p: int(p.id), reverse=True)

    def dm_events_of(self, user_id: str) -> list[DirectMessage]:
        """DM events a user takes part in, newest first, within X's 30-day lookback."""
        horizon = self.clock.now() - timedelta(days=30)
        with self.lock:
            found = [
                m
                for m in self.messages.values()
                if user_id in (m.sender_id, m.recipient_id) and m.created_at >= horizon
            ]
        return sorted(found, key=lambda m: int(m.id), reverse=True)


def demo_state(*, clock: Clock | None = None) -> EmulatorState:
    """A state with one brand (@acmecare) and three customers, as ``careline twitter emulator``
    starts with."""
    state = EmulatorState(clock=clock)
    # Fixed ids, so that a careline.toml written for the emulator stays valid across restarts.
    state.add_brand("acmecare", "Acme Care", user_id="1496500471290777601")
    state.add_customer("alice_k", "Alice K.", followers=342, user_id="1501234567890123457")
    state.add_customer(
        "bob_t", "Bob T.", followers=15_400, verified=True, user_id="1501234567890123458"
    )
    state.add_customer("carla_m", "Carla M.", followers=58, user_id="1501234567890123459")
    return state
