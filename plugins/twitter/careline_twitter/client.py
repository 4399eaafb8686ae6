"""The X API client: one ``httpx.Client`` per channel, app or user-context auth, limits, errors.

Reads of mentions and searches use the app's bearer token when configured (else the brand
account's user token); DMs and every write need the brand account's OAuth 2.0 user token. A
401 on a user-context call triggers one refresh of that account's token and one retry.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from careline.channels import SendError
from careline.clock import Clock

from careline_twitter import __version__
from careline_twitter.config import TwitterConfig
from careline_twitter.errors import classify_response, classify_transport, explanation, problem
from careline_twitter.rate_limits import RateLimitTracker
from careline_twitter.tokens import TokenVault, UserTokens

APP = "app"


@dataclass(frozen=True, slots=True)
class Credential:
    """Who a request is made as: the app (bearer) or a brand account (user context)."""

    account: str | None = None

    @property
    def subject(self) -> str:
        """``app`` or the account id, for rate-limit bookkeeping."""
        return self.account or APP

    @classmethod
    def app(cls) -> Credential:
        """The app's bearer token."""
        return cls(None)

    @classmethod
    def user(cls, account: str) -> Credential:
        """A brand account's user-context token."""
        return cls(account)


@dataclass(frozen=True, slots=True)
class ApiResponse:
    """A successful answer: the raw body (kept byte for byte), its JSON, and the status."""

    status: int
    body: bytes
    document: Mapping[str, Any]


class XClient:
    """Talks to X (or its emulator) at ``config.base_url``."""

    def __init__(
        self,
        config: TwitterConfig,
        *,
        clock: Clock,
        vault: TokenVault,
        tracker: RateLimitTracker | None = None,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.vault = vault
        self.tracker = tracker or RateLimitTracker()
        self._transport = transport
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()

    def __repr__(self) -> str:
        return f"XClient(base_url={self.config.api_base!r})"

    @property
    def _http(self) -> httpx.Client:
        # Built on first use: creating the TLS context is slow, and many channel objects
        # (one per runtime) never make a request.
        with self._client_lock:
            if self._client is None:
                self._client = httpx.Client(
                    base_url=self.config.api_base,
                    timeout=httpx.Timeout(
                        self.config.timeout, connect=min(self.config.timeout, 5.0)
                    ),
                    headers={"user-agent": f"careline-twitter/{__version__}"},
                    transport=self._transport,
                )
            return self._client

    def close(self) -> None:
        """Close the connection pool (a later request opens a new one)."""
        with self._client_lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    # --- credentials --------------------------------------------------------------------
    def read_credential(self, account: str) -> Credential:
        """The credential for reading public posts about ``account``: app bearer if set."""
        return Credential.app() if self.config.bearer_token else Credential.user(account)

    def _user_tokens(self, account: str) -> UserTokens:
        refreshed = self.vault.get(self.config.api_base, account)
        if refreshed is not None:
            return refreshed
        configured = self.config.account(account)
        if configured is None:
            return UserTokens()
        return UserTokens(
            access_token=_secret(configured.access_token),
            refresh_token=_secret(configured.refresh_token),
        )

    def _authorization(self, credential: Credential, *, action: str) -> str:
        if credential.account is None:
            token = _secret(self.config.bearer_token)
            if not token:
                raise SendError(
                    f"no bearer_token configured for {action}",
                    transient=False,
                    needs_reconnect=True,
                    code="no_credentials",
                )
            return f"Bearer {token}"
        tokens = self._user_tokens(credential.account)
        if tokens.expired(self.clock.now()) and tokens.refresh_token:
            tokens = self.refresh(credential.account, failed_token=tokens.access_token)
        if not tokens.access_token:
            raise SendError(
                f"no access token for account {credential.account} ({action}): connect it",
                transient=False,
                needs_reconnect=True,
                code="no_credentials",
            )
        return f"Bearer {tokens.access_token}"

    def refresh(self, account: str, *, failed_token: str | None) -> UserTokens:
        """Exchange the account's refresh token for new tokens (once, even across threads)."""
        with self.vault.lock(self.config.api_base, account):
            current = self._user_tokens(account)
            if current.access_token != failed_token and not current.expired(self.clock.now()):
                return current  # another thread refreshed while this one waited
            if not current.refresh_token or not self.config.client_id:
                raise SendError(
                    f"the access token of account {account} expired and cannot be refreshed "
                    "(needs refresh_token and client_id): reconnect the account",
                    transient=False,
                    needs_reconnect=True,
                    code="token_expired",
                )
            fresh = self._request_refresh(account, current.refresh_token)
            self.vault.put(self.config.api_base, account, fresh)
            return fresh

    def _request_refresh(self, account: str, refresh_token: str) -> UserTokens:
        client_secret = _secret(self.config.client_secret)
        form = {"grant_type": "refresh_token", "refresh_token": refresh_token}
        try:
            if client_secret:  # a confidential client authenticates with HTTP Basic
                response = self._http.post(
                    "/2/oauth2/token",
                    data=form,
                    auth=httpx.BasicAuth(self.config.client_id or "", client_secret),
                )
            else:
                form["client_id"] = self.config.client_id or ""
                response = self._http.post("/2/oauth2/token", data=form)
        except httpx.HTTPError as error:
            raise classify_transport(error, action="refreshing the access token") from None
        if response.status_code >= 500:
            raise classify_response(response, self.clock.now(), action="refreshing the token")
        document = problem(response)
        access = document.get("access_token")
        if response.status_code != 200 or not isinstance(access, str):
            raise SendError(
                f"X refused to refresh the access token of account {account} "
                f"({explanation(document, f'HTTP {response.status_code}')}): reconnect the account",
                transient=False,
                needs_reconnect=True,
                code="refresh_failed",
            )
        lifetime = document.get("expires_in")
        expires_at = (
            self.clock.now() + timedelta(seconds=lifetime - 60)
            if isinstance(lifetime, int) and not isinstance(lifetime, bool) and lifetime > 60
            else None
        )
        new_refresh = document.get("refresh_token")
        return UserTokens(
            access_token=access,
            refresh_token=new_refresh if isinstance(new_refresh, str) else refresh_token,
            expires_at=expires_at,
        )

    # --- requests -----------------------------------------------------------------------
    def request(
        self,
        method: str,
        route: str,
        path: str,
        *,
        credential: Credential,
        action: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
    ) -> ApiResponse:
        """Call X; raise :class:`SendError` for every failure, classified.

        ``route`` is the endpoint's template (``GET /2/users/:id/mentions``) under which rate
        limits are tracked per credential.
        """
        key = f"{route} {credential.subject}"
        blocked = self.tracker.blocked_for(key, self.clock.now())
        if blocked is not None:
            raise SendError(
                f"X rate limit for {action} is used up; retry in {blocked:.0f} s",
                transient=True,
                retry_after=blocked,
                code="rate_limited",
            )
        response = self._send(method, path, credential, action, params, body)
        self.tracker.record(key, response.headers)
        if response.status_code == 401 and credential.account is not None:
            failed = self._user_tokens(credential.account).access_token
            self.refresh(credential.account, failed_token=failed)
            response = self._send(method, path, credential, action, params, body)
            self.tracker.record(key, response.headers)
        if not 200 <= response.status_code < 300:
            raise classify_response(response, self.clock.now(), action=action)
        try:
            document = json.loads(response.content)
        except (ValueError, UnicodeDecodeError, RecursionError):
            raise SendError(
                f"X answered {action} with something that is not JSON",
                transient=True,
                code="bad_response",
            ) from None
        if not isinstance(document, Mapping):
            raise SendError(f"X answered {action} with unexpected JSON", transient=True)
        return ApiResponse(response.status_code, response.content, document)

    def _send(
        self,
        method: str,
        path: str,
        credential: Credential,
        action: str,
        params: Mapping[str, str] | None,
        body: Mapping[str, Any] | None,
    ) -> httpx.Response:
        headers = {"authorization": self._authorization(credential, action=action)}
        try:
            return self._http.request(method, path, params=params, json=body, headers=headers)
        except httpx.HTTPError as error:
            raise classify_transport(error, action=action) from None


def _secret(value: Any) -> str | None:
    if value is None:
        return None
    revealed = value.get_secret_value() if hasattr(value, "get_secret_value") else str(value)
    return revealed or None
