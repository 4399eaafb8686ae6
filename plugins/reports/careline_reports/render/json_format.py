"""JSON: the whole result with raw values (seconds, shares 0–1), for the API and scripts."""

from __future__ import annotations

import json
from typing import Any

from careline.types import ReportResult


def result_to_dict(result: ReportResult) -> dict[str, Any]:
    """The result as plain JSON-compatible data."""
    return {
        "name": result.name,
        "title": result.title,
        "parameters": dict(result.parameters),
        "figures": dict(result.figures),
        "tables": [
            {"title": t.title, "columns": list(t.columns), "rows": [list(row) for row in t.rows]}
            for t in result.tables
        ],
        "series": [
            {
                "title": s.title,
                "kind": s.kind,
                "labels": list(s.labels),
                "values": {name: list(values) for name, values in s.values.items()},
            }
            for s in result.series
        ],
    }


def render_json(result: ReportResult) -> str:
    """The result as an indented JSON document."""
    return json.dumps(result_to_dict(result), indent=2, ensure_ascii=False, default=str) + "\n"
