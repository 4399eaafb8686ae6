"""The reports this plugin registers."""

from __future__ import annotations

from careline_reports.reports.agents import AgentsReport
from careline_reports.reports.base import CareReport
from careline_reports.reports.channels import ChannelsReport
from careline_reports.reports.overview import OverviewReport
from careline_reports.reports.topics import TopicsReport
from careline_reports.reports.volume import VolumeReport
from careline_reports.targets import KpiSettings

REPORT_CLASSES: tuple[type[CareReport], ...] = (
    OverviewReport,
    VolumeReport,
    AgentsReport,
    ChannelsReport,
    TopicsReport,
)


def all_reports(kpi_settings: KpiSettings | None = None) -> list[CareReport]:
    """One instance of every report, measuring against ``kpi_settings`` when given."""
    return [report_class(kpi_settings) for report_class in REPORT_CLASSES]


__all__ = ["REPORT_CLASSES", "CareReport", "all_reports"]
