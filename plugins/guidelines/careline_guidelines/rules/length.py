"""``length``: the draft must fit the channel's limit for its visibility, counted its way."""

from __future__ import annotations

from collections.abc import Callable

from careline.types import Finding

from careline_guidelines.rules.base import CheckContext

RULE = "length"


def overflow_start(text: str, limit: int, count: Callable[[str], int]) -> int:
    """The index of the first character that no longer fits in ``limit`` (binary search)."""
    low, high = 0, len(text)
    while low < high:
        middle = (low + high + 1) // 2
        if count(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return low


def check(context: CheckContext) -> list[Finding]:
    """One finding when the draft is longer than the channel allows, saying by how much."""
    draft, channel = context.draft, context.channel
    limit = channel.manifest.max_length.get(draft.visibility)
    if limit is None:
        return []
    counted = channel.count_length(draft.text)
    if counted <= limit:
        return []
    unit = channel.manifest.length_unit
    where = f"{draft.visibility.value} replies on {channel.manifest.display_name}"
    return [
        Finding(
            rule=RULE,
            severity=context.config.rules.length.severity,
            message=(
                f"{counted}/{limit} {unit} — shorten by {counted - limit} (the limit for {where})"
            ),
            span=(overflow_start(draft.text, limit, channel.count_length), len(draft.text)),
        )
    ]
