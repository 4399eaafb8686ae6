"""The hook implementations careline loads from careline-escalation (entry point `escalation`)."""

from __future__ import annotations

import click
from careline import hookimpl
from careline.config import Settings
from careline.notifications import NotificationSender
from careline.types import (
    ConversationStatus,
    ConversationView,
    Enrichment,
    EscalationRequest,
    InboundMessage,
    SlaState,
)

from careline_escalation import cli as cli_module
from careline_escalation import ladder, message_triggers, startup, status_triggers
from careline_escalation.config import load_config
from careline_escalation.senders import build_senders


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate ``[escalation]`` so that a bad configuration fails at start-up."""
    startup.check(settings)


@hookimpl
def careline_enrich_message(message: InboundMessage, settings: Settings) -> Enrichment | None:
    """The phrases the content and manager-request triggers look for that the text says (the
    costly part of those triggers, and the text's alone: with enrichment processes, it is
    found there)."""
    config = load_config(settings)
    if not config.enabled:
        return None
    said = message_triggers.phrases_said(message_triggers.matchers(config, settings), message)
    if said is None:
        return None
    return Enrichment(attributes={message_triggers.SAID_ATTRIBUTE: said})


@hookimpl
def careline_escalate_on_message(
    conversation: ConversationView,
    message: InboundMessage,
    settings: Settings,
    enrichment: Enrichment | None,
) -> list[EscalationRequest]:
    """Content, influence, sentiment, repeat-contact and manager-request triggers."""
    config = load_config(settings)
    if not config.enabled:
        return []
    compiled = message_triggers.matchers(config, settings)
    return message_triggers.evaluate(config, compiled, conversation, message, enrichment)


@hookimpl
def careline_escalate_on_status(
    conversation: ConversationView,
    old_status: ConversationStatus,
    new_status: ConversationStatus,
    settings: Settings,
) -> list[EscalationRequest]:
    """The reopen trigger."""
    config = load_config(settings)
    if not config.enabled:
        return []
    return status_triggers.evaluate(config, conversation, old_status, new_status)


@hookimpl
def careline_escalate_on_tick(
    conversation: ConversationView, sla: SlaState, settings: Settings
) -> list[EscalationRequest]:
    """The SLA ladder: warn, breach, reassign."""
    config = load_config(settings)
    if not config.enabled:
        return []
    return ladder.evaluate(config, conversation, sla, settings)


@hookimpl
def careline_notification_senders(settings: Settings) -> list[NotificationSender]:
    """The configured outgoing webhooks and the SMTP sender."""
    if not load_config(settings).enabled:
        return []
    return build_senders(settings)


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """``careline escalation check|senders|test-notification``."""
    cli_module.register(cli)
