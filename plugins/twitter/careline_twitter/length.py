"""How X counts a post: the weighted length of twitter-text (280 per post).

Counted with the maintained ``twitter-text-parser`` package. The current rules (v3) count every
URL as 23, every emoji sequence as 2, Latin and common punctuation as 1 and everything else
(CJK, …) as 2; v2 differs only in counting emoji by code point. The package's ``version2``
configuration has no ``emoji_parsing_enabled`` key (its parser needs one), so it is added here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from twitter_text import parse_tweet
from twitter_text.config import config as twitter_text_configs

MAX_POST_LENGTH = 280
MAX_DM_LENGTH = 10_000

LengthRules = Literal["v3", "v2"]

RULES: Mapping[str, Mapping[str, Any]] = {
    "v3": {**twitter_text_configs["version3"], "emoji_parsing_enabled": True},
    "v2": {**twitter_text_configs["version2"], "emoji_parsing_enabled": False},
}


def weighted_length(text: str, rules: LengthRules = "v3") -> int:
    """The weighted length of ``text`` under the given twitter-text rules."""
    if not text:
        return 0
    return int(parse_tweet(text, dict(RULES[rules])).weightedLength)


def is_valid_post(text: str, rules: LengthRules = "v3") -> bool:
    """Whether X accepts ``text`` as a post: 1–280 weighted, no invalid characters."""
    return bool(parse_tweet(text, dict(RULES[rules])).valid)
