"""CSV: one block per part of the result, raw values, separated by an empty line.

Each block starts with a one-cell title row (``# Agents``), then a header row and the data
rows: the figures (``figure,value``), every table, then every chart series (``label`` plus one
column per value name; a heat map has one row per weekday).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from careline.types import ReportResult


def _blocks(result: ReportResult) -> Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]]:
    yield result.title, ("figure", "value"), list(result.figures.items())
    for table in result.tables:
        yield table.title, table.columns, table.rows
    for series in result.series:
        if series.kind == "heatmap":
            rows = [(name, *values) for name, values in series.values.items()]
            yield series.title, ("weekday", *series.labels), rows
            continue
        names = list(series.values)
        rows = [
            (label, *(series.values[name][n] for name in names))
            for n, label in enumerate(series.labels)
        ]
        yield series.title, ("label", *names), rows


def render_csv(result: ReportResult) -> str:
    """The result as CSV blocks."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    for n, (title, columns, rows) in enumerate(_blocks(result)):
        if n:
            writer.writerow([])
        writer.writerow([f"# {title}"])
        writer.writerow(columns)
        writer.writerows(["" if value is None else value for value in row] for row in rows)
    return buffer.getvalue()
