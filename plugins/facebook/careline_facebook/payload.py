"""Tolerant, typed access to Meta JSON payloads: anything unexpected becomes a ParseError.

Meta's deliveries vary (key order, optional fields, seconds vs milliseconds), so parsers read
them through these helpers instead of indexing dictionaries directly: a missing or mistyped
field then says *where* it was wrong instead of surfacing as a ``KeyError`` in the worker.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from careline import json_codec
from careline.channels import ParseError

# Unix times above this are milliseconds: 10^11 seconds is the year 5138.
_MILLISECONDS_THRESHOLD = 10**11
_GRAPH_TIME_FORMAT = "%Y-%m-%dT%H:%M:%S%z"


def load_json_object(body: bytes) -> Mapping[str, Any]:
    """Decode a delivery body that must be a JSON object."""
    try:
        document = json_codec.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ParseError(f"not JSON: {exc}") from exc
    if not isinstance(document, Mapping):
        raise ParseError("the delivery is not a JSON object")
    return document


def mapping(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, else a ParseError naming ``where``."""
    if not isinstance(value, Mapping):
        raise ParseError(f"{where} must be an object")
    return value


def optional_mapping(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """``parent[key]`` as an object; an empty one when absent or null."""
    value = parent.get(key)
    if value is None:
        return {}
    return mapping(value, f"{where}.{key}")


def objects(value: Any, where: str) -> list[Mapping[str, Any]]:
    """``value`` as a list of JSON objects (``None`` is an empty list)."""
    if value is None:
        return []
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        raise ParseError(f"{where} must be a list")
    return [mapping(item, f"{where}[{index}]") for index, item in enumerate(value)]


def identifier(parent: Mapping[str, Any], key: str, where: str) -> str:
    """A required platform id (Meta sends ids as strings, some examples as numbers)."""
    value = parent.get(key)
    if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
        raise ParseError(f"{where}.{key} must be a non-empty id")
    return str(value)


def optional_identifier(parent: Mapping[str, Any], key: str, where: str) -> str | None:
    """An optional platform id: ``None`` when absent, null or empty."""
    if parent.get(key) in (None, ""):
        return None
    return identifier(parent, key, where)


def text(parent: Mapping[str, Any], key: str, where: str) -> str:
    """An optional text field (``""`` when absent)."""
    value = parent.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ParseError(f"{where}.{key} must be text")
    return value


def flag(parent: Mapping[str, Any], key: str) -> bool:
    """A boolean flag that Meta sometimes omits (absent means false)."""
    return parent.get(key) is True


def from_unix(value: Any, where: str) -> datetime:
    """A Unix time in seconds or milliseconds (told apart by magnitude) as aware UTC."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"{where} must be a Unix time, not {value!r}")
    seconds = value / 1000 if abs(value) >= _MILLISECONDS_THRESHOLD else value
    try:
        return datetime.fromtimestamp(seconds, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise ParseError(f"{where} is not a usable time: {value!r}") from exc


def from_graph_time(value: Any, where: str) -> datetime:
    """A Graph API time (``2023-12-01T06:52:51+0000``), also accepting ISO 8601 with ``Z``."""
    if not isinstance(value, str):
        return from_unix(value, where)
    try:
        return datetime.strptime(value, _GRAPH_TIME_FORMAT).astimezone(UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ParseError(f"{where} is not a Graph API time: {value!r}") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def to_graph_time(moment: datetime) -> str:
    """Format a time the way the Graph API does (``2023-12-01T06:52:51+0000``)."""
    return moment.astimezone(UTC).strftime(_GRAPH_TIME_FORMAT)


def canonical_json(document: Any) -> bytes:
    """Deterministic JSON bytes, so the same content always has the same delivery key."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
