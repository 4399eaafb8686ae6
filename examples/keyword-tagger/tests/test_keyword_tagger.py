"""The example plugin, through careline's real pipeline and plugin manager."""

from __future__ import annotations

import pytest
from careline.config import ConfigError
from careline.models import Conversation
from careline.plugins import get_plugin_manager, list_plugins
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver_and_process
from sqlmodel import select


def test_it_is_discovered_through_its_entry_point() -> None:
    names = {info.name for info in list_plugins(get_plugin_manager(environ={}))}
    assert "keyword_tagger" in names


def test_careline_enrich_message_tags_the_conversation(careline_runtime) -> None:
    runtime = careline_runtime(
        "careline-keyword-tagger",
        config={"keyword_tagger": {"tags": {"outage": ["down", "outage"], "refund": ["refund"]}}},
    )
    deliver_and_process(
        runtime, "testchannel", delivery(message("m1", text="App is DOWN again, I want a refund"))
    )
    with runtime.db.session() as session:
        conversation = session.exec(select(Conversation)).one()
    assert conversation.tags == ["outage", "refund"]


def test_careline_startup_rejects_bad_configuration(careline_runtime) -> None:
    with pytest.raises(ConfigError, match=r"keyword_tagger\.tags\.outage"):
        careline_runtime(
            "careline-keyword-tagger", config={"keyword_tagger": {"tags": {"outage": []}}}
        )
