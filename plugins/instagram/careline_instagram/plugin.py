"""The hook implementations careline loads from careline-instagram (entry point `instagram`)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.channels import Channel
from careline.config import Settings
from careline_facebook.commands import channel_commands
from careline_facebook.config import validate_config

from careline_instagram.channel import InstagramChannel
from careline_instagram.config import INSTAGRAM_REQUIRED, InstagramConfig
from careline_instagram.emulator import instagram_emulator


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate the ``[instagram]`` table so that bad configuration fails at start-up."""
    validate_config(
        InstagramConfig,
        settings.section(InstagramChannel.name),
        name=InstagramChannel.name,
        settings=settings,
        required=INSTAGRAM_REQUIRED,
    )


@hookimpl
def careline_register_channels() -> list[type[Channel]]:
    """The Instagram channel (comments, mentions, Direct)."""
    return [InstagramChannel]


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """``careline instagram emulator`` and ``careline instagram check``."""
    cli.add_command(channel_commands(InstagramChannel.name, "Instagram", instagram_emulator))
