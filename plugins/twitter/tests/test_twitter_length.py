"""The channel counts text like X: twitter-text's official weighted-length conformance cases."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from careline.types import Visibility
from careline_twitter.channel import TwitterChannel
from hypothesis import given
from hypothesis import strategies as st

DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
VALIDATE = DATA / "twitter-text" / "validate.yml"
# Which twitter-text rules each section is written for (see the sections' own descriptions).
SECTIONS = {
    "WeightedTweetsCounterTest": "v2",
    "WeightedTweetsWithDiscountedEmojiCounterTest": "v3",
    "UnicodeDirectionalMarkerCounterTest": "v3",
}


def _cases() -> list[Any]:
    if not VALIDATE.exists():
        return [
            pytest.param(
                None,
                None,
                marks=pytest.mark.skip(
                    reason=f"{VALIDATE} is absent (shared data not beside the checkout)"
                ),
            )
        ]
    import yaml

    tests = yaml.safe_load(VALIDATE.read_text(encoding="utf-8"))["tests"]
    params = []
    for section, rules in SECTIONS.items():
        for case in tests[section]:
            params.append(pytest.param(rules, case, id=f"{section}: {case['description']}"))
    return params


@pytest.mark.parametrize(("rules", "case"), _cases())
def test_weighted_length_conformance(rules: str, case: dict[str, Any]) -> None:
    channel = TwitterChannel({"length_rules": rules})
    assert channel.count_length(case["text"]) == case["expected"]["weightedLength"]


def test_every_weighted_section_is_present() -> None:
    if not VALIDATE.exists():
        pytest.skip(f"{VALIDATE} is absent")
    import yaml

    tests = yaml.safe_load(VALIDATE.read_text(encoding="utf-8"))["tests"]
    assert all(len(tests[section]) > 0 for section in SECTIONS)


def test_current_rules_count_emoji_and_urls_like_x() -> None:
    channel = TwitterChannel({})
    assert channel.count_length("Order #1234 arrived broken 😡 https://example.com/photo") == 53
    assert channel.count_length("👨‍👩‍👧‍👦") == 2
    assert channel.count_length("注文が届きません") == 16
    assert channel.manifest.max_length[Visibility.PUBLIC] == 280
    assert channel.manifest.max_length[Visibility.PRIVATE] == 10_000


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz ,!?", max_size=300))
def test_plain_latin_text_counts_one_per_character(text: str) -> None:
    assert TwitterChannel({}).count_length(text) == len(text)


@given(st.text(alphabet="一二三四五六七八九十百千万円語", max_size=200))
def test_cjk_counts_two_per_character(text: str) -> None:
    assert TwitterChannel({}).count_length(text) == 2 * len(text)
