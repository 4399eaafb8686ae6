"""Personal data detection: e-mail, phone, card and configured patterns, as kinds and spans."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import phonenumbers
import pytest
from careline.config import Settings
from careline.types import PersonalDataMatch
from careline_insights import find_personal_data
from careline_insights.config import InsightsConfig
from careline_insights.personal_data import (
    _EMAIL_HINT,
    _SEVEN_DIGITS,
    PersonalDataDetector,
    luhn_valid,
)
from hypothesis import assume, given, settings
from hypothesis import strategies as st


def found(text: str, config: InsightsConfig | Settings | None = None) -> list[tuple[str, str]]:
    return [
        (match.kind, text[match.start : match.end]) for match in find_personal_data(text, config)
    ]


# --- examples ---------------------------------------------------------------------------------
def test_email_addresses_are_found_without_trailing_punctuation() -> None:
    text = "@AcmeHelp my e-mail address: zeki.demir089@gmail.com. Please check!"
    assert found(text) == [("email", "zeki.demir089@gmail.com")]


def test_mentions_and_handles_are_not_email_addresses() -> None:
    assert found("@TeamYouTube @Ask_WellsFargo hi, contact me @ home") == []


@pytest.mark.parametrize(
    "number",
    ["+44 20 7946 0958", "(415) 555-2671", "415-555-2671", "+1 415 555 2671", "+254711303113"],
)
def test_phone_numbers_in_several_formats(number: str) -> None:
    assert found(f"call me on {number} after 5pm") == [("phone", number)]


def test_national_numbers_are_read_in_the_configured_region() -> None:
    text = "ring me on 020 7946 0958 please"
    assert found(text, InsightsConfig(phone_region="GB")) == [("phone", "020 7946 0958")]
    assert found(text, InsightsConfig(phone_region="US")) == []


@pytest.mark.parametrize(
    "card", ["4111 1111 1111 1111", "4111-1111-1111-1111", "5500005555555559", "378282246310005"]
)
def test_card_numbers_with_spaces_or_dashes(card: str) -> None:
    assert found(f"charged my card {card} twice") == [("card", card)]


def test_a_luhn_failing_number_is_not_a_card() -> None:
    assert found("reference 4111 1111 1111 1112 please") == []


def test_order_and_tweet_numbers_inside_links_are_ignored() -> None:
    text = "see https://twitter.com/acme/status/1245403438755852288 and www.acme.example/o/4111111111111111"
    assert found(text) == []


def test_configured_patterns_are_reported_under_their_name() -> None:
    config = InsightsConfig(patterns={"order_number": r"ORD-\d{6}"})
    text = "Order ORD-123456 never came, mail jo@example.org"
    assert found(text, config) == [("order_number", "ORD-123456"), ("email", "jo@example.org")]


def test_kinds_can_be_switched_off() -> None:
    text = "jo@example.org, +44 20 7946 0958, 4111 1111 1111 1111"
    assert [kind for kind, _ in found(text, InsightsConfig(personal_data=["card"]))] == ["card"]
    assert found(text, InsightsConfig(personal_data=[])) == []


def test_settings_give_the_instance_configuration(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path, data={"insights": {"patterns": {"ticket": r"T-\d{4}"}}})
    assert found("ticket T-1234", settings) == [("ticket", "T-1234")]
    assert found("ticket T-1234") == []


def test_matches_hold_no_copy_of_the_value() -> None:
    (match,) = find_personal_data("mail jo@example.org")
    assert match == PersonalDataMatch(kind="email", start=5, end=19)


# --- properties -------------------------------------------------------------------------------
# Filler words never contain digits, "@" or "+", so a planted value is the only candidate.
words = st.text(
    alphabet=st.characters(categories=["L"], exclude_characters="@+"), min_size=1, max_size=12
)
filler = st.lists(words, max_size=12)


def plant(before: list[str], value: str, after: list[str]) -> tuple[str, int]:
    prefix = " ".join([*before, ""]) if before else ""
    text = prefix + value + (" " + " ".join(after) if after else "")
    return text, len(prefix)


@given(st.text(max_size=400))
@settings(max_examples=200, deadline=None)
def test_detection_never_raises_and_spans_are_valid(text: str) -> None:
    detector = PersonalDataDetector(patterns={"order_number": r"ORD-\d{6}"})
    matches = detector.find(text)
    for match in matches:
        assert 0 <= match.start < match.end <= len(text)
    for first, second in itertools.pairwise(matches):
        assert first.end <= second.start


emails = st.builds(
    lambda local, domain, tld: f"{local}@{domain}.{tld}",
    st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,15}[a-z0-9])?", fullmatch=True),
    st.from_regex(r"[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?(\.[a-z0-9]{1,8})?", fullmatch=True),
    st.from_regex(r"[a-z]{2,6}", fullmatch=True),
)


@given(filler, emails, filler)
@settings(max_examples=80, deadline=None)
def test_a_planted_email_is_found_with_its_span(before, email, after) -> None:
    text, start = plant(before, email, after)
    assert find_personal_data(text) == [PersonalDataMatch("email", start, start + len(email))]


def _formatted_phone(region: str, number_type: int, style: int) -> str | None:
    example = phonenumbers.example_number_for_type(region, number_type)
    if example is None:
        return None
    return phonenumbers.format_number(example, style)


phones = st.builds(
    _formatted_phone,
    st.sampled_from(["US", "GB", "DE", "FR", "NL", "ES", "BR", "IN", "AU", "JP", "KE", "MX"]),
    st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, phonenumbers.PhoneNumberType.FIXED_LINE]),
    st.sampled_from(
        [phonenumbers.PhoneNumberFormat.INTERNATIONAL, phonenumbers.PhoneNumberFormat.E164]
    ),
).filter(lambda number: number is not None)


@given(filler, phones, filler)
@settings(max_examples=80, deadline=None)
def test_a_planted_phone_number_is_found_with_its_span(before, phone, after) -> None:
    text, start = plant(before, phone, after)
    assert find_personal_data(text) == [PersonalDataMatch("phone", start, start + len(phone))]


def with_check_digit(body: str) -> str:
    for digit in "0123456789":
        if luhn_valid(body + digit):
            return body + digit
    raise AssertionError("a Luhn check digit always exists")


def grouped(digits: str, separator: str) -> str:
    if not separator:
        return digits
    return separator.join(digits[i : i + 4] for i in range(0, len(digits), 4))


cards = st.builds(
    lambda body, separator: grouped(with_check_digit(body), separator),
    st.integers(min_value=12, max_value=18).flatmap(
        lambda n: st.text(alphabet="0123456789", min_size=n, max_size=n)
    ),
    st.sampled_from(["", " ", "-"]),
)


@given(filler, cards, filler)
@settings(max_examples=100, deadline=None)
def test_a_planted_card_number_is_found_with_its_span(before, card, after) -> None:
    assume(len(set(card.replace(" ", "").replace("-", ""))) > 1)
    text, start = plant(before, card, after)
    assert find_personal_data(text) == [PersonalDataMatch("card", start, start + len(card))]


@given(filler, st.text(alphabet="0123456789", min_size=16, max_size=16), filler)
@settings(max_examples=100, deadline=None)
def test_sixteen_digits_failing_luhn_are_not_a_card(before, digits, after) -> None:
    assume(not luhn_valid(digits))
    text, _ = plant(before, digits, after)
    assert all(match.kind != "card" for match in find_personal_data(text))


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_luhn_accepts_exactly_one_check_digit(body: str) -> None:
    valid = [digit for digit in "0123456789" if luhn_valid(body + digit)]
    assert len(valid) == 1


# The cheap checks that decide whether the e-mail expression and the number detectors run at all
# answer what their first, plainer versions did.
OLD_EMAIL_HINT = re.compile(r"[\w.%+-]@[\w-]")
OLD_SEVEN_DIGITS = re.compile(r"\d(?:\D*?\d){6}")
glue_texts = st.lists(
    st.sampled_from([*"@@.%+-_ aZé1٣５𝟙😡\n#/:", "www.", "https://"]), max_size=60
).map("".join)


@given(st.one_of(glue_texts, st.text(max_size=200)))
@settings(max_examples=500, deadline=None)
def test_the_prechecks_agree_with_their_plain_versions(text: str) -> None:
    assert bool(_EMAIL_HINT.search(text)) == bool(OLD_EMAIL_HINT.search(text))
    assert bool(_SEVEN_DIGITS.match(text)) == bool(OLD_SEVEN_DIGITS.search(text))
