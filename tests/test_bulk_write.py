"""Rows written in bulk read back as the ORM would have written them, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from careline.bulk_write import insert_rows, update_rows
from careline.models import Contact, Conversation
from careline.pipeline_store import (
    CONVERSATION,
    CONVERSATION_CHANGES,
    CONVERSATION_COLUMNS,
    ContactRow,
    ConversationRow,
)
from careline.types import ConversationStatus, Priority, Visibility
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

CONTACT: sa.Table = Contact.__table__  # type: ignore[attr-defined]

ZONES = st.builds(
    timezone, st.integers(min_value=-14 * 60, max_value=14 * 60).map(lambda m: timedelta(minutes=m))
)
TIMES = st.datetimes(
    min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=ZONES | st.just(UTC)
)
ATTRIBUTES = st.dictionaries(
    st.text(max_size=8), st.none() | st.integers() | st.text(max_size=8), max_size=3
)


def _contacts(draw_times: list[datetime], attributes: list[dict]) -> list[ContactRow]:
    return [
        ContactRow(id=n + 1, name=f"c{n}", attributes=attrs, created_at=at)
        for n, (at, attrs) in enumerate(zip(draw_times, attributes, strict=True))
    ]


def _stored(connection: sa.Connection) -> list[tuple[int, dict, datetime]]:
    query = sa.select(CONTACT.c.id, CONTACT.c.attributes, CONTACT.c.created_at).order_by("id")
    return [tuple(row) for row in connection.execute(query)]


@given(data=st.data())
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_bulk_rows_read_back_as_written(careline_db, data) -> None:
    count = data.draw(st.integers(min_value=1, max_value=8))
    times = data.draw(st.lists(TIMES, min_size=count, max_size=count))
    # the same instants again, given in other zones: remembered texts must still be right
    again = [at.astimezone(data.draw(ZONES)) for at in times]
    attributes = data.draw(st.lists(ATTRIBUTES, min_size=count, max_size=count))
    rows = _contacts(times, attributes)
    changed = _contacts(
        list(reversed(again)),
        data.draw(st.lists(ATTRIBUTES, min_size=count, max_size=count)),
    )
    with careline_db.engine.begin() as connection:
        connection.execute(CONTACT.delete())
        insert_rows(connection, CONTACT, rows)
        assert _stored(connection) == [(r.id, r.attributes, r.created_at) for r in rows]
        update_rows(connection, CONTACT, changed, ["attributes", "created_at"])
        assert _stored(connection) == [(r.id, r.attributes, r.created_at) for r in changed]
        # mappings work as objects do
        update_rows(connection, CONTACT, [{"id": 1, "name": None}], ["name"])
        assert (
            connection.execute(sa.select(CONTACT.c.name).where(CONTACT.c.id == 1)).scalar() is None
        )


def test_a_conversation_updated_in_bulk_reads_back_through_the_orm(careline_db) -> None:
    """Every kind of column a conversation has: enums, booleans, JSON lists, times, None."""
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    with Session(careline_db.engine) as session:
        contact = Contact(name="c", created_at=at)
        session.add(contact)
        session.flush()
        stored = Conversation(
            channel="x",
            account="a",
            thread_key="t",
            visibility=Visibility.PUBLIC,
            contact_id=contact.id,
            created_at=at,
            updated_at=at,
        )
        session.add(stored)
        session.commit()
        row = ConversationRow({name: getattr(stored, name) for name in CONVERSATION_COLUMNS})
    row.status = ConversationStatus.OPEN
    row.priority = Priority.URGENT
    row.suggest_private = True
    row.tags = ["refund", "vip"]
    row.sentiment = -0.5
    row.first_response_due = at.astimezone(timezone(timedelta(hours=2)))
    row.queue = None
    with careline_db.engine.begin() as connection:
        update_rows(connection, CONVERSATION, [row], CONVERSATION_CHANGES)
    with Session(careline_db.engine) as session:
        again = session.get(Conversation, row.id)
        assert again is not None
        assert {name: getattr(again, name) for name in CONVERSATION_COLUMNS} == {
            name: getattr(row, name) for name in CONVERSATION_COLUMNS
        }


def test_the_repeated_hour_when_clocks_go_back_is_two_instants(careline_db) -> None:
    """01:30 in New York on 2026-11-01 happens twice; equal as Python times, an hour apart."""
    zone = ZoneInfo("America/New_York")
    first, second = (datetime(2026, 11, 1, 1, 30, fold=fold, tzinfo=zone) for fold in (0, 1))
    rows = _contacts([first, second, first], [{}, {}, {}])
    with careline_db.engine.begin() as connection:
        insert_rows(connection, CONTACT, rows)
        stored = [at for _, _, at in _stored(connection)]
    assert stored[1] - stored[0] == timedelta(hours=1) and stored[2] == stored[0]


def test_a_naive_time_is_refused_not_stored_as_if_utc(careline_db) -> None:
    row = ContactRow(id=1, name="x", attributes={}, created_at=datetime(2026, 1, 5, 9))
    with careline_db.engine.begin() as connection, pytest.raises(Exception, match="naive"):
        insert_rows(connection, CONTACT, [row])
