"""A small synchronous Graph API client shared by the Facebook and Instagram channels.

One ``httpx.Client`` per channel (connections are reused), timeouts always set, the access
token sent as ``Authorization: Bearer`` (never in a URL that could end up in a log), usage
headers read after every answer (:mod:`careline_facebook.usage`) and errors mapped to
:class:`~careline.channels.SendError` (:mod:`careline_facebook.errors`).
"""

from __future__ import annotations

import functools
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import certifi
import httpx
from careline.channels import SendError
from careline.clock import Clock

from careline_facebook import errors
from careline_facebook.config import GraphChannelConfig
from careline_facebook.usage import UsageGovernor, read_usage

JsonObject = dict[str, Any]


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One verifying TLS context per process (building one per client costs ~0.1 s)."""
    return ssl.create_default_context(cafile=certifi.where())


class GraphClient:
    """Calls ``{base_url}/{api_version}/…`` with one access token."""

    def __init__(
        self,
        config: GraphChannelConfig,
        *,
        clock: Clock,
        sleep: Callable[[float], None] = time.sleep,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.root = config.graph_url
        self._token = config.secret("access_token")
        self._clock = clock
        self._sleep = sleep
        self.governor = UsageGovernor(
            slow_down_at=config.usage_slow_down_at,
            pause_at=config.usage_pause_at,
            max_delay=config.usage_max_delay,
        )
        self._http = httpx.Client(
            timeout=httpx.Timeout(config.timeout, connect=min(config.timeout, 5.0)),
            transport=transport,
            verify=tls_context(),
            headers={"User-Agent": "careline-graph-client"},
        )
        self._lock = threading.Lock()
        self.reconnect_error: SendError | None = None

    def __repr__(self) -> str:
        return f"GraphClient(root={self.root!r})"

    def close(self) -> None:
        """Close the pooled connections."""
        self._http.close()

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> JsonObject:
        """``GET /{path}`` and return the decoded JSON object."""
        return self.request("GET", path, params=params)

    def post(
        self,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
    ) -> JsonObject:
        """``POST /{path}`` with a JSON or form body and return the decoded JSON object."""
        return self.request("POST", path, params=params, json=json, form=form)

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Mapping[str, Any] | None = None,
        form: Mapping[str, Any] | None = None,
    ) -> JsonObject:
        """Make one Graph call; raise :class:`SendError` classified per Meta's error table."""
        if not self._token:
            raise SendError(
                "no access token is configured; set access_token and reconnect the account",
                transient=False,
                needs_reconnect=True,
                code="no-token",
            )
        delay = self.governor.before_call(self._clock.now())
        if delay:
            self._sleep(delay)
        try:
            response = self._http.request(
                method,
                f"{self.root}/{path.lstrip('/')}",
                params=dict(params) if params else None,
                json=dict(json) if json is not None else None,
                data=dict(form) if form is not None else None,
                headers={"Authorization": f"Bearer {self._token}"},
            )
        except httpx.TimeoutException as exc:
            raise SendError(
                f"the Graph API did not answer in time ({type(exc).__name__})",
                transient=True,
                code="timeout",
            ) from None
        except httpx.HTTPError as exc:
            raise SendError(
                f"could not reach the Graph API ({type(exc).__name__})",
                transient=True,
                code="network",
            ) from None
        return self._read(response)

    def _read(self, response: httpx.Response) -> JsonObject:
        usage = read_usage(response.headers)
        self.governor.record(usage, self._clock.now())
        try:
            document = response.json()
        except ValueError:
            document = None
        if response.is_success and isinstance(document, dict):
            with self._lock:
                self.reconnect_error = None
            return document
        retry_after = usage.regain_access_in.total_seconds() if usage.regain_access_in else None
        header_retry = response.headers.get("retry-after", "")
        if retry_after is None and header_retry.isdigit():
            retry_after = float(header_retry)
        error = errors.classify(
            response.status_code, errors.read_error_body(document), retry_after=retry_after
        )
        if error.needs_reconnect:
            with self._lock:
                self.reconnect_error = error
        raise error
