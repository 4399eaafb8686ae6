"""Meta's webhook envelope, its ``X-Hub-Signature-256`` check and the hub verification challenge.

Facebook Pages, Messenger and Instagram share all three, so the Instagram plugin imports them
from here. A delivery looks like::

    {"object": "page", "entry": [{"id": "<page id>", "time": 1701413571,
                                  "changes": [{"field": "feed", "value": {...}}]}]}

or carries ``"messaging": [...]`` (and ``"standby": [...]`` under the handover protocol)
instead of ``changes``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from careline.channels import (
    ParseError,
    WebhookAnswer,
    WebhookRequest,
    hmac_signature,
    verify_hmac_signature,
)

from careline_facebook import payload

SIGNATURE_HEADER = "x-hub-signature-256"
LEGACY_SIGNATURE_HEADER = "x-hub-signature"
SIGNATURE_PREFIX = "sha256="


@dataclass(frozen=True, slots=True)
class Change:
    """One ``changes[]`` item: the subscribed field and its value."""

    field: str
    value: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Entry:
    """One ``entry[]`` item: the account it concerns, when, and what happened."""

    account: str
    time: datetime | None
    changes: tuple[Change, ...]
    messaging: tuple[Mapping[str, Any], ...]


def verify_signature(app_secret: str | None, request: WebhookRequest) -> bool:
    """Check ``X-Hub-Signature-256`` (hex HMAC-SHA256 of the raw body, keyed by the app secret).

    The legacy SHA-1 header alone is never enough.
    """
    if not app_secret:
        return False
    header = request.headers.get(SIGNATURE_HEADER)
    return verify_hmac_signature(app_secret, request.body, header, prefix=SIGNATURE_PREFIX)


def signature_headers(app_secret: str, body: bytes) -> dict[str, str]:
    """The headers Meta sends with ``body`` (used by the emulators and in tests)."""
    return {
        SIGNATURE_HEADER: SIGNATURE_PREFIX + hmac_signature(app_secret, body),
        LEGACY_SIGNATURE_HEADER: "sha1=" + hmac.new(app_secret.encode(), body, "sha1").hexdigest(),
    }


def answer_hub_challenge(verify_token: str | None, request: WebhookRequest) -> WebhookAnswer | None:
    """Answer Meta's subscription check ``GET ?hub.mode=subscribe&hub.challenge=…``.

    Returns ``None`` for requests that are not a verification (so the core treats them as
    deliveries), 200 with the challenge as plain text when the verify token matches, else 403.
    """
    if request.method.upper() != "GET" or "hub.mode" not in request.query:
        return None
    offered = request.query.get("hub.verify_token", "")
    challenge = request.query.get("hub.challenge", "")
    matches = bool(verify_token) and hmac.compare_digest(
        offered.encode("utf-8"), str(verify_token).encode("utf-8")
    )
    if request.query.get("hub.mode") == "subscribe" and matches and challenge:
        return WebhookAnswer(status=200, body=challenge, media_type="text/plain")
    return WebhookAnswer(status=403, body="verification failed", media_type="text/plain")


def parse_envelope(document: Mapping[str, Any], expected_object: str) -> list[Entry]:
    """Read the ``{"object": …, "entry": [...]}`` envelope of a webhook delivery."""
    kind = document.get("object")
    if kind != expected_object:
        raise ParseError(f'expected a delivery with "object": "{expected_object}", got {kind!r}')
    entries = []
    for index, raw in enumerate(payload.objects(document.get("entry"), "entry")):
        where = f"entry[{index}]"
        time = raw.get("time")
        changes = tuple(
            Change(
                field=payload.text(change, "field", f"{where}.changes"),
                value=payload.optional_mapping(change, "value", f"{where}.changes"),
            )
            for change in payload.objects(raw.get("changes"), f"{where}.changes")
        )
        messaging = tuple(payload.objects(raw.get("messaging"), f"{where}.messaging")) + tuple(
            payload.objects(raw.get("standby"), f"{where}.standby")
        )
        entries.append(
            Entry(
                account=payload.identifier(raw, "id", where),
                time=None if time is None else payload.from_unix(time, f"{where}.time"),
                changes=changes,
                messaging=messaging,
            )
        )
    return entries


def envelope(kind: str, entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Build a delivery envelope (for emulators and tests)."""
    return {"object": kind, "entry": list(entries)}
