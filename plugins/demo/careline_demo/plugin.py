"""The hook implementations careline loads from careline-demo (entry point ``demo``)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.config import Settings

from careline_demo.command import demo_command
from careline_demo.config import demo_config


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate ``[demo]`` so that a wrong value stops the instance at start-up."""
    demo_config(settings)


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """Add ``careline demo``."""
    cli.add_command(demo_command())
