"""The database wrapper: writers that must not wait for SQLite's write lock."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from careline.db import SQLITE_BUSY_TIMEOUT_MS, Database, WriteLockBusy
from careline.models import Queue

QUEUE: sa.Table = Queue.__table__  # type: ignore[attr-defined]


def test_a_write_that_must_not_wait_fails_at_once_while_the_lock_is_held(careline_db) -> None:
    if not careline_db.is_sqlite:
        pytest.skip("PostgreSQL writers do not queue on one lock")
    with careline_db.engine.connect() as holder:
        holder.begin()  # BEGIN IMMEDIATE
        with pytest.raises(WriteLockBusy), careline_db.begin_without_waiting():
            pytest.fail("the transaction must not start while another writer holds the lock")
        holder.rollback()
    with careline_db.begin_without_waiting() as connection:
        connection.execute(sa.insert(QUEUE), {"name": "vip"})
    with careline_db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_BUSY_TIMEOUT_MS
        assert connection.execute(sa.select(sa.func.count()).select_from(QUEUE)).scalar() == 1


def test_it_commits_on_success_and_rolls_back_on_error(careline_db: Database) -> None:
    with careline_db.begin_without_waiting() as connection:
        connection.execute(sa.insert(QUEUE), {"name": "vip"})

    def fail_midway() -> None:
        with careline_db.begin_without_waiting() as connection:
            connection.execute(sa.insert(QUEUE), {"name": "gone"})
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        fail_midway()
    with careline_db.engine.connect() as connection:
        names = connection.execute(sa.select(QUEUE.c.name)).scalars().all()
    assert names == ["vip"]
