"""The hook specifications: every way a plugin can extend careline.

Each hook is called with keyword arguments only. A plugin implements a hook by defining a
function of the same name decorated with :data:`careline.hookimpl`; it may accept any subset of
the arguments. ``docs/hooks.md`` has one section per hook with an example.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    import click
    from careline.channels import Channel
    from careline.config import Settings
    from careline.notifications import NotificationSender
    from careline.reporting import Report
    from careline.types import (
        AgentView,
        ConversationStatus,
        ConversationView,
        DraftReply,
        Enrichment,
        EscalationRequest,
        Finding,
        InboundMessage,
        ReplyTemplate,
        RoutingDecision,
        SlaState,
    )
    from starlette.routing import BaseRoute

PROJECT_NAME = "careline"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# --- start-up ---------------------------------------------------------------------------------
@hookspec
def careline_startup(settings: Settings) -> None:
    """Called once when an instance starts (CLI command, web app, worker), after configuration
    is loaded. Validate your configuration table here and raise
    :class:`careline.config.ConfigError` naming the key when it is wrong."""


# --- channels ---------------------------------------------------------------------------------
@hookspec
def careline_register_channels() -> list[type[Channel]]:
    """Return the :class:`careline.channels.Channel` subclasses this plugin provides.

    Called when the core builds its channel registry (start-up of every command and the app).
    """
    return []


# --- enrichment -------------------------------------------------------------------------------
@hookspec
def careline_enrich_message(message: InboundMessage, settings: Settings) -> Enrichment | None:
    """Learn what an inbound message says (sentiment, language, topics, personal data).

    Called for every new customer message before routing. All answers are merged: the first
    non-empty value wins for scalars; topics, personal data and attributes are combined.
    """


# --- routing and assignment -------------------------------------------------------------------
@hookspec(firstresult=True)
def careline_route(
    conversation: ConversationView, message: InboundMessage, settings: Settings
) -> RoutingDecision | None:
    """Decide queue, priority, tags, topic, or "no reply needed" for a conversation.

    Called after enrichment for every new customer message. The first non-``None`` answer wins;
    without one the conversation goes to the default queue.
    """


@hookspec(firstresult=True)
def careline_assign(
    conversation: ConversationView, candidates: Sequence[AgentView], settings: Settings
) -> int | None:
    """Choose the agent (by id) to take a conversation, among the enabled agents.

    Called after routing when a conversation has no assignee, and on every worker tick for
    conversations that still wait in a queue. Return ``None`` to leave it waiting.
    """


@hookspec(firstresult=True)
def careline_reassign(
    conversation: ConversationView, now: datetime, settings: Settings
) -> bool | None:
    """Say whether a conversation should be taken from its assignee (e.g. no reply in time).

    Called on the worker tick for assigned conversations waiting on the brand. ``True`` unassigns
    it so that :func:`careline_assign` is asked again.
    """


# --- response guidelines ----------------------------------------------------------------------
@hookspec
def careline_check_reply(
    draft: DraftReply, conversation: ConversationView, channel: Channel, settings: Settings
) -> list[Finding] | None:
    """Check a draft reply before it is sent; return findings (all answers are collected).

    Called when an agent previews or sends a reply. A ``block`` finding stops the reply; an
    ``approval`` finding parks it for a supervisor; ``warn`` findings are shown.
    """


@hookspec
def careline_reply_templates(
    conversation: ConversationView | None, settings: Settings
) -> list[ReplyTemplate] | None:
    """List the canned replies that fit a conversation (or all of them when ``None``)."""


@hookspec(firstresult=True)
def careline_render_template(
    template: ReplyTemplate,
    conversation: ConversationView,
    agent: AgentView | None,
    settings: Settings,
) -> str | None:
    """Render a reply template for a conversation (in a sandbox). First answer wins."""


# --- escalation and notification --------------------------------------------------------------
@hookspec
def careline_escalate_on_message(
    conversation: ConversationView,
    message: InboundMessage,
    settings: Settings,
    enrichment: Enrichment | None,
) -> list[EscalationRequest] | None:
    """Evaluate content triggers on a new customer message; return escalations to open.

    ``enrichment`` is what the ``careline_enrich_message`` hooks answered for the message,
    merged (``None`` when the caller has none): a plugin can work out what depends on the text
    alone while enriching — in an enrichment process, with ``[pipeline] enrich_processes`` —
    and read it from ``enrichment.attributes`` here.
    """


@hookspec
def careline_escalate_on_status(
    conversation: ConversationView,
    old_status: ConversationStatus,
    new_status: ConversationStatus,
    settings: Settings,
) -> list[EscalationRequest] | None:
    """Evaluate triggers when a conversation changes status (e.g. a reopen)."""


@hookspec
def careline_escalate_on_tick(
    conversation: ConversationView, sla: SlaState, settings: Settings
) -> list[EscalationRequest] | None:
    """Evaluate clock triggers (SLA ladders, follow-ups) for an open conversation.

    Called by the worker's tick for every conversation with an SLA due time or follow-up.
    """


@hookspec
def careline_notification_senders(settings: Settings) -> list[NotificationSender] | None:
    """Return the :class:`careline.notifications.NotificationSender` objects that deliver
    notifications (outgoing webhook, e-mail, chat).

    Called when the core builds its sender list. The core stores one delivery per notification
    and sender, retries failed ones with backoff and finally shows them as failed.
    """


# --- reports ----------------------------------------------------------------------------------
@hookspec
def careline_register_reports() -> list[Report]:
    """Return the :class:`careline.reporting.Report` objects this plugin provides."""
    return []


@hookspec(firstresult=True)
def careline_render_report(result: Any, format: str) -> str | bytes | None:
    """Render a report result as ``text``, ``csv``, ``json`` or ``html``. First answer wins."""


# --- CLI and web ------------------------------------------------------------------------------
@hookspec
def careline_register_commands(cli: click.Group) -> None:
    """Add click commands or groups to the ``careline`` command line."""


@hookspec
def careline_web_routes(settings: Settings) -> list[BaseRoute] | None:
    """Return Starlette routes to mount in the web app (pages, API additions)."""
