"""Renderers: a :class:`careline.types.ReportResult` as text, CSV, JSON or HTML."""

from __future__ import annotations

from collections.abc import Callable

from careline.types import ReportResult

from careline_reports.render.csv_format import render_csv
from careline_reports.render.html import render_html
from careline_reports.render.json_format import render_json
from careline_reports.render.text import render_text

RENDERERS: dict[str, Callable[[ReportResult], str]] = {
    "text": render_text,
    "csv": render_csv,
    "json": render_json,
    "html": render_html,
}
FORMATS = tuple(RENDERERS)


def render(result: ReportResult, format: str) -> str | None:
    """``result`` in ``format`` (``None`` for a format this plugin does not know)."""
    renderer = RENDERERS.get(format)
    return None if renderer is None else renderer(result)


__all__ = ["FORMATS", "render"]
