"""The hook implementations careline loads from careline-contact-form (entry point ``contactform``)."""

from __future__ import annotations

from careline import hookimpl
from careline.channels import Channel
from careline.config import Settings

from careline_contact_form.channel import ContactFormChannel
from careline_contact_form.config import SECTION, parse_config


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate ``[contactform]`` so that a bad table fails at start-up, naming the key."""
    parse_config(settings.section(SECTION), path=settings.config_path)


@hookimpl
def careline_register_channels() -> list[type[Channel]]:
    """Provide the contact-form channel."""
    return [ContactFormChannel]
