"""Polled pages as raw deliveries: X's response body, untouched, with what it was fetched for.

An API page does not say which brand account or which feed it belongs to, so each page is
stored wrapped: ``{"careline_x_poll": {"feed": …, "account": …, "source": …}, "page": <body>}``.
The body is embedded byte for byte, so the stored raw event is exactly what X answered.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from careline.channels import ParseError

from careline_twitter.ids import is_id
from careline_twitter.payload import mapping

ENVELOPE_KEY = "careline_x_poll"


class Feed(StrEnum):
    """What a polled page lists."""

    MENTIONS = "mentions"
    POSTS = "posts"
    SEARCH = "search"
    DMS = "dms"


@dataclass(frozen=True, slots=True)
class PollContext:
    """What a polled page was fetched for: the feed, the brand account and the poll source."""

    feed: Feed
    account: str
    source: str


def wrap_page(context: PollContext, page: bytes) -> bytes:
    """Embed a JSON response body in an envelope naming ``context``."""
    header = json.dumps(
        {"feed": str(context.feed), "account": context.account, "source": context.source},
        separators=(",", ":"),
    )
    return b'{"' + ENVELOPE_KEY.encode() + b'":' + header.encode() + b',"page":' + page + b"}"


def is_envelope(document: Mapping[str, Any]) -> bool:
    """Whether a decoded body is a polled page."""
    return ENVELOPE_KEY in document


def unwrap_page(document: Mapping[str, Any]) -> tuple[PollContext, Mapping[str, Any]]:
    """The context and the decoded page of an envelope."""
    header = mapping(document[ENVELOPE_KEY], ENVELOPE_KEY)
    try:
        feed = Feed(str(header.get("feed")))
    except ValueError:
        raise ParseError(f"unknown polled feed {header.get('feed')!r:.40}") from None
    account = header.get("account")
    source = header.get("source")
    if not is_id(account) or not isinstance(source, str):
        raise ParseError("a polled page needs an account id and a source")
    assert isinstance(account, str)
    return PollContext(feed, account, source), mapping(document.get("page"), "page")
