"""Matching keywords to tags."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from careline.config import ConfigError, Settings

DEFAULT_TAGS: dict[str, list[str]] = {"refund": ["refund", "money back"]}


def compile_tags(table: Mapping[str, object], settings: Settings) -> dict[str, re.Pattern[str]]:
    """One case-insensitive, whole-word pattern per tag, from ``[keyword_tagger] tags``."""
    configured = table.get("tags", DEFAULT_TAGS)
    if not isinstance(configured, Mapping):
        raise ConfigError(
            "must be a table of tag = [keywords]",
            path=settings.config_path,
            key="keyword_tagger.tags",
        )
    patterns = {}
    for tag, keywords in configured.items():
        if not isinstance(keywords, Sequence) or isinstance(keywords, str) or not keywords:
            raise ConfigError(
                "must be a non-empty list of keywords",
                path=settings.config_path,
                key=f"keyword_tagger.tags.{tag}",
            )
        words = "|".join(re.escape(str(word)) for word in keywords)
        patterns[str(tag)] = re.compile(rf"\b(?:{words})\b", re.IGNORECASE)
    return patterns


def tags_for(text: str, patterns: Mapping[str, re.Pattern[str]]) -> tuple[str, ...]:
    """The tags whose keywords occur in ``text``, in configuration order."""
    return tuple(tag for tag, pattern in patterns.items() if pattern.search(text))
