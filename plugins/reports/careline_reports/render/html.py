"""HTML: a self-contained page (Jinja2, autoescaped) with inline SVG charts and print CSS."""

from __future__ import annotations

from functools import lru_cache

from careline.types import ReportResult
from jinja2 import Environment, PackageLoader, select_autoescape

from careline_reports.render.svg import chart
from careline_reports.render.values import display, header, period_label


@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment of the report templates (autoescaped)."""
    env = Environment(
        loader=PackageLoader("careline_reports", "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["header"] = header
    env.globals["display"] = display
    env.globals["chart"] = chart
    env.globals["period_label"] = period_label
    return env


def render_html(result: ReportResult) -> str:
    """The result as a complete HTML page."""
    return environment().get_template("report.html").render(result=result)
