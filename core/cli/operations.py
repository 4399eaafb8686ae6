"""``careline events``, ``import``/``export``, ``worker``, ``channels`` and ``escalations``."""

from __future__ import annotations

import json
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import click
from careline import pipeline
from careline.cli.context import CliState, pass_state
from careline.cli.errors import UserError
from careline.config import parse_duration
from careline.models import ChannelHealth, Notice, RawEvent
from sqlmodel import col, select


def _since(runtime: Any, value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return runtime.now() - parse_duration(value)
    except ValueError:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise UserError(
                f"--since takes a duration (30d) or an ISO time, not {value!r}"
            ) from None


@click.group(name="events")
def events_group() -> None:
    """Inspect and replay raw deliveries."""


@events_group.command("list")
@click.option("--failed", is_flag=True, help="Only deliveries that could not be processed.")
@click.option("--limit", default=50, show_default=True)
@pass_state
def events_list(state: CliState, failed: bool, limit: int) -> None:
    """List raw deliveries, newest first."""
    with state.runtime().db.session() as session:
        query = select(RawEvent).order_by(col(RawEvent.id).desc()).limit(limit)
        if failed:
            query = query.where(RawEvent.status == "failed")
        rows = session.exec(query).all()
    if not rows:
        click.echo("No raw events." if not failed else "No failed raw events.")
    for row in rows:
        error = f" — {row.error}" if row.error else ""
        click.echo(
            f"#{row.id} {row.channel} {row.via} {row.status} {row.received_at:%Y-%m-%d %H:%M}{error}"
        )


@events_group.command("replay")
@click.option("--id", "ids", type=int, multiple=True, help="Raw event id (repeatable).")
@click.option("--since", help="Every failed event received since (30d or an ISO time).")
@pass_state
def events_replay(state: CliState, ids: tuple[int, ...], since: str | None) -> None:
    """Run failed raw events through the pipeline again."""
    if not ids and not since:
        raise UserError("say which events: --id N or --since 1d")
    runtime = state.runtime()
    count = pipeline.replay(runtime, ids=ids, since=_since(runtime, since))
    stats = pipeline.process_pending(runtime)
    click.echo(
        f"Replayed {count}: {stats.raw_events - stats.failed} processed, {stats.failed} failed again"
    )
    for error in stats.errors:
        click.echo(f"  {error}", err=True)


@click.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@pass_state
def import_command(state: CliState, path: Path) -> None:
    """Import messages from a JSON-lines file (see docs/import-export.md)."""
    from careline.importer import import_stream
    from rich.progress import open as progress_open

    runtime = state.runtime()
    with progress_open(
        path,
        "r",
        encoding="utf-8",
        description="Importing",
        transient=False,
        disable=not sys.stderr.isatty(),
    ) as stream:
        stats = import_stream(runtime, stream)
    click.echo(
        f"{stats.imported} imported, {stats.duplicates} already present, "
        f"{len(stats.errors)} rejected (of {stats.lines} lines)"
    )
    for number, message in stats.errors[:50]:
        click.echo(f"{path}:{number}: {message}", err=True)
    if len(stats.errors) > 50:
        click.echo(f"… and {len(stats.errors) - 50} more", err=True)
    if stats.errors:
        raise click.exceptions.Exit(2)


@click.command("export")
@click.option(
    "--out", type=click.Path(dir_okay=False, path_type=Path), help="File (default: stdout)."
)
@pass_state
def export_command(state: CliState, out: Path | None) -> None:
    """Export every message as JSON lines (the import format)."""
    from careline.importer import export_records

    handle = out.open("w", encoding="utf-8") if out else sys.stdout
    count = 0
    try:
        for record in export_records(state.runtime()):
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    finally:
        if out:
            handle.close()
    click.echo(f"Exported {count} messages", err=True)


@click.command("worker")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option("--no-poll", is_flag=True, help="Do not poll channels (webhooks only).")
@pass_state
def worker_command(state: CliState, once: bool, no_poll: bool) -> None:
    """Run the background worker: poll, process, send, notify, tick."""
    from careline.worker import Worker

    worker = Worker(state.runtime(), poll=not no_poll)
    if once:
        figures = worker.run_once(force=True)
        click.echo(", ".join(f"{key} {value}" for key, value in figures.items()))
        return

    def stop(_signum: int, _frame: object) -> None:
        click.echo("Stopping after the current step…", err=True)
        worker.stop()

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    click.echo("Worker running; Ctrl-C to stop.", err=True)
    worker.run()


@click.group(name="channels")
def channels_group() -> None:
    """Installed channels and their health."""


@channels_group.command("list")
@pass_state
def channels_list(state: CliState) -> None:
    """List channels, what they can do, and accounts that need reconnecting."""
    runtime = state.runtime()
    with runtime.db.session() as session:
        unhealthy = session.exec(select(ChannelHealth).where(ChannelHealth.state != "ok")).all()
    for name, channel in sorted(runtime.channels.items()):
        manifest = channel.manifest
        limits = ", ".join(f"{v}: {n}" for v, n in manifest.max_length.items())
        click.echo(f"{name} — {manifest.display_name} (max length {limits})")
    for row in unhealthy:
        click.echo(f"NEEDS RECONNECT {row.channel}/{row.account} since {row.since}: {row.reason}")


@channels_group.command("reconnect")
@click.argument("channel")
@pass_state
def channels_reconnect(state: CliState, channel: str) -> None:
    """Mark CHANNEL healthy again after new credentials were set (polling backfills the gap)."""
    runtime = state.runtime()
    runtime.channel(channel)
    with runtime.db.session() as session:
        rows = session.exec(select(ChannelHealth).where(ChannelHealth.channel == channel)).all()
        for row in rows:
            row.state, row.reason, row.since = "ok", None, runtime.now()
            session.add(row)
    click.echo(f"{channel}: reconnected ({len(rows)} account(s)); the next poll backfills the gap")


@click.group(name="escalations")
def escalations_group() -> None:
    """Acknowledge and resolve escalations."""


def _escalation_action(status: str) -> click.Command:
    @click.command("ack" if status == "acknowledged" else "resolve")
    @click.argument("escalation_id", type=int)
    @click.option("--as", "actor", help="Who (agent name).")
    @pass_state
    def command(state: CliState, escalation_id: int, actor: str | None) -> None:
        from careline.services import agents, escalations

        runtime = state.runtime()
        with runtime.db.session() as session:
            agent_id = agents.find_agent(session, actor).id if actor else None
            escalations.set_status(runtime, session, escalation_id, status, agent_id)
        click.echo(f"Escalation #{escalation_id} {status}")

    command.help = f"Mark an escalation {status}."
    return command


escalations_group.add_command(_escalation_action("acknowledged"))
escalations_group.add_command(_escalation_action("resolved"))


@click.group(name="notifications")
def notifications_group() -> None:
    """Notifications and their delivery state."""


@notifications_group.command("list")
@click.option("--failed", is_flag=True)
@pass_state
def notifications_list(state: CliState, failed: bool) -> None:
    """List notifications, newest first, with delivery state and last error."""
    with state.runtime().db.session() as session:
        query = select(Notice).order_by(col(Notice.id).desc()).limit(100)
        if failed:
            query = query.where(Notice.status == "failed")
        rows = session.exec(query).all()
    if not rows:
        click.echo("No notifications.")
    for row in rows:
        error = f" — {row.last_error}" if row.last_error else ""
        click.echo(
            f"#{row.id} {row.sender} {row.status} ({row.attempts} attempts) {row.title}{error}"
        )


def register(cli: click.Group) -> None:
    """Add these commands to the root."""
    for command in (
        events_group,
        import_command,
        export_command,
        worker_command,
        channels_group,
        escalations_group,
        notifications_group,
    ):
        cli.add_command(command)
