"""``careline report NAME …`` and ``careline report --list``."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click
import sqlalchemy as sa
from careline.models import Agent
from careline.reporting import Report, ReportParams
from careline.types import ReportResult
from sqlmodel import Session

from careline_reports.config import load_config
from careline_reports.periods import parse_period
from careline_reports.render import FORMATS
from careline_reports.reports.base import SESSION_SETTINGS_KEY, CareReport


def registered_reports(state: Any) -> dict[str, Report]:
    """Every report the installed plugins register, ours bound to the instance's settings."""
    settings = state.settings()
    found: dict[str, Report] = {}
    for group in state.pm.hook.careline_register_reports():
        for report in group or []:
            found[report.name] = (
                report.configured(settings) if isinstance(report, CareReport) else report
            )
    return found


def _agent_id(session: Session, name: str | None) -> int | None:
    if name is None:
        return None
    table: Any = Agent.__table__  # type: ignore[attr-defined]
    agent_id = session.execute(sa.select(table.c.id).where(table.c.name == name)).scalar()
    if agent_id is None:
        raise click.BadParameter(f"no agent named {name!r}", param_hint="--agent")
    return int(agent_id)


@click.command("report")
@click.argument("name", required=False)
@click.option("--list", "list_reports", is_flag=True, help="List the available reports.")
@click.option("--since", help="Start: a duration back from now (30d) or a date (2026-01-01).")
@click.option("--until", help="End, exclusive: a duration back from now or a date (default: now).")
@click.option("--tz", "timezone", help="Time zone for days and hours (default: the instance's).")
@click.option("--channel", help="Only conversations on this channel.")
@click.option("--queue", help="Only conversations in this queue.")
@click.option("--agent", help="Only conversations assigned to this agent (by name).")
@click.option("--source", type=click.Choice(["owned", "earned"]), help="Only owned or earned.")
@click.option(
    "--business-hours/--calendar-hours",
    default=None,
    help="Also measure durations in business hours (default: [reports] business_hours).",
)
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="text")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
def report_command(
    name: str | None,
    list_reports: bool,
    since: str | None,
    until: str | None,
    timezone: str | None,
    channel: str | None,
    queue: str | None,
    agent: str | None,
    source: str | None,
    business_hours: bool | None,
    output_format: str,
    out: Path | None,
) -> None:
    """Compute a care report (overview, volume, agents, channels, topics) from the event log."""
    state = click.get_current_context().obj
    runtime = state.runtime()
    reports = registered_reports(state)
    if list_reports or name is None:
        if not list_reports:
            raise click.UsageError("name a report (see `careline report --list`)")
        for report in sorted(reports.values(), key=lambda r: r.name):
            click.echo(f"{report.name:<10} {report.title}: {report.description}")
        return
    if name not in reports:
        known = ", ".join(sorted(reports)) or "none installed"
        raise click.UsageError(f"no report named {name!r} (known: {known})")
    config = load_config(runtime.settings)
    zone_name = timezone or config.timezone or runtime.settings.instance.timezone
    try:
        zone = ZoneInfo(zone_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise click.BadParameter(f"unknown time zone {zone_name!r}", param_hint="--tz") from None
    try:
        start, end = parse_period(
            since, until, now=runtime.now(), zone=zone, default=config.default_period
        )
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--since/--until") from None
    with runtime.db.session() as session:
        session.info[SESSION_SETTINGS_KEY] = runtime.settings
        params = ReportParams(
            since=start,
            until=end,
            timezone=zone_name,
            channel=channel,
            queue=queue,
            agent_id=_agent_id(session, agent),
            source=source,
            business_hours=config.business_hours if business_hours is None else business_hours,
        )
        result: ReportResult = reports[name].compute(session, params)
    rendered = state.pm.hook.careline_render_report(result=result, format=output_format)
    if rendered is None:
        raise click.ClickException(f"no installed plugin renders reports as {output_format}")
    if out is None:
        click.echo(rendered, nl=False)
        return
    if isinstance(rendered, bytes):
        out.write_bytes(rendered)
    else:
        out.write_text(rendered, encoding="utf-8")
    click.echo(f"wrote {out}")
