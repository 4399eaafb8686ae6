"""The hook implementations careline loads from careline-guidelines (entry point `guidelines`)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.channels import Channel
from careline.config import Settings
from careline.types import AgentView, ConversationView, DraftReply, Finding, ReplyTemplate

from careline_guidelines import catalogue, checks, rendering, startup
from careline_guidelines import cli as cli_module
from careline_guidelines.config import guidelines_config


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate ``[guidelines]`` and compile the configured templates."""
    startup.validate(settings)


@hookimpl
def careline_check_reply(
    draft: DraftReply, conversation: ConversationView, channel: Channel, settings: Settings
) -> list[Finding]:
    """Check a draft against every enabled guideline rule."""
    return checks.check_draft(draft, conversation, channel, settings)


@hookimpl
def careline_reply_templates(
    conversation: ConversationView | None, settings: Settings
) -> list[ReplyTemplate] | None:
    """The built-in and configured templates that fit the conversation."""
    config = guidelines_config(settings)
    if not config.enabled:
        return None
    return catalogue.templates_for(conversation, config)


@hookimpl
def careline_render_template(
    template: ReplyTemplate,
    conversation: ConversationView,
    agent: AgentView | None,
    settings: Settings,
) -> str | None:
    """Render a template in the sandbox (raises a clear error for a broken template)."""
    if not guidelines_config(settings).enabled:
        return None
    return rendering.render_template(template, conversation, agent)


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """Add ``careline guidelines check`` and ``careline guidelines templates``."""
    cli_module.register(cli)
