"""Throw-away databases for tests: a SQLite file, or a fresh PostgreSQL database.

The PostgreSQL server comes from ``CARELINE_TEST_POSTGRES_URL`` (``make test`` starts one). When
it is not set, PostgreSQL tests are skipped loudly, except under ``CI=true`` where they fail.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

POSTGRES_ENV = "CARELINE_TEST_POSTGRES_URL"


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL test server was configured."""


def postgres_admin_url() -> str:
    """The URL of the PostgreSQL test server, or raise :class:`PostgresUnavailable`."""
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        raise PostgresUnavailable(
            f"{POSTGRES_ENV} is not set: run the suite with `make test`, which starts PostgreSQL"
        )
    return url


@contextmanager
def temporary_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database, yield its URL, drop it afterwards."""
    admin_url = sa.engine.make_url(postgres_admin_url())
    name = f"careline_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def temporary_sqlite_database(folder: Path) -> Iterator[str]:
    """Yield the URL of a new SQLite file in ``folder``."""
    yield f"sqlite:///{folder / f'careline-{uuid.uuid4().hex[:8]}.db'}"


def reset_database(engine: sa.Engine) -> None:
    """Empty every careline table (between hypothesis examples sharing one database)."""
    from careline.models import ALL_TABLES

    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{table.name}"' for table in ALL_TABLES.sorted_tables)
            connection.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(ALL_TABLES.sorted_tables):
                connection.execute(table.delete())
            if sa.inspect(connection).has_table("sqlite_sequence"):
                connection.execute(sa.text("DELETE FROM sqlite_sequence"))
