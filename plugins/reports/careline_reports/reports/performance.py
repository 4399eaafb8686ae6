"""The KPI columns the per-agent and per-channel tables share."""

from __future__ import annotations

from typing import Any

from careline_reports.measures import CycleKpis
from careline_reports.reports.figures import csat_figures, duration_figures, sla_figures

TIMED = ("first_response", "resolution")


def kpi_columns(kpis: CycleKpis, business: bool) -> dict[str, Any]:
    """FRT and resolution time (mean, median, p90), SLA attainment, response rate and CSAT."""
    csat = csat_figures(kpis)
    return {
        **duration_figures(kpis, business, TIMED),
        **sla_figures(kpis),
        "response_rate": kpis.response_rate,
        "csat_mean": csat["csat_mean"],
        "csat_responses": csat["csat_responses"],
    }


def table_rows(
    keyed: list[tuple[str, dict[str, Any]]],
) -> tuple[tuple[str, ...], tuple[tuple[Any, ...], ...]]:
    """Columns and rows from ``(label, {column: value})`` pairs that share their columns."""
    if not keyed:
        return (), ()
    columns = tuple(keyed[0][1])
    return columns, tuple((label, *(values[c] for c in columns)) for label, values in keyed)
