"""The hook implementations careline loads from careline-routing (entry point `routing`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import click
from careline import hookimpl
from careline.config import Settings
from careline.types import AgentView, ConversationView, InboundMessage, RoutingDecision

from careline_routing.commands import routing_group
from careline_routing.policy import routing_policy


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Validate and compile ``[routing]`` so that a bad rule stops the instance at start-up."""
    routing_policy(settings)


@hookimpl
def careline_route(
    conversation: ConversationView, message: InboundMessage, settings: Settings
) -> RoutingDecision | None:
    """Route by the first matching ``[[routing.rules]]`` table, else the fall-back queues."""
    policy = routing_policy(settings)
    if not policy.enabled:
        return None
    return policy.route(conversation, message)


@hookimpl
def careline_assign(
    conversation: ConversationView, candidates: Sequence[AgentView], settings: Settings
) -> int | None:
    """Pick an eligible agent by the conversation's queue strategy."""
    policy = routing_policy(settings)
    if not policy.enabled:
        return None
    return policy.assign(conversation, candidates)


@hookimpl
def careline_reassign(
    conversation: ConversationView, now: datetime, settings: Settings
) -> bool | None:
    """Take a conversation back when its queue's ``reassign_after`` has passed."""
    policy = routing_policy(settings)
    if not policy.enabled:
        return None
    return policy.reassign(conversation, now) or None


@hookimpl
def careline_register_commands(cli: click.Group) -> None:
    """Add ``careline routing test`` and ``careline routing replay``."""
    cli.add_command(routing_group())
