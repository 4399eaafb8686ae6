"""Database engines and sessions: SQLite (embedded default) or PostgreSQL.

SQLite runs in WAL mode with foreign keys on and a busy timeout, so the web process and the
worker can share one file. PostgreSQL is chosen with ``CARELINE_DATABASE_URL`` (or
``[instance] database_url``) and lets many processes share the work with row claims.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from careline import json_codec, models
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY_OPTION = "careline_read_only"


class WriteLockBusy(Exception):
    """Another connection holds SQLite's write lock (see :meth:`Database.begin_without_waiting`)."""


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; SQLAlchemy's documented recipe is to
    # switch it off and emit BEGIN ourselves (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_begin(connection: sa.Connection) -> None:
    # IMMEDIATE takes the write lock at the start (waiting up to the busy timeout): a deferred
    # transaction that reads and then writes fails at once with "database is locked" when
    # another process or thread committed in between. WAL readers are never blocked by it.
    # Read-only sessions (Database.read_session) keep a deferred BEGIN so they never wait on
    # writers.
    if connection.get_execution_options().get(READ_ONLY_OPTION):
        connection.exec_driver_sql("BEGIN")
    else:
        connection.exec_driver_sql("BEGIN IMMEDIATE")


def create_db_engine(url: str, *, echo: bool = False) -> Engine:
    """An engine for ``url`` with careline's connection settings."""
    if url.startswith("sqlite"):
        path = sa.engine.make_url(url).database
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(
            url,
            echo=echo,
            connect_args={"check_same_thread": False, "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000},
            json_serializer=json_codec.dumps,
            json_deserializer=json_codec.loads,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return sa.create_engine(
        url,
        echo=echo,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        json_serializer=json_codec.dumps,
        json_deserializer=json_codec.loads,
    )


@dataclass
class Database:
    """An engine plus the facts the rest of the core asks about it."""

    engine: Engine

    @classmethod
    def from_url(cls, url: str) -> Database:
        """Connect to ``url`` (nothing is created until :meth:`create_schema` or a migration)."""
        return cls(create_db_engine(url))

    @property
    def is_sqlite(self) -> bool:
        """True for the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    @property
    def supports_row_claims(self) -> bool:
        """True when workers can claim rows with ``FOR UPDATE SKIP LOCKED``."""
        return self.engine.dialect.name == "postgresql"

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits when the block succeeds and rolls back when it raises."""
        with Session(self.engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    @contextmanager
    def read_session(self) -> Iterator[Session]:
        """A session for reading only: on SQLite it never waits for a writer's lock."""
        engine = self.engine.execution_options(**{READ_ONLY_OPTION: True})
        # Closing (not rolling back) keeps loaded rows readable after the block; the pool
        # rolls the connection's read transaction back.
        with Session(engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def begin_without_waiting(self) -> Iterator[sa.Connection]:
        """A write transaction that raises :class:`WriteLockBusy` at once, instead of waiting
        up to the busy timeout, when another connection holds SQLite's write lock.

        For callers that must not block (the web app's event loop) and can hand the write to a
        thread instead. On PostgreSQL, where writers do not queue on one lock, it is an ordinary
        transaction.
        """
        with self.engine.connect() as connection:
            if not self.is_sqlite:
                with connection.begin():
                    yield connection
                return
            # On the driver's connection: through SQLAlchemy the PRAGMA would begin (and wait).
            raw = connection.connection.driver_connection
            assert raw is not None
            raw.execute("PRAGMA busy_timeout=0")
            try:
                transaction = connection.begin()
            except sa.exc.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise WriteLockBusy("another writer holds the SQLite write lock") from exc
                raise
            finally:
                raw.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            with transaction:
                yield connection

    def create_schema(self) -> None:
        """Create every table directly from the models (tests; instances use migrations)."""
        models.ALL_TABLES.create_all(self.engine)

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
