"""Writing many rows of one table with one statement: what the pipeline's batches write.

On SQLite the rows go straight to the driver's ``executemany``, each value converted by its
column's own bind processor (what SQLAlchemy would do, without its per-row bookkeeping, which
cost the pipeline more than SQLite's own work); elsewhere they go through SQLAlchemy (on
PostgreSQL its ``insertmanyvalues``). Rows are mappings, or objects whose attributes are the
columns.
"""

from __future__ import annotations

import operator
import weakref
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import sqlalchemy as sa
from careline.models import UTCDateTime

Converter = Callable[[Any], Any]


class _Bulk:
    """One ``INSERT`` or ``UPDATE`` statement, run for many rows at once."""

    def __init__(
        self,
        dialect: sa.Dialect,
        statement: sa.Insert | sa.Update,
        keys: Mapping[str, str],
        *,
        column_keys: list[str] | None = None,
    ) -> None:
        """``keys`` names the row key (or attribute) each bind parameter takes; an ``INSERT``
        without values names its columns with ``column_keys``."""
        self.statement = statement
        self.binds = tuple(keys)
        self.sql: str | None = None
        self.converters: tuple[tuple[int, Converter], ...] = ()
        order = self.binds
        if dialect.name == "sqlite":
            compiled = statement.compile(dialect=dialect, column_keys=column_keys)
            assert compiled.positional and compiled.positiontup is not None
            order = tuple(compiled.positiontup)
            self.sql = compiled.string
            types = [compiled.binds[name].type for name in order]
            processors = (
                _quick(kind, kind.dialect_impl(dialect).bind_processor(dialect)) for kind in types
            )
            self.converters = tuple(
                (position, process)
                for position, process in enumerate(processors)
                if process is not None
            )
        names = [keys[name] for name in order]
        self.items = operator.itemgetter(*names)
        self.attributes = operator.attrgetter(*names)

    def __call__(self, connection: sa.Connection, rows: Sequence[Any]) -> None:
        take = self.items if isinstance(rows[0], Mapping) else self.attributes
        if self.sql is None:
            binds = self.binds
            connection.execute(
                self.statement, [dict(zip(binds, take(r), strict=True)) for r in rows]
            )
            return
        converters = self.converters
        values = []
        for row in rows:
            line = list(take(row))
            for position, process in converters:
                line[position] = process(line[position])
            values.append(tuple(line))
        connection.exec_driver_sql(self.sql, values)


def _quick(column_type: Any, process: Converter | None) -> Converter | None:
    """``process``, answering at once for the values rows are full of (``None``, ``[]``, ``{}``,
    UTC times written before)."""
    if process is None:
        return None
    convert = process
    if isinstance(column_type, sa.JSON):
        empty_list, empty_dict = convert([]), convert({})

        def json_value(value: Any) -> Any:
            if not value:
                if value.__class__ is list:
                    return empty_list
                if value.__class__ is dict:
                    return empty_dict
            return convert(value)

        return json_value
    if isinstance(column_type, UTCDateTime) and _same_text(convert, _sqlite_utc_text):
        return _remembered_utc_text
    if convert(None) is not None:
        return convert

    def value_or_none(value: Any) -> Any:
        return None if value is None else convert(value)

    return value_or_none


def _sqlite_utc_text(value: datetime | None) -> str | None:
    """An aware time as SQLite stores a :class:`UTCDateTime` (naive UTC text, microseconds)."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; careline stores UTC times")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


_TEXTS: dict[datetime, str] = {}
_TEXTS_KEPT = 4096


def _remembered_utc_text(value: datetime | None) -> str | None:
    """:func:`_sqlite_utc_text`, remembering the latest UTC times written.

    A message's time is written again as its conversation's, its events' and its SLA clocks',
    and formatting a time costs twenty times a dictionary's look-up. Only times given in UTC are
    remembered: two times in one other zone compare equal while an hour apart when the clocks go
    back (``fold``), and would share a text.
    """
    if value is None:
        return None
    if value.tzinfo is not UTC:
        return _sqlite_utc_text(value)
    text = _TEXTS.get(value)
    if text is None:
        text = _sqlite_utc_text(value)
        assert text is not None
        if len(_TEXTS) >= _TEXTS_KEPT:
            _TEXTS.clear()
        _TEXTS[value] = text
    return text


def _same_text(convert: Converter, faster: Converter) -> bool:
    """True when ``faster`` writes exactly what the column's own processor writes."""
    samples = [
        None,
        datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
        datetime(987, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 30, 15, 123, tzinfo=timezone(timedelta(hours=-7, minutes=-30))),
    ]
    return all(convert(value) == faster(value) for value in samples)


_STATEMENTS: weakref.WeakKeyDictionary[sa.Dialect, dict[str, _Bulk]] = weakref.WeakKeyDictionary()


_STATEMENTS_KEPT = 512
"""Statements kept per dialect: an ``UPDATE`` is one per set of columns a batch changed."""


def _statement(connection: sa.Connection, key: str, build: Callable[[sa.Dialect], _Bulk]) -> _Bulk:
    statements = _STATEMENTS.setdefault(connection.dialect, {})
    found = statements.get(key)
    if found is None:
        if len(statements) >= _STATEMENTS_KEPT:
            statements.clear()
        found = statements[key] = build(connection.dialect)
    return found


def insert_rows(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Any], *, with_id: bool = True
) -> None:
    """Insert ``rows`` in one statement: mappings of every column of ``table`` (but ``id``
    unless ``with_id``), or objects with those attributes."""
    names = [c.name for c in table.columns if with_id or c.name != "id"]
    insert = _statement(
        connection,
        f"insert:{table.name}:{with_id}",
        lambda dialect: _Bulk(
            dialect, table.insert(), {name: name for name in names}, column_keys=names
        ),
    )
    insert(connection, rows)


def update_rows(
    connection: sa.Connection, table: sa.Table, rows: Sequence[Any], columns: Sequence[str]
) -> None:
    """``UPDATE table SET <columns> WHERE id = …`` for each row, in one statement: ``rows`` are
    mappings with ``id`` and those columns, or objects with those attributes."""

    def build(dialect: sa.Dialect) -> _Bulk:
        # bind parameters may not be named after the columns an UPDATE sets
        statement = (
            table.update()
            .where(table.c.id == sa.bindparam("row_id"))
            .values({name: sa.bindparam(f"new_{name}") for name in columns})
        )
        keys = {"row_id": "id", **{f"new_{name}": name for name in columns}}
        return _Bulk(dialect, statement, keys)

    _statement(connection, f"update:{table.name}:{','.join(columns)}", build)(connection, rows)
