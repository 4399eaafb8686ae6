"""The hooks careline calls: validate the configuration, tag each customer message."""

from __future__ import annotations

from careline import hookimpl
from careline.config import Settings
from careline.types import Direction, Enrichment, InboundMessage

from careline_keyword_tagger.tagger import compile_tags, tags_for


def _patterns(settings: Settings):  # type: ignore[no-untyped-def]
    return settings.plugin_state(
        "keyword_tagger:patterns",
        lambda: compile_tags(settings.section("keyword_tagger"), settings),
    )


@hookimpl
def careline_startup(settings: Settings) -> None:
    """Fail at start-up, naming the key, when the configuration is wrong."""
    _patterns(settings)


@hookimpl
def careline_enrich_message(message: InboundMessage, settings: Settings) -> Enrichment | None:
    """Tag the conversation when a customer message contains a keyword."""
    if message.direction is not Direction.INBOUND:
        return None
    tags = tags_for(message.text, _patterns(settings))
    return Enrichment(tags=tags) if tags else None
