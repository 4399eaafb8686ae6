"""Fixtures for the guidelines tests: settings without a database, conversations, a channel."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pluggy
import pytest
from careline.clock import FrozenClock
from careline.config import Settings
from careline.testing.channel import TestChannel
from careline.types import (
    AgentView,
    ConversationStatus,
    ConversationView,
    Direction,
    DraftReply,
    Finding,
    MessageView,
    Priority,
    Role,
    Source,
    Visibility,
)


@pytest.fixture
def guidelines_pm(
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
) -> pluggy.PluginManager:
    """A plugin manager with only this plugin and careline-insights (its dependency)."""
    return careline_plugin_manager("careline-guidelines", "careline-insights")


@pytest.fixture
def make_settings(tmp_path: Path, careline_clock: FrozenClock) -> Callable[..., Settings]:
    """Settings with a ``[guidelines]`` table; the database-backed duplicate rule is off
    unless the test switches it on (it has its own tests on real databases)."""

    def factory(guidelines: dict[str, Any] | None = None, **tables: Any) -> Settings:
        table = dict(guidelines or {})
        rules = dict(table.get("rules", {}))
        rules.setdefault("duplicate", {"enabled": False})
        table["rules"] = rules
        return Settings(home=tmp_path, data={"guidelines": table, **tables}, clock=careline_clock)

    return factory


@pytest.fixture
def channel() -> TestChannel:
    """The in-repo test channel: 280 characters public, 1,000 private, 24 h window + 7 d tag."""
    return TestChannel()


def _inbound(
    text: str, *, at: Any, visibility: Visibility = Visibility.PUBLIC, id: int = 1
) -> MessageView:
    return MessageView(
        id=id,
        conversation_id=7,
        channel="testchannel",
        external_id=f"m{id}",
        direction=Direction.INBOUND,
        visibility=visibility,
        text=text,
        created_at=at,
        author_handle="anna_s",
    )


@pytest.fixture
def make_conversation(careline_clock: FrozenClock) -> Callable[..., ConversationView]:
    """A public conversation 7 with Anna Schmidt (@anna_s) who wrote an hour ago."""

    def factory(*customer_texts: str, **changes: Any) -> ConversationView:
        now = careline_clock.now()
        messages = tuple(
            _inbound(text, at=now - timedelta(hours=1), id=index + 1)
            for index, text in enumerate(customer_texts)
        )
        view = ConversationView(
            id=7,
            channel="testchannel",
            account="brand",
            visibility=Visibility.PUBLIC,
            source=Source.OWNED,
            status=ConversationStatus.OPEN,
            priority=Priority.NORMAL,
            created_at=now - timedelta(hours=1),
            contact_id=1,
            language="en",
            contact_name="Anna Schmidt",
            contact_handle="anna_s",
            last_inbound_at=now - timedelta(hours=1),
            messages=messages,
        )
        return replace(view, **changes)

    return factory


AGENT = AgentView(id=3, name="Jane Smith", role=Role.AGENT, initials="JS")


@pytest.fixture
def agent() -> AgentView:
    """Jane Smith, who signs ^JS."""
    return AGENT


def _draft(text: str, visibility: Visibility = Visibility.PUBLIC, **changes: Any) -> DraftReply:
    return DraftReply(
        text=text, visibility=visibility, agent=changes.pop("agent", AGENT), **changes
    )


@pytest.fixture
def make_draft() -> Callable[..., DraftReply]:
    """``make_draft("text", Visibility.PRIVATE, automated=True)``: a draft by Jane Smith."""
    return _draft


@pytest.fixture
def check(
    guidelines_pm: pluggy.PluginManager,
    make_settings: Callable[..., Settings],
    make_conversation: Callable[..., ConversationView],
    channel: TestChannel,
) -> Callable[..., list[Finding]]:
    """Run ``careline_check_reply`` through the plugin manager and collect every finding.

    ``check("text", config={...}, conversation=view, visibility=..., settings=..., **draft)``.
    """

    def run(
        text: str,
        *,
        config: dict[str, Any] | None = None,
        conversation: ConversationView | None = None,
        settings: Settings | None = None,
        on: Any = None,
        **draft_changes: Any,
    ) -> list[Finding]:
        answers = guidelines_pm.hook.careline_check_reply(
            draft=_draft(text, **draft_changes),
            conversation=conversation or make_conversation(),
            channel=on or channel,
            settings=settings or make_settings(config),
        )
        return [finding for answer in answers for finding in answer or []]

    return run
