"""Turning :class:`~careline_reports.kpis.CycleKpis` into named figures and table columns.

Names end in ``_seconds`` for durations and in ``_rate``/``_share``/``_sla`` for shares (0–1);
the renderers format them by that suffix.
"""

from __future__ import annotations

from typing import Any

from careline_reports.measures import BUSINESS, CALENDAR, DURATION_METRICS, CycleKpis, SlaCount
from careline_reports.targets import FIRST_RESPONSE, RESOLUTION

STATISTICS = ("mean", "median", "p90")


def duration_key(metric: str, statistic: str, basis: str = CALENDAR) -> str:
    """E.g. ``first_response_time_median_seconds`` or ``reply_time_business_p90_seconds``."""
    middle = "_business" if basis == BUSINESS else ""
    return f"{metric}_time{middle}_{statistic}_seconds"


def duration_figures(
    kpis: CycleKpis,
    business: bool,
    metrics: tuple[str, ...] = DURATION_METRICS,
    statistics: tuple[str, ...] = STATISTICS,
) -> dict[str, Any]:
    """Mean/median/p90 of each duration metric (and their business-hours twins)."""
    figures: dict[str, Any] = {}
    bases = (CALENDAR, BUSINESS) if business else (CALENDAR,)
    for metric in metrics:
        for basis in bases:
            stats = kpis.duration(metric, basis)
            for statistic in statistics:
                figures[duration_key(metric, statistic, basis)] = getattr(stats, statistic)
    return figures


def sla_figures(kpis: CycleKpis) -> dict[str, Any]:
    """First-response and resolution SLA attainment (share met)."""
    return {
        "first_response_sla": kpis.sla.get(FIRST_RESPONSE, SlaCount()).attainment,
        "resolution_sla": kpis.sla.get(RESOLUTION, SlaCount()).attainment,
    }


def csat_figures(kpis: CycleKpis) -> dict[str, Any]:
    """CSAT mean and share 4–5, VSAT share 5, responses and survey response rate."""
    return {
        "csat_mean": kpis.csat_mean,
        "csat_share": kpis.csat_share,
        "vsat_share": kpis.vsat_share,
        "csat_responses": kpis.count("csat_responses"),
        "survey_response_rate": kpis.survey_response_rate,
    }
