"""``overview``: the headline KPIs of a period."""

from __future__ import annotations

from typing import Any, ClassVar

from careline.reporting import ReportParams
from careline.types import ReportResult, ReportSeries, ReportTable
from sqlalchemy.orm import Session

from careline_reports.kpis import compute_cycle_kpis
from careline_reports.measures import BUSINESS, CALENDAR, DURATION_METRICS, CycleKpis, SlaCount
from careline_reports.reports.base import CareReport
from careline_reports.reports.figures import csat_figures, duration_figures, sla_figures
from careline_reports.sql.activity import activity, activity_totals, backlog, empty_activity
from careline_reports.sql.buckets import DAY, bucketed_sums, local_days
from careline_reports.sql.cycles import CYCLE_STARTS
from careline_reports.targets import FIRST_RESPONSE, RESOLUTION


class OverviewReport(CareReport):
    """Conversations, messages, response and resolution times, SLA, response rate, FCR, CSAT
    and backlog."""

    name: ClassVar[str] = "overview"
    title: ClassVar[str] = "Care overview"
    description: ClassVar[str] = (
        "Conversations, first response, reply and resolution times, SLA attainment, response "
        "rate, first-contact resolution, CSAT and backlog."
    )

    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the overview for ``params``."""
        kpis = compute_cycle_kpis(session, params, self.settings_for(session)).get(
            "", CycleKpis("", {})
        )
        volume = activity_totals(session, params).get((), empty_activity())
        figures: dict[str, Any] = {
            "conversations": volume["opened"],
            "reopened": volume["reopened"],
            "cycles": kpis.count("cycles"),
            "inbound_messages": volume["inbound_messages"],
            "replies": volume["replies"],
            "automated_replies": volume["automated_replies"],
            **duration_figures(kpis, params.business_hours),
            **sla_figures(kpis),
            "response_rate": kpis.response_rate,
            "answered": kpis.count("answered"),
            "unanswered": kpis.count("cycles") - kpis.count("ignored") - kpis.count("answered"),
            "ignored": kpis.count("ignored"),
            "first_contact_resolution_rate": kpis.first_contact_resolution,
            **csat_figures(kpis),
            "backlog": backlog(session, params),
        }
        return self.result(
            params,
            figures=figures,
            tables=(durations_table(kpis, params.business_hours), sla_table(kpis)),
            series=(cycles_per_day(session, params),),
        )


def durations_table(kpis: CycleKpis, business: bool) -> ReportTable:
    """One row per duration metric and basis: count, mean, median, p90."""
    rows = []
    for metric in DURATION_METRICS:
        for basis in (CALENDAR, BUSINESS) if business else (CALENDAR,):
            stats = kpis.duration(metric, basis)
            rows.append((f"{metric}_time", basis, stats.count, stats.mean, stats.median, stats.p90))
    return ReportTable(
        title="Response and resolution times",
        columns=("metric", "basis", "count", "mean_seconds", "median_seconds", "p90_seconds"),
        rows=tuple(rows),
    )


def sla_table(kpis: CycleKpis) -> ReportTable:
    """Met, breached and attainment of each SLA target."""
    rows = []
    for target in (FIRST_RESPONSE, RESOLUTION):
        count = kpis.sla.get(target, SlaCount())
        rows.append((target, count.met, count.breached, count.attainment))
    return ReportTable(
        title="SLA attainment",
        columns=("target", "met", "breached", "attainment_rate"),
        rows=tuple(rows),
    )


def cycles_per_day(session: Session, params: ReportParams) -> ReportSeries:
    """New and reopened conversations per local day."""
    starts = activity(params, types=CYCLE_STARTS)
    sums = bucketed_sums(session, starts, params, DAY, (), ("opened", "reopened"))
    days = local_days(params)
    return ReportSeries(
        title="Conversations per day",
        labels=tuple(day.isoformat() for day in days),
        values={
            "new": tuple(sums.get((day,), [0.0, 0.0])[0] for day in days),
            "reopened": tuple(sums.get((day,), [0.0, 0.0])[1] for day in days),
        },
        kind="bar",
    )
