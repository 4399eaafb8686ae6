"""JSON columns (event data, tags, topics, attributes) read back as written, on SQLite and
PostgreSQL (written and read with :mod:`careline.json_codec`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from careline.db import Database
from careline.models import Event
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
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
EVENT = Event.__table__  # type: ignore[attr-defined]


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.dictionaries(st.text(max_size=8), DOCUMENTS, max_size=4))
def test_event_data_reads_back_as_written(careline_db: Database, data: dict[str, Any]) -> None:
    with careline_db.engine.begin() as connection:
        new_id = connection.execute(
            EVENT.insert().values(type="note", actor="test", at=T0, data=data)
        ).inserted_primary_key[0]
        stored = connection.execute(sa.select(EVENT.c.data).where(EVENT.c.id == new_id)).one()
    assert stored.data == data
