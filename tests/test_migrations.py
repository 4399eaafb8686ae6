"""The migrations create exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from careline.db import Database
from careline.migrations import current_revision, upgrade
from careline.models import ALL_TABLES


def test_migrations_match_the_models(careline_database_url: str) -> None:
    database = Database.from_url(careline_database_url)
    try:
        upgrade(database.engine)
        assert current_revision(database.engine) is not None
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": False})
            differences = compare_metadata(context, ALL_TABLES)
        assert differences == []
        upgrade(database.engine)  # a second upgrade is a no-op
    finally:
        database.dispose()
