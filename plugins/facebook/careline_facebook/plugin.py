"""The hook implementations careline loads from careline-facebook (entry point `facebook`)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.channels import Channel
from careline.config import Settings

from careline_facebook.channel import FacebookChannel
from careline_facebook.commands import channel_commands, facebook_emulator
from careline_facebook.config import FACEBOOK_REQUIRED, FacebookConfig, validate_config


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate the ``[facebook]`` table so that bad configuration fails at start-up."""
    validate_config(
        FacebookConfig,
        settings.section(FacebookChannel.name),
        name=FacebookChannel.name,
        settings=settings,
        required=FACEBOOK_REQUIRED,
    )


@hookimpl
def careline_register_channels() -> list[type[Channel]]:
    """The Facebook channel (Page comments and Messenger)."""
    return [FacebookChannel]


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """``careline facebook emulator`` and ``careline facebook check``."""
    cli.add_command(channel_commands(FacebookChannel.name, "Facebook", facebook_emulator))
