"""``careline demo``: the command line of the demo (options, errors as one line)."""

from __future__ import annotations

from pathlib import Path

import click
from careline.cli.context import CliState

from careline_demo.instance import (
    DEFAULT_FOLDER,
    NotADemoFolderError,
    PortInUseError,
    ensure_port_free,
)
from careline_demo.run import DemoOptions, run_demo


def demo_command() -> click.Command:
    """Build the ``demo`` command."""

    @click.command("demo")
    @click.option(
        "--folder",
        type=click.Path(file_okay=False, path_type=Path),
        default=DEFAULT_FOLDER,
        show_default=True,
        help="The demo's instance folder (independent of --home).",
    )
    @click.option("--port", type=click.IntRange(1, 65535), default=8000, show_default=True,
                  help="Port of the inbox.")  # fmt: skip
    @click.option("--speed", type=click.FloatRange(min=0.01, max=1000), default=None,
                  help="Multiply the pace of simulated customers and agents (default 1).")  # fmt: skip
    @click.option("--seed", type=int, default=None, help="Fix the simulation's random choices.")
    @click.option("--no-traffic", is_flag=True, help="No simulated customers or agents.")
    @click.option("--no-backfill", is_flag=True, help="Do not write history into a new folder.")
    @click.option("--days", type=click.IntRange(0, 365), default=30, show_default=True,
                  help="Days of history a new demo folder gets.")  # fmt: skip
    @click.option("--duration", type=click.FloatRange(min=0), default=None,
                  help="Stop after this many seconds (default: run until Ctrl-C).")  # fmt: skip
    @click.option("--reset", is_flag=True, help="Delete the demo folder first and start over.")
    @click.pass_obj
    def demo(
        state: CliState,
        folder: Path,
        port: int,
        speed: float | None,
        seed: int | None,
        no_traffic: bool,
        no_backfill: bool,
        days: int,
        duration: float | None,
        reset: bool,
    ) -> None:
        """Run a living demo instance: X, Facebook and Instagram emulators, simulated
        customers and agents, 30 days of history. Nothing to configure, no accounts."""
        options = DemoOptions(
            folder=folder,
            port=port,
            speed=speed,
            seed=seed,
            traffic=not no_traffic,
            backfill=not no_backfill,
            days=days,
            duration=duration,
            reset=reset,
        )
        try:
            ensure_port_free(port)
            run_demo(options, state.pm, lambda line: click.echo(line, err=True))
        except (NotADemoFolderError, PortInUseError) as error:
            raise click.ClickException(str(error)) from None

    return demo
