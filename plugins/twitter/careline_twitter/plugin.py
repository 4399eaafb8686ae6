"""The hook implementations careline loads from careline-twitter (entry point `twitter`)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.channels import Channel
from careline.config import Settings

from careline_twitter.channel import TwitterChannel
from careline_twitter.cli import twitter_group
from careline_twitter.settings import validate_settings


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate the ``[twitter]`` table so that bad configuration fails at start-up."""
    validate_settings(settings)


@hookimpl
def careline_register_channels() -> list[type[Channel]]:
    """Provide the X channel."""
    return [TwitterChannel]


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """Add ``careline twitter …`` (the emulator and the length counter)."""
    cli.add_command(twitter_group())
