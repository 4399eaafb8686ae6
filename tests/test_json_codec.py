"""careline.json_codec answers what ``json`` answers — values, and errors with their messages —
only faster; JSON columns (event data, tags, topics, attributes), written and read with it, read
back as written on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from careline.db import Database
from careline.json_codec import dumps, loads
from careline.models import Event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**80), 2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
DOCUMENTS = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
# JSON-ish text: documents, their pieces cut or glued, and what orjson and json disagree on
TEXTS = DOCUMENTS.map(json.dumps) | st.lists(
    st.sampled_from(['{"a":', "[1,", "NaN", "-Infinity", '"\\ud800"', "}", "]", " ", "1e400"])
    | st.text(max_size=5),
    max_size=6,
).map("".join)


def _outcome(read: Any, text: str | bytes) -> tuple[str, Any]:
    try:
        value = read(text)
    except (ValueError, RecursionError) as exc:
        return type(exc).__name__, str(exc)
    return "value", json.dumps(value)  # NaN compares unequal to itself; its text does not


@given(DOCUMENTS)
def test_written_text_is_json_that_reads_back_the_same(document: Any) -> None:
    assert json.loads(dumps(document)) == document
    assert loads(dumps(document)) == document


@given(TEXTS, st.booleans())
def test_reading_answers_what_json_answers(text: str, as_bytes: bool) -> None:
    data = text.encode("utf-8", "surrogatepass") if as_bytes else text
    assert _outcome(loads, data) == _outcome(json.loads, data)


def test_what_orjson_refuses_is_written_and_read_as_json_does() -> None:
    huge = {"count": 2**70}
    assert loads(dumps(huge)) == huge
    assert math.isnan(loads(json.dumps({"score": float("nan")}))["score"])
    with pytest.raises(json.JSONDecodeError, match="Expecting value"):
        loads("[")


EVENT = Event.__table__  # type: ignore[attr-defined]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=8), DOCUMENTS, max_size=4))
def test_event_data_reads_back_as_written(careline_db: Database, data: dict[str, Any]) -> None:
    at = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    with careline_db.engine.begin() as connection:
        new_id = connection.execute(
            EVENT.insert().values(type="note", actor="test", at=at, data=data)
        ).inserted_primary_key[0]
        stored = connection.execute(sa.select(EVENT.c.data).where(EVENT.c.id == new_id)).one()
    assert stored.data == data
