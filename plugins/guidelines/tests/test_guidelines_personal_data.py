"""personal_data_public and customer_shared_personal_data, on examples and on real tweets."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from careline.types import Severity, Visibility
from careline_insights.personal_data import find_personal_data
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SHARED_DATA = Path(__file__).resolve().parents[3].parent / "shared" / "data"
CARE_DATA = SHARED_DATA / "twitter-customer-care"
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[A-Za-z]{2,}")
ASK_FOR_DM = (
    "Hi, we're sorry to hear that. Please send us a DM with the details and we'll help. ^JS"
)
PERSONAL_RULES = {"personal_data_public", "customer_shared_personal_data"}


def by_rule(findings, rule):
    return [finding for finding in findings if finding.rule == rule]


def with_personal_data(make_conversation, *texts, **changes):
    """A public conversation whose customer messages carry the kinds insights finds in them."""
    kinds = sorted({m.kind for text in texts for m in find_personal_data(text)})
    return make_conversation(*texts, personal_data_kinds=tuple(kinds), **changes)


def test_email_in_a_public_reply_is_blocked(check):
    text = "Hi Anna, write to jane.smith@acme.com and we'll sort it. ^JS"
    findings = by_rule(check(text), "personal_data_public")
    assert len(findings) == 1
    assert findings[0].severity is Severity.BLOCK
    assert "e-mail address" in findings[0].message
    start, end = findings[0].span
    assert text[start:end] == "jane.smith@acme.com"


def test_phone_and_card_in_a_public_reply_are_blocked(check):
    text = "Call +1 212 555 0123 or pay with 4111 1111 1111 1111 ^JS"
    findings = by_rule(check(text), "personal_data_public")
    assert sorted(text[f.span[0] : f.span[1]] for f in findings) == [
        "+1 212 555 0123",
        "4111 1111 1111 1111",
    ]


def test_configured_patterns_of_insights_count_as_personal_data(check, make_settings):
    config = make_settings(insights={"patterns": {"customer_number": r"CN-\d{6}"}})
    findings = by_rule(
        check("Your number is CN-123456 ^JS", settings=config), "personal_data_public"
    )
    assert len(findings) == 1
    assert "customer number" in findings[0].message


def test_personal_data_in_a_private_message_is_fine(check):
    findings = check("We sent it to jane.smith@acme.com ^JS", visibility=Visibility.PRIVATE)
    assert by_rule(findings, "personal_data_public") == []


def test_customer_posting_personal_data_in_public_gets_a_warning(check, make_conversation):
    conversation = with_personal_data(make_conversation, "my email is anna@example.org help!")
    findings = by_rule(
        check("Hi Anna, sorry about this! ^JS", conversation=conversation),
        "customer_shared_personal_data",
    )
    assert [f.severity for f in findings] == [Severity.WARN]
    assert "private message" in findings[0].message
    assert "hide their post" in findings[0].message  # the test channel can hide comments


def test_no_warning_when_the_draft_already_moves_to_private(check, make_conversation):
    conversation = with_personal_data(make_conversation, "my email is anna@example.org help!")
    assert (
        by_rule(check(ASK_FOR_DM, conversation=conversation), "customer_shared_personal_data") == []
    )


def test_quoting_the_customer_s_data_is_blocked(check, make_conversation):
    conversation = with_personal_data(make_conversation, "call me on +1 212-555-0123 please")
    text = "Hi Anna, we'll call you on (212) 555 0123 today. ^JS"
    findings = [
        f
        for f in by_rule(check(text, conversation=conversation), "customer_shared_personal_data")
        if f.severity is Severity.BLOCK
    ]
    assert len(findings) == 1
    start, end = findings[0].span
    assert text[start:end] == "212) 555 0123"


def test_numbers_are_recognised_with_a_national_prefix(check, make_conversation):
    conversation = with_personal_data(make_conversation, "ring +44 20 7946 0018")
    text = "We'll ring 020 7946 0018 at noon ^JS"
    blocked = [
        f
        for f in by_rule(check(text, conversation=conversation), "customer_shared_personal_data")
        if f.severity is Severity.BLOCK
    ]
    assert [text[f.span[0] : f.span[1]] for f in blocked] == ["020 7946 0018"]


def test_quotes_are_found_in_public_conversations_only_for_public_drafts(check, make_conversation):
    conversation = with_personal_data(make_conversation, "it's anna@example.org")
    findings = check(
        "We wrote to anna@example.org ^JS", conversation=conversation, visibility=Visibility.PRIVATE
    )
    assert by_rule(findings, "customer_shared_personal_data") == []


def test_warning_only_for_public_conversations(check, make_conversation):
    conversation = with_personal_data(
        make_conversation, "it's anna@example.org", visibility=Visibility.PRIVATE
    )
    findings = by_rule(
        check("Thanks Anna, we'll look. ^JS", conversation=conversation),
        "customer_shared_personal_data",
    )
    assert findings == []


_user = st.text(
    st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789._"), min_size=1, max_size=12
).filter(lambda s: s[0].isalnum() and s[-1].isalnum() and ".." not in s)
_domain = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz"), min_size=2, max_size=10)
_emails = st.builds(
    lambda u, d, t: f"{u}@{d}.{t}",
    _user,
    _domain,
    st.sampled_from(["com", "org", "de", "co.uk", "io"]),
)
_phones = st.builds(
    lambda area, line: f"+1 {area} 555 {line:04d}",
    st.sampled_from(["212", "415", "617", "303"]),
    st.integers(min_value=100, max_value=199),
)
_cards = st.sampled_from(
    ["4111 1111 1111 1111", "5500-0000-0000-0004", "340000000000009", "6011000000000004"]
)
_filler = st.text(st.sampled_from("abcdefgh ijklmnop qrstuv wxyz ,.!?"), max_size=60)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(before=_filler, value=st.one_of(_emails, _phones, _cards), after=_filler)
def test_personal_data_planted_anywhere_in_a_public_draft_is_blocked(check, before, value, after):
    text = f"{before} {value} {after}"
    findings = [
        f for f in by_rule(check(text), "personal_data_public") if f.severity is Severity.BLOCK
    ]
    position = len(before) + 1
    assert any(
        f.span[0] <= position and position + len(value) <= f.span[1] + 1 for f in findings
    ), (
        text,
        findings,
    )


def _care_messages_with_email():
    if not CARE_DATA.is_dir():
        return []
    found = []
    for name in ("dev.json", "test.json"):
        for dialog in json.loads((CARE_DATA / name).read_text(encoding="utf-8")):
            for turn in dialog["dialogContent"]:
                if "client" in turn and EMAIL.search(turn["message"]):
                    found.append(turn["message"])
    return found


@pytest.mark.skipif(not CARE_DATA.is_dir(), reason=f"shared care data not found at {CARE_DATA}")
def test_real_customers_who_posted_their_email_in_public(check, make_conversation):
    messages = _care_messages_with_email()
    assert len(messages) >= 5
    for message in messages:
        address = EMAIL.search(message).group()
        conversation = with_personal_data(make_conversation, message)
        assert "email" in conversation.personal_data_kinds, message

        quoting = check(f"Hi, we've sent a reset link to {address} ^JS", conversation=conversation)
        blocked = [f for f in quoting if f.rule in PERSONAL_RULES and f.severity is Severity.BLOCK]
        assert any(f.rule == "customer_shared_personal_data" for f in blocked), message

        asking = check(ASK_FOR_DM, conversation=conversation)
        assert [f for f in asking if f.rule in PERSONAL_RULES] == [], message
