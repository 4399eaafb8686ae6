"""Shared fixtures of the routing plugin's tests: a plugin manager and message/view builders."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pluggy
import pytest
from careline.config import Settings
from careline.plugins import get_plugin_manager
from careline.types import (
    AgentView,
    Author,
    ConversationStatus,
    ConversationView,
    InboundMessage,
    Priority,
    Role,
    Source,
    Visibility,
)

MONDAY_MORNING = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def routing_pm() -> pluggy.PluginManager:
    """A plugin manager with only careline-routing loaded (shared: it holds no state)."""
    return get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": "careline-routing"}, strict=True)


@pytest.fixture(scope="session")
def routing_settings() -> Callable[..., Settings]:
    """Build fresh settings whose ``[routing]`` table is the keyword arguments."""

    def build(**routing: Any) -> Settings:
        return Settings(home=Path("/nonexistent-careline-home"), data={"routing": routing})

    return build


@pytest.fixture(scope="session")
def make_view() -> Callable[..., ConversationView]:
    """Build a new public owned twitter conversation, with overrides."""

    def build(**overrides: Any) -> ConversationView:
        view = ConversationView(
            id=1,
            channel="twitter",
            account="brand",
            visibility=Visibility.PUBLIC,
            source=Source.OWNED,
            status=ConversationStatus.NEW,
            priority=Priority.NORMAL,
            created_at=MONDAY_MORNING,
            contact_id=1,
            last_inbound_at=MONDAY_MORNING,
        )
        return replace(view, **overrides)

    return build


@pytest.fixture(scope="session")
def make_message() -> Callable[..., InboundMessage]:
    """Build an inbound message with ``text``; ``followers``/``verified`` go to the author."""

    def build(text: str = "hello", **overrides: Any) -> InboundMessage:
        author = Author(
            external_id="u1",
            handle="ann",
            followers=overrides.pop("followers", None),
            verified=overrides.pop("verified", False),
        )
        message = InboundMessage(
            channel="twitter",
            account="brand",
            external_id="m1",
            text=text,
            author=author,
            created_at=MONDAY_MORNING,
            visibility=Visibility.PUBLIC,
        )
        return replace(message, **overrides)

    return build


@pytest.fixture(scope="session")
def make_agent() -> Callable[..., AgentView]:
    """Build an agent (id and name required), with overrides."""

    def build(agent_id: int, **overrides: Any) -> AgentView:
        fields = {"name": f"agent{agent_id}", "role": Role.AGENT, **overrides}
        return AgentView(id=agent_id, **fields)

    return build
