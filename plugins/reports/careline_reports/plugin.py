"""The hook implementations careline loads from careline-reports (entry point `reports`)."""

from __future__ import annotations

from typing import Any

import click
from careline import hookimpl
from careline.config import Settings
from careline.reporting import Report
from careline.types import ReportResult

from careline_reports.cli import report_command
from careline_reports.config import load_config
from careline_reports.render import render
from careline_reports.reports import all_reports


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate ``[reports]`` so that a bad table fails at start-up."""
    load_config(settings)


@hookimpl
def careline_register_reports() -> list[Report]:
    """overview, volume, agents, channels and topics."""
    return list(all_reports())


@hookimpl
def careline_render_report(result: Any, format: str) -> str | None:
    """Render any :class:`ReportResult` as text, csv, json or html."""
    if not isinstance(result, ReportResult):
        return None
    return render(result, format)


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """Add ``careline report``."""
    cli.add_command(report_command)
