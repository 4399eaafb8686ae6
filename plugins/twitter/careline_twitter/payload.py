"""Strict readers for X's JSON: every surprise becomes a :class:`ParseError`, nothing else.

Python's ``json`` keeps big integers as exact ``int`` (never float), which is what numeric ids
need; floats are refused wherever an id is expected.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from careline import json_codec
from careline.channels import ParseError

from careline_twitter.ids import id_from, snowflake_time

V1_TIME_FORMAT = "%a %b %d %H:%M:%S %z %Y"
FALSE_STRINGS = frozenset({"false", "0", ""})
TRUE_STRINGS = frozenset({"true", "1"})


def load_json(body: bytes) -> Any:
    """Decode a JSON document, raising :class:`ParseError` for anything that is not JSON."""
    try:
        return json_codec.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ParseError(f"not a JSON document: {type(exc).__name__}") from None


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` as a JSON object, or :class:`ParseError` naming ``what``."""
    if not isinstance(value, Mapping):
        raise ParseError(f"{what} must be a JSON object, not {type(value).__name__}")
    return value


def object_list(value: Any, what: str) -> list[Mapping[str, Any]]:
    """``value`` as a list of JSON objects (``None`` counts as empty)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise ParseError(f"{what} must be a list, not {type(value).__name__}")
    return [mapping(item, f"each item of {what}") for item in value]


def optional_text(source: Mapping[str, Any], key: str) -> str | None:
    """A string field, ``None`` when absent or null; other types are refused."""
    value = source.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ParseError(f"{key} must be a string, not {type(value).__name__}")
    return value


def required_text(source: Mapping[str, Any], key: str) -> str:
    """A string field that must be present."""
    value = optional_text(source, key)
    if value is None:
        raise ParseError(f"{key} is missing")
    return value


def optional_int(source: Mapping[str, Any], key: str) -> int | None:
    """A whole-number field (``None`` when absent or not a whole number)."""
    value = source.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def flag(value: Any) -> bool:
    """A boolean X sends either as ``true``/``false`` or as the strings ``"true"``/``"false"``."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, str) and value.strip().lower() in TRUE_STRINGS | FALSE_STRINGS:
        return value.strip().lower() in TRUE_STRINGS
    raise ParseError(f"expected a boolean, got {value!r:.40}")


def object_id(source: Mapping[str, Any], key: str = "id", *, required: bool = True) -> str | None:
    """The id of an object: ``<key>_str`` beats the numeric ``<key>``.

    A numeric id is accepted only as an exact integer (never a float, which would have lost the
    low digits of a 64-bit id).
    """
    for candidate in (f"{key}_str", key):
        if candidate in source and source[candidate] is not None:
            found = id_from(source[candidate])
            if found is None:
                raise ParseError(f"{candidate} is not an X id: {source[candidate]!r:.40}")
            return found
    if required:
        raise ParseError(f"{key} is missing")
    return None


def iso_time(value: str) -> datetime:
    """``2024-01-15T10:30:00.000Z`` (v2) as an aware UTC datetime."""
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ParseError(f"not an ISO 8601 time: {value!r:.40}") from None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def v1_time(value: str) -> datetime:
    """``Fri Dec 13 04:48:09 +0000 2019`` (v1.1) as an aware UTC datetime."""
    try:
        return datetime.strptime(value, V1_TIME_FORMAT).astimezone(UTC)
    except ValueError:
        raise ParseError(f"not an X v1.1 time: {value!r:.40}") from None


def millisecond_time(value: Any) -> datetime:
    """Milliseconds since the Unix epoch (a string or a number) as an aware UTC datetime."""
    if isinstance(value, bool):
        raise ParseError("a timestamp cannot be a boolean")
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if not isinstance(value, int) or not 0 <= value < 253402300800000:
        raise ParseError(f"not a millisecond timestamp: {value!r:.40}")
    return datetime.fromtimestamp(value / 1000, tz=UTC)


def time_or_id(when: datetime | None, external_id: str) -> datetime:
    """``when`` if known, else the time encoded in the snowflake id."""
    if when is not None:
        return when
    try:
        return snowflake_time(external_id)
    except (OverflowError, ValueError, OSError):
        raise ParseError(f"no time for {external_id}") from None


def language(value: Any) -> str | None:
    """X's ``lang``; ``und`` (undetermined) and empty values mean unknown."""
    if not isinstance(value, str) or not value or value == "und":
        return None
    return value


def strings(values: Sequence[Any]) -> tuple[str, ...]:
    """The string items of a list, in order (others are skipped)."""
    return tuple(v for v in values if isinstance(v, str) and v)


def edited_original(post_id: str, history: Any) -> str | None:
    """The first version's id when a post is an edit (X gives each edit a new id)."""
    if not isinstance(history, list) or len(history) < 2:
        return None
    first = id_from(history[0])
    return first if first is not None and first != post_id else None
