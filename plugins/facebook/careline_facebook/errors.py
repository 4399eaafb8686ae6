"""Turn Graph API error answers into careline's :class:`~careline.channels.SendError`.

The mapping follows Meta's error table (see ``docs/plugins/facebook.md``): expired or revoked
tokens and missing permissions need a reconnect, rate limits and temporary failures are retried,
and everything about the message itself (window closed, person unavailable, invalid parameter,
already replied privately) is definitive — retrying would only fail again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from careline.channels import SendError

TOKEN_INVALID = 190
PERMISSION_DENIED = 10
PERMISSIONS = range(200, 300)
RATE_LIMITED = frozenset({4, 17, 32, 613, 80001, 80002, 80003, 80004, 80005, 80006, 80008})
TEMPORARY = frozenset({1, 2})
WINDOW_SUBCODES = frozenset({2018278, 2018065})
PERSON_UNAVAILABLE = 551
INVALID_PARAMETER = 100
BLOCKED_AS_ABUSIVE = 368
ALREADY_REPLIED_PRIVATELY = 10900
DEFAULT_RATE_LIMIT_WAIT = 60.0


@dataclass(frozen=True, slots=True)
class GraphErrorBody:
    """The fields of ``{"error": {...}}`` that decide what to do."""

    message: str
    code: int | None
    subcode: int | None
    is_transient: bool
    fbtrace_id: str | None

    @property
    def label(self) -> str:
        """``"190/463"`` or ``"100"``: the code the agent and the logs see."""
        if self.code is None:
            return "unknown"
        return f"{self.code}/{self.subcode}" if self.subcode else str(self.code)


def read_error_body(document: Any) -> GraphErrorBody | None:
    """Extract the Graph error object from a decoded response body, if there is one."""
    if not isinstance(document, Mapping) or not isinstance(document.get("error"), Mapping):
        return None
    error = document["error"]
    return GraphErrorBody(
        message=str(error.get("message") or "Graph API error"),
        code=_integer(error.get("code")),
        subcode=_integer(error.get("error_subcode")),
        is_transient=error.get("is_transient") is True,
        fbtrace_id=str(error["fbtrace_id"]) if error.get("fbtrace_id") else None,
    )


def _integer(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def classify(
    status: int, error: GraphErrorBody | None, *, retry_after: float | None = None
) -> SendError:
    """The SendError for an HTTP ``status`` with an optional Graph error body.

    ``retry_after`` is what the usage headers said about regaining access (seconds).
    """
    if error is None or error.code is None:
        if status >= 500 or status == 429:
            return SendError(
                f"Graph API answered HTTP {status}",
                transient=True,
                retry_after=retry_after,
                code=f"http-{status}",
            )
        return SendError(
            f"Graph API answered HTTP {status}", transient=False, code=f"http-{status}"
        )
    code, label = error.code, error.label
    detail = f"{error.message} (Graph error {label})"
    if code == TOKEN_INVALID:
        return SendError(
            f"the access token is invalid or expired: {detail}; reconnect the account",
            transient=False,
            needs_reconnect=True,
            code=label,
        )
    if code == PERMISSION_DENIED and error.subcode in WINDOW_SUBCODES:
        return SendError(
            f"outside the messaging window: {detail}; reply publicly, or wait for the customer "
            "to write again",
            transient=False,
            code=label,
        )
    if code == PERMISSION_DENIED or code in PERMISSIONS:
        return SendError(
            f"missing permission: {detail}; reconnect the account with the required permissions",
            transient=False,
            needs_reconnect=True,
            code=label,
        )
    if code in RATE_LIMITED:
        return SendError(
            f"rate limited: {detail}",
            transient=True,
            retry_after=retry_after or DEFAULT_RATE_LIMIT_WAIT,
            code=label,
        )
    if code in TEMPORARY or error.is_transient or status >= 500:
        return SendError(
            f"temporary Graph API failure: {detail}",
            transient=True,
            retry_after=retry_after,
            code=label,
        )
    return SendError(_definitive_reason(code, detail), transient=False, code=label)


def _definitive_reason(code: int, detail: str) -> str:
    reasons = {
        PERSON_UNAVAILABLE: "the person is not available to receive messages",
        INVALID_PARAMETER: "the Graph API refused the request as invalid",
        BLOCKED_AS_ABUSIVE: "Meta blocked the message as abusive; alert an administrator",
        ALREADY_REPLIED_PRIVATELY: "a private reply was already sent for this comment",
    }
    return f"{reasons.get(code, 'the Graph API refused the request')}: {detail}"
