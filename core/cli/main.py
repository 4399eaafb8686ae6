"""The root ``careline`` group, built by :func:`create_cli` from a plugin manager."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click
import pluggy
from careline import __version__
from careline.cli import admin, instance_commands, plugins_command
from careline.cli.context import CliState
from careline.cli.errors import CarelineGroup
from careline.plugins import get_plugin_manager

COMMAND_MODULES = (instance_commands, plugins_command, admin)


def create_cli(pm: pluggy.PluginManager | None = None) -> click.Group:
    """Build the command line: the core's commands plus those plugins register.

    Without ``pm`` the plugin manager is built from the installed plugins at invocation time, so
    ``--strict`` can make a plugin that fails to load fatal.
    """
    preloaded = pm if pm is not None else _load_plugins_quietly()

    @click.group(cls=CarelineGroup, context_settings={"help_option_names": ["-h", "--help"]})
    @click.version_option(__version__, "--version", prog_name="careline")
    @click.option(
        "--home",
        type=click.Path(file_okay=False, path_type=Path),
        envvar="CARELINE_HOME",
        help="Instance folder (default: ./careline-instance).",
    )
    @click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
    @click.option("--strict", is_flag=True, help="Fail when a plugin cannot be loaded.")
    @click.pass_context
    def cli(ctx: click.Context, home: Path | None, debug: bool, strict: bool) -> None:
        """careline: social customer care, from every channel, in one place."""
        manager = get_plugin_manager(strict=True) if strict and pm is None else preloaded
        report = getattr(manager, "load_report", None)
        for name, error in sorted((report.failed if report else {}).items()):
            click.echo(
                f"careline: plugin {name!r} failed to load and was skipped: {error}", err=True
            )
        state = CliState(pm=manager, home=home, debug=debug)
        ctx.obj = state
        ctx.call_on_close(state.close)

    for module in COMMAND_MODULES:
        module.register(cli)
    preloaded.hook.careline_register_commands(cli=cli)
    return cli


def _load_plugins_quietly() -> pluggy.PluginManager:
    return get_plugin_manager(strict=False)


def main(argv: list[str] | None = None) -> Any:
    """Entry point of the ``careline`` console script."""
    cli = create_cli()
    return cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="careline")
