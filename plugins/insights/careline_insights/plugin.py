"""The hook implementations careline loads from careline-insights (entry point `insights`)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.config import Settings
from careline.types import Enrichment, InboundMessage

from careline_insights.cli import register as register_commands
from careline_insights.enrich import enrich_message, enricher_for


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate ``[insights]`` and compile its rules, so that bad configuration fails now."""
    enricher_for(settings)


@hookimpl
def careline_enrich_message(message: InboundMessage, settings: Settings) -> Enrichment | None:
    """Sentiment, language, topics and personal data of a customer message."""
    return enrich_message(message, settings)


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """Add ``careline insights analyse``."""
    register_commands(cli)
