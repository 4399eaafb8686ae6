"""``careline init``, ``careline config show`` and ``careline db upgrade``."""

from __future__ import annotations

import json
from pathlib import Path

import click
from careline.cli.context import CliState, pass_state
from careline.config import DEFAULT_HOME
from careline.instance import init_instance


@click.command()
@click.option("--name", default="careline", help="The brand or team this instance serves.")
@click.option("--no-migrate", is_flag=True, help="Write the files but do not create the database.")
@pass_state
def init(state: CliState, name: str, no_migrate: bool) -> None:
    """Create an instance folder with a commented careline.toml and the database."""
    home = state.home or Path(DEFAULT_HOME)
    path = init_instance(home, name=name, apply_migrations=not no_migrate)
    click.echo(f"Created {path}")
    click.echo("Next: `careline agents add NAME --role admin` and `careline serve`.")


@click.group()
def config() -> None:
    """Inspect the configuration."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML-like text.")
@pass_state
def config_show(state: CliState, as_json: bool) -> None:
    """Print the effective configuration with every secret redacted."""
    effective = state.settings(require=False).redacted()
    if as_json:
        click.echo(json.dumps(effective, indent=2, default=str))
        return
    for table, values in effective.items():
        _print_table(table, values)


def _print_table(name: str, values: object) -> None:
    if not isinstance(values, dict):
        click.echo(f"{name} = {json.dumps(values, default=str)}")
        return
    scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
    click.echo(f"[{name}]")
    for key, value in scalars.items():
        click.echo(f"{key} = {json.dumps(value, default=str)}")
    click.echo("")
    for key, value in values.items():
        if isinstance(value, dict):
            _print_table(f"{name}.{key}", value)


@click.group()
def db() -> None:
    """Manage the database schema."""


@db.command("upgrade")
@click.option("--revision", default="head", show_default=True, help="Target revision.")
@pass_state
def db_upgrade(state: CliState, revision: str) -> None:
    """Apply the schema migrations (run after every upgrade of careline)."""
    from careline.db import Database
    from careline.migrations import current_revision, upgrade

    settings = state.settings()
    database = Database.from_url(settings.database_url)
    try:
        before = current_revision(database.engine)
        upgrade(database.engine, revision)
        after = current_revision(database.engine)
    finally:
        database.dispose()
    click.echo(f"Database at revision {after} (was {before or 'empty'}).")


def register(cli: click.Group) -> None:
    """Add these commands to the root group."""
    cli.add_command(init)
    cli.add_command(config)
    cli.add_command(db)
