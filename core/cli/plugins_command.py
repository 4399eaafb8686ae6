"""``careline plugins``: every plugin with version and hooks."""

from __future__ import annotations

import json
from dataclasses import asdict

import click
from careline.cli.context import CliState, pass_state
from careline.plugins import list_plugins


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_state
def plugins(state: CliState, as_json: bool) -> None:
    """List the loaded plugins with their version and the hooks they implement."""
    infos = list_plugins(state.pm)
    if as_json:
        click.echo(json.dumps([asdict(info) for info in infos], indent=2))
        return
    if not infos:
        click.echo("No plugins loaded.")
        return
    for info in infos:
        version = info.version or "-"
        click.echo(f"{info.name} {version} ({info.distribution or 'local'})")
        for hook in info.hooks:
            click.echo(f"    {hook}")


def register(cli: click.Group) -> None:
    """Add the command to the root group."""
    cli.add_command(plugins)
