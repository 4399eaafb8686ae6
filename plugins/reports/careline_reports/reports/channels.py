"""``channels``: the KPIs of each channel side by side."""

from __future__ import annotations

from typing import Any, ClassVar

from careline.reporting import ReportParams
from careline.types import ReportResult, ReportSeries, ReportTable
from sqlalchemy.orm import Session

from careline_reports.kpis import compute_cycle_kpis
from careline_reports.measures import CycleKpis
from careline_reports.reports.base import CareReport
from careline_reports.reports.figures import duration_key
from careline_reports.reports.performance import kpi_columns, table_rows
from careline_reports.sql.activity import activity_totals, empty_activity


class ChannelsReport(CareReport):
    """Per channel: volume, response and resolution times, SLA, response rate and CSAT."""

    name: ClassVar[str] = "channels"
    title: ClassVar[str] = "Channels"
    description: ClassVar[str] = (
        "Per channel: conversations, messages, first response and resolution times, SLA "
        "attainment, response rate and CSAT."
    )

    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the channels report for ``params``."""
        per_channel = compute_cycle_kpis(session, params, self.settings_for(session), "channel")
        volume = {
            key[0]: values for key, values in activity_totals(session, params, ("channel",)).items()
        }
        keyed: list[tuple[str, dict[str, Any]]] = []
        for channel in sorted(set(per_channel) | set(volume)):
            kpis = per_channel.get(channel, CycleKpis(channel, {}))
            counts = volume.get(channel, empty_activity())
            keyed.append(
                (
                    channel,
                    {
                        "conversations": counts["opened"],
                        "cycles": kpis.count("cycles"),
                        "inbound_messages": counts["inbound_messages"],
                        "replies": counts["replies"],
                        **kpi_columns(kpis, params.business_hours),
                    },
                )
            )
        columns, rows = table_rows(keyed)
        table = ReportTable(title="Channels", columns=("channel", *columns), rows=rows)
        median = duration_key("first_response", "median")
        chart = ReportSeries(
            title="Median first response time by channel",
            labels=tuple(label for label, _ in keyed),
            values={median: tuple(values[median] for _, values in keyed)},
            kind="bar",
        )
        return self.result(
            params, figures={"channels": len(keyed)}, tables=(table,), series=(chart,)
        )
