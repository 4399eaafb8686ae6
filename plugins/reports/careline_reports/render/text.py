"""Terminal tables with :mod:`rich`: figures, tables and chart data as text."""

from __future__ import annotations

import io

from careline.types import ReportResult, ReportSeries, ReportTable
from rich.console import Console
from rich.table import Table

from careline_reports.render.values import display, header, period_label

WIDTH = 120
MAX_COLUMNS = 9


def render_text(result: ReportResult, *, width: int = WIDTH) -> str:
    """The result as plain text tables (no colour codes)."""
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=False, color_system=None)
    console.print(result.title, style="bold", markup=False)
    console.print(period_label(result.parameters), markup=False)
    if result.figures:
        console.print(_figures_table(result))
    for table in result.tables:
        for part in _split(table):
            console.print(_table(part))
    for series in result.series:
        console.print(_series_table(series))
    return buffer.getvalue()


def _figures_table(result: ReportResult) -> Table:
    figures = Table(show_header=False, box=None, pad_edge=False)
    figures.add_column(style="bold")
    figures.add_column(justify="right")
    for name, value in result.figures.items():
        figures.add_row(header(name), display(name, value))
    return figures


def _split(table: ReportTable) -> list[ReportTable]:
    """Tables wider than :data:`MAX_COLUMNS` become parts that repeat the first column."""
    if len(table.columns) <= MAX_COLUMNS:
        return [table]
    step = MAX_COLUMNS - 1
    parts = []
    for start in range(1, len(table.columns), step):
        indexes = [0, *range(start, min(start + step, len(table.columns)))]
        parts.append(
            ReportTable(
                title=table.title if start == 1 else f"{table.title} (continued)",
                columns=tuple(table.columns[i] for i in indexes),
                rows=tuple(tuple(row[i] for i in indexes) for row in table.rows),
            )
        )
    return parts


def _table(table: ReportTable) -> Table:
    shown = Table(title=table.title, title_justify="left")
    for column in table.columns:
        shown.add_column(header(column), overflow="fold")
    for row in table.rows:
        shown.add_row(
            *(display(column, value) for column, value in zip(table.columns, row, strict=False))
        )
    return shown


def _series_table(series: ReportSeries) -> Table:
    if series.kind == "heatmap":
        table = Table(title=series.title, title_justify="left", pad_edge=False, padding=0)
        table.add_column("")
        for label in series.labels:
            table.add_column(label, justify="right", min_width=3)
        for name, values in series.values.items():
            table.add_row(name, *(display("", v) for v in values))
        return table
    table = Table(title=series.title, title_justify="left")
    table.add_column("")
    names = list(series.values)
    for name in names:
        table.add_column(header(name), justify="right")
    for n, label in enumerate(series.labels):
        table.add_row(label, *(display(name, series.values[name][n]) for name in names))
    return table
