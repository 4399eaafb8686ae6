"""What the reports of this plugin share: parameters, configuration and result building."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from careline.config import Settings
from careline.reporting import Report, ReportParams
from careline.types import ReportParameter, ReportResult, ReportSeries, ReportTable
from sqlalchemy.orm import Session

from careline_reports.targets import KpiSettings

# Callers without a bound report may put the instance Settings in ``session.info`` under this key.
SESSION_SETTINGS_KEY = "careline.settings"

COMMON_PARAMETERS: tuple[ReportParameter, ...] = (
    ReportParameter("since", "Start of the period: a duration back from now (30d) or a date."),
    ReportParameter("until", "End of the period (exclusive): a duration back or a date.", "now"),
    ReportParameter("timezone", "Time zone for days and hours of the week.", "UTC"),
    ReportParameter("channel", "Only conversations on this channel."),
    ReportParameter("queue", "Only conversations in this queue."),
    ReportParameter("agent", "Only conversations assigned to this agent."),
    ReportParameter(
        "source", "Only owned or only earned conversations.", None, ("owned", "earned")
    ),
    ReportParameter("business_hours", "Also measure durations in business hours.", False),
)


class CareReport(Report):
    """A report computed from the event log, measured against the instance's SLA targets.

    The hook ``careline_register_reports`` takes no settings, so instances come unbound; bind
    one to an instance with :meth:`configured` (the CLI does), or put the ``Settings`` in
    ``session.info["careline.settings"]``; otherwise the core's default SLA targets and
    calendar time apply.
    """

    parameters: ClassVar[tuple[ReportParameter, ...]] = COMMON_PARAMETERS

    def __init__(self, kpi_settings: KpiSettings | None = None) -> None:
        self.kpi_settings = kpi_settings

    def configured(self, settings: Settings) -> CareReport:
        """The same report measuring against ``settings``' SLA targets and business hours."""
        return type(self)(KpiSettings.from_settings(settings))

    def settings_for(self, session: Session) -> KpiSettings:
        """The KPI settings that apply when computing on ``session``."""
        if self.kpi_settings is not None:
            return self.kpi_settings
        settings = session.info.get(SESSION_SETTINGS_KEY)
        if isinstance(settings, Settings):
            return KpiSettings.from_settings(settings)
        return KpiSettings()

    def result(
        self,
        params: ReportParams,
        *,
        figures: Mapping[str, Any] | None = None,
        tables: Sequence[ReportTable] = (),
        series: Sequence[ReportSeries] = (),
    ) -> ReportResult:
        """A :class:`ReportResult` of this report for ``params``."""
        return ReportResult(
            name=self.name,
            title=self.title,
            parameters=describe_params(params),
            figures=dict(figures or {}),
            tables=tuple(tables),
            series=tuple(series),
        )


def describe_params(params: ReportParams) -> dict[str, Any]:
    """The parameters of a computation as plain JSON values (what a result was computed for)."""
    return {
        "since": params.since.isoformat(),
        "until": params.until.isoformat(),
        "timezone": params.timezone,
        "channel": params.channel,
        "queue": params.queue,
        "agent_id": params.agent_id,
        "source": params.source,
        "business_hours": params.business_hours,
    }
