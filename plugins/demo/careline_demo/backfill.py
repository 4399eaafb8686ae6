"""Thirty days of history through careline's real pipeline and services, on a moving clock.

Customer messages enter through the importer (threading, enrichment, routing, assignment and
escalation as for live traffic), replies through the reply service (guidelines, send policy,
outbox), then resolutions and CSAT through the conversation service — each at its historic
moment, so every event carries its historic time and every report has thirty days of data.

The only difference from live care: history's replies are recorded as sent without calling the
platforms (the emulators did not exist thirty days ago), and history raises no notifications.
"""

from __future__ import annotations

import copy
import io
import json
import logging
import os
import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pluggy
from careline import hookimpl
from careline.channels import Channel, OutboundMessage, SendResult
from careline.clock import FrozenClock, SystemClock
from careline.config import load_settings
from careline.importer import import_stream
from careline.models import Agent, Contact, Conversation, Message
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime
from careline.services import conversations, replies
from careline.types import ConversationStatus, Visibility
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from sqlmodel import select

from careline_demo.answers import reply_text
from careline_demo.history import HistoryStep, plan_history
from careline_demo.people import AGENTS, SUPERVISOR, Persona
from careline_demo.world import World, x_user_id

log = logging.getLogger("careline.demo")
CHANNEL_PLUGINS = ("careline-twitter", "careline-facebook", "careline-instagram")
CLOSED = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED, ConversationStatus.IGNORED)


@dataclass
class BackfillStats:
    """What the backfill did."""

    days: int = 0
    steps: int = 0
    messages: int = 0
    conversations: int = 0
    replies: int = 0
    refused: int = 0
    resolved: int = 0
    ignored: int = 0
    csat: int = 0
    errors: int = 0


def recorded_sends(base: type[Channel]) -> type[Channel]:
    """``base`` whose sends are recorded as delivered without calling the platform."""

    class HistoryChannel(base):  # type: ignore[valid-type,misc]
        """The channel as it was in the past: same manifest and length rules, no network."""

        def send(self, message: OutboundMessage) -> SendResult:
            return SendResult(external_id=f"history-out-{message.idempotency_key}")

        def poll_sources(self) -> list[str]:
            return []

    HistoryChannel.__name__ = f"History{base.__name__}"
    return HistoryChannel


class HistoryChannels:
    """A plugin registering the history versions of the live channels."""

    def __init__(self, classes: Sequence[type[Channel]]) -> None:
        self.classes = [recorded_sends(cls) for cls in classes]

    @hookimpl
    def careline_register_channels(self) -> list[type[Channel]]:
        """The history channels (same names as the live ones)."""
        return list(self.classes)


def history_plugin_manager(live: pluggy.PluginManager) -> pluggy.PluginManager:
    """Every installed plugin except the channel plugins, whose channels send nowhere instead."""
    classes = [cls for group in live.hook.careline_register_channels() for cls in group or []]
    # Every plugin that provides a channel (ours and any other installed one) is replaced.
    providers = [impl.plugin_name for impl in live.hook.careline_register_channels.get_hookimpls()]
    blocked = [
        os.environ.get("CARELINE_DISABLE_PLUGINS", ""),
        *CHANNEL_PLUGINS,
        *providers,
        "careline-demo",
    ]
    environ = {**os.environ, "CARELINE_DISABLE_PLUGINS": ",".join(filter(None, blocked))}
    return get_plugin_manager(environ=environ, plugins=[HistoryChannels(classes)])


def without_notifications(data: dict[str, Any]) -> dict[str, Any]:
    """A copy of a configuration whose escalations notify nobody: history raises no
    notifications (the receiver would get a month of escalations at once)."""
    copied = copy.deepcopy(data)
    escalation = copied.get("escalation", {})
    escalation.pop("webhooks", None)
    for target in escalation.get("targets", {}).values():
        target.pop("notify", None)
    return copied


def author_ids(world: World) -> Callable[[Persona, str, bool], str]:
    """A persona's id on a channel, the same the emulators use (so history and live traffic
    meet in one contact)."""

    def author_id(persona: Persona, channel: str, private: bool) -> str:
        if channel == "twitter":
            return x_user_id(persona)
        if channel == "facebook":
            customer = world.facebook.customer(persona.name)
            return customer.psid if private else customer.user_id
        return world.instagram.person(persona.handle).igsid

    return author_id


def backfill(
    folder: Path,
    pm: pluggy.PluginManager,
    world: World,
    team: dict[str, int],
    *,
    days: int,
    seed: int | None,
    echo: Callable[[str], None],
    console: Console | None = None,
    stop: threading.Event | None = None,
) -> BackfillStats:
    """Generate ``days`` days of history in the instance at ``folder`` (until ``stop``)."""
    end = SystemClock().now()
    clock = FrozenClock(end - timedelta(days=days))
    environ = {k: v for k, v in os.environ.items() if k != "CARELINE_DATABASE_URL"}
    settings = load_settings(folder, clock=clock, require=True, environ=environ)
    settings.data = without_notifications(settings.data)
    runtime = Runtime.create(settings, history_plugin_manager(pm))
    steps = plan_history(days, end=end, seed=seed, author_id=author_ids(world))
    stats = BackfillStats(days=days, steps=len(steps))
    player = HistoryPlayer(runtime, team, random.Random(seed))
    echo(f"careline demo: writing {days} days of history ({len(steps)} steps)…")
    progress = Progress(
        TextColumn("history"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=console or Console(stderr=True),
        transient=True,
    )
    try:
        with progress:
            task = progress.add_task("history", total=len(steps))
            for step in steps:
                if stop is not None and stop.is_set():
                    break
                clock.set(step.at)
                player.play(step, stats)
                progress.advance(task)
    finally:
        runtime.db.dispose()
    echo(
        f"careline demo: history written: {stats.conversations} conversations, "
        f"{stats.messages} customer messages, {stats.replies} replies, {stats.resolved} "
        f"resolved, {stats.csat} CSAT answers"
        + (f" ({stats.errors} steps failed, see logs/demo.log)" if stats.errors else "")
    )
    return stats


class HistoryPlayer:
    """Plays history steps against a runtime whose clock stands at each step's time."""

    def __init__(self, runtime: Runtime, team: dict[str, int], rng: random.Random) -> None:
        self.runtime = runtime
        self.rng = rng
        self.initials = {team[a.name]: a.initials for a in AGENTS if a.name in team}
        self.speakers = {
            team[a.name]: a.languages for a in AGENTS if a.name in team and a.role == "agent"
        }
        self.supervisor = team.get(SUPERVISOR)
        self._conversations: dict[tuple[str, str], int] = {}

    def play(self, step: HistoryStep, stats: BackfillStats) -> None:
        """Do what ``step`` says, counting into ``stats``; a refused action is only counted."""
        try:
            if step.action == "inbound":
                self._inbound(step, stats)
            elif step.action == "reply":
                self._reply(step, stats)
            elif step.action == "resolve":
                self._resolve(step, stats)
            elif step.action == "ignore":
                self._ignore(step, stats)
            elif step.action == "csat":
                self._csat(step, stats)
        except (ValueError, LookupError) as error:
            stats.errors += 1
            log.warning("history step %s at %s failed: %s", step.action, step.at, error)

    def _conversation(self, root: tuple[str, str]) -> Conversation | None:
        known = self._conversations.get(root)
        with self.runtime.db.session() as session:
            if known is None:
                message = session.exec(
                    select(Message).where(
                        Message.channel == root[0], Message.external_id == root[1]
                    )
                ).first()
                if message is None:
                    return None
                known = self._conversations[root] = message.conversation_id
            return session.get(Conversation, known)

    def _inbound(self, step: HistoryStep, stats: BackfillStats) -> None:
        result = import_stream(self.runtime, io.StringIO(json.dumps(step.record)))
        stats.messages += result.imported
        stats.errors += len(result.errors)
        for _, problem in result.errors:
            log.warning("history message %s was not imported: %s", step.root[1], problem)
        if step.record["external_id"] == step.root[1] and result.imported:
            stats.conversations += 1

    def _reply(self, step: HistoryStep, stats: BackfillStats) -> None:
        conversation = self._conversation(step.root)
        if conversation is None or conversation.id is None or conversation.status in CLOSED:
            return
        agent_id = self._agent_for(conversation)
        with self.runtime.db.session() as session:
            contact = session.get(Contact, conversation.contact_id)
            agent = session.get(Agent, agent_id)
        name = (contact.name if contact and contact.name else step.name or "").split(" ")[0]
        text = reply_text(
            conversation.language or step.language,
            name or None,
            f"^{agent.initials if agent else 'ST'}",
            self.rng,
            public=conversation.visibility == Visibility.PUBLIC,
        )
        outcome = replies.reply(self.runtime, conversation.id, text, agent_id=agent_id)
        if outcome.status == replies.SENT:
            stats.replies += 1
        else:
            stats.refused += 1

    def _agent_for(self, conversation: Conversation) -> int | None:
        if conversation.assignee_id is not None:
            return conversation.assignee_id
        if conversation.status == ConversationStatus.ESCALATED or self.supervisor is None:
            return self.supervisor
        speaking = [
            agent_id
            for agent_id, languages in self.speakers.items()
            if (conversation.language or "en") in languages
        ]
        return self.rng.choice(speaking or list(self.speakers) or [self.supervisor])

    def _resolve(self, step: HistoryStep, stats: BackfillStats) -> None:
        conversation = self._conversation(step.root)
        if conversation is None or conversation.id is None or conversation.status in CLOSED:
            return
        conversations.resolve(self.runtime, conversation.id, agent_id=conversation.assignee_id)
        stats.resolved += 1

    def _ignore(self, step: HistoryStep, stats: BackfillStats) -> None:
        conversation = self._conversation(step.root)
        if conversation is None or conversation.id is None or conversation.status in CLOSED:
            return
        conversations.ignore(
            self.runtime, conversation.id, reason="no reply needed", agent_id=self.supervisor
        )
        stats.ignored += 1

    def _csat(self, step: HistoryStep, stats: BackfillStats) -> None:
        conversation = self._conversation(step.root)
        if conversation is None or conversation.id is None:
            return
        conversations.record_csat(self.runtime, conversation.id, step.score)
        stats.csat += 1
