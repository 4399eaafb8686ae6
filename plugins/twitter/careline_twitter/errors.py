"""X's error answers (RFC 7807 problems) → :class:`SendError` the outbox and the agent understand.

- 429: transient; wait until ``x-rate-limit-reset`` (or the exhausted 24-hour family).
- 5xx and network failures: transient (retried with backoff).
- 401, and 403 problems about the credentials: the brand account needs reconnecting.
- 403 duplicate content: definitive — the agent has to change the text.
- other 4xx: definitive, with X's own explanation.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import httpx
from careline.channels import SendError

from careline_twitter.rate_limits import wait_seconds

DUPLICATE_MESSAGE = "X refused: duplicate content — change the text"
RECONNECT_PROBLEMS = ("unsupported-authentication", "client-forbidden")


def problem(response: httpx.Response) -> Mapping[str, Any]:
    """The decoded problem document of an error response (empty when it is not JSON)."""
    try:
        document = json.loads(response.content)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return {}
    return document if isinstance(document, Mapping) else {}


def explanation(document: Mapping[str, Any], fallback: str) -> str:
    """The most specific human text in a problem: ``errors[].message``, ``detail``, ``title``."""
    errors = document.get("errors")
    if isinstance(errors, list):
        messages = [
            str(e["message"]) for e in errors if isinstance(e, Mapping) and e.get("message")
        ]
        if messages:
            return "; ".join(messages)
    for key in ("detail", "error_description", "title", "error"):
        value = document.get(key)
        if isinstance(value, str) and value:
            return value
    return fallback


def is_duplicate_content(document: Mapping[str, Any]) -> bool:
    """Whether X refused a post because the account already posted the same text."""
    return "duplicate content" in explanation(document, "").lower()


def classify_response(response: httpx.Response, now: datetime, *, action: str) -> SendError:
    """The :class:`SendError` for a non-2xx answer to ``action`` (e.g. ``"reply"``)."""
    status = response.status_code
    document = problem(response)
    detail = explanation(document, response.reason_phrase or f"HTTP {status}")
    problem_type = str(document.get("type", ""))
    code = problem_type.rsplit("/", 1)[-1] if "/" in problem_type else None
    if status == 429:
        retry_after = wait_seconds(response.headers, now)
        when = f"; retry in {retry_after:.0f} s" if retry_after is not None else ""
        return SendError(
            f"X rate limit reached for {action}{when}",
            transient=True,
            retry_after=retry_after,
            code=code or "rate_limited",
        )
    if status >= 500:
        return SendError(
            f"X is unavailable for {action} (HTTP {status}): {detail}",
            transient=True,
            retry_after=_retry_after_header(response),
            code="server_error",
        )
    if status == 403 and is_duplicate_content(document):
        return SendError(DUPLICATE_MESSAGE, transient=False, code="duplicate_content")
    if status == 401 or (status == 403 and code in RECONNECT_PROBLEMS):
        return SendError(
            f"X refused the brand account's credentials for {action} (HTTP {status}: {detail}); "
            "reconnect the account",
            transient=False,
            needs_reconnect=True,
            code=code or "unauthorized",
        )
    return SendError(
        f"X refused {action} (HTTP {status}): {detail}",
        transient=False,
        code=code or f"http_{status}",
    )


def classify_transport(error: httpx.HTTPError, *, action: str) -> SendError:
    """A network failure (timeout, refused connection) is transient."""
    return SendError(
        f"could not reach X for {action}: {type(error).__name__}",
        transient=True,
        code="network",
    )


def _retry_after_header(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        return None
