"""The length rule: over the channel's limit for the visibility, counted the channel's way."""

from __future__ import annotations

import re

from careline.testing.channel import TestChannel
from careline.types import Severity, Visibility
from careline_guidelines.rules.length import overflow_start
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


class WeightedChannel(TestChannel):
    """Counts like X: CJK characters and emoji weigh two."""

    def count_length(self, text: str) -> int:
        return sum(2 if ord(char) > 0x2FFF else 1 for char in text)


def length_findings(findings):
    return [finding for finding in findings if finding.rule == "length"]


def test_too_long_public_reply_says_by_how_much(check):
    findings = length_findings(check("x" * 312))
    assert len(findings) == 1
    finding = findings[0]
    assert finding.severity is Severity.BLOCK
    assert finding.message.startswith("312/280 characters — shorten by 32")
    assert finding.span == (280, 312)


def test_reply_at_the_limit_passes(check):
    assert length_findings(check("x" * 280)) == []


def test_private_messages_have_their_own_limit(check):
    assert length_findings(check("x" * 900, visibility=Visibility.PRIVATE)) == []
    findings = length_findings(check("x" * 1001, visibility=Visibility.PRIVATE))
    assert findings[0].message.startswith("1001/1000 characters — shorten by 1")


def test_length_is_counted_the_channel_s_way(check):
    text = "谢谢" * 100  # 200 code points, 400 weighted
    assert length_findings(check(text)) == []
    findings = length_findings(check(text, on=WeightedChannel()))
    assert findings[0].message.startswith("400/280 characters — shorten by 120")
    assert findings[0].span == (140, 200)


def test_severity_is_configurable(check):
    findings = check("x" * 300, config={"rules": {"length": {"severity": "warn"}}})
    assert length_findings(findings)[0].severity is Severity.WARN


def test_rule_can_be_switched_off(check):
    assert length_findings(check("x" * 300, config={"rules": {"length": {"enabled": False}}})) == []


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(st.characters(codec="utf-8"), max_size=400), st.booleans())
def test_length_findings_agree_with_count_length(check, text, private):
    channel = WeightedChannel()
    visibility = Visibility.PRIVATE if private else Visibility.PUBLIC
    limit = channel.manifest.max_length[visibility]
    findings = length_findings(check(text, on=channel, visibility=visibility))
    counted = channel.count_length(text)
    assert bool(findings) == (counted > limit)
    if findings:
        numbers = re.match(r"(\d+)/(\d+) characters — shorten by (\d+)", findings[0].message)
        assert numbers is not None
        assert tuple(map(int, numbers.groups())) == (counted, limit, counted - limit)
        start, end = findings[0].span
        assert channel.count_length(text[:start]) <= limit < channel.count_length(text[: start + 1])
        assert end == len(text)


@given(st.text(max_size=200), st.integers(min_value=0, max_value=250))
def test_overflow_start_is_the_first_character_that_does_not_fit(text, limit):
    cut = overflow_start(text, limit, len)
    assert cut == min(len(text), limit)
