"""Personal data in a text: e-mail addresses, phone numbers, payment cards, configured patterns.

Only the kind and the character span of each finding are returned — never a copy of the value,
so that detection never becomes a second place where personal data is stored.

Other plugins reuse :func:`find_personal_data` (the guidelines plugin blocks public replies that
contain personal data).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping

import phonenumbers
from careline.config import Settings
from careline.types import PersonalDataMatch

from careline_insights.config import (
    BUILT_IN_PERSONAL_DATA_KINDS,
    InsightsConfig,
    load_config,
)

EMAIL = "email"
PHONE = "phone"
CARD = "card"

_EMAIL = re.compile(r"[\w.%+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}")
# Most posts contain "@" only in handles; an address needs a character glued before it.
# Starting with the "@" lets the search jump from "@" to "@" instead of trying every character.
_EMAIL_HINT = re.compile(r"@(?<=[\w.%+-]@)[\w-]")
# 13 or more digits, each pair separated by at most one space or dash; runs longer than a card
# are split at their separators in _card_spans.
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,}(?!\d)")
_DIGIT_GROUP = re.compile(r"\d+")
# At least seven digits, for match() at the text's start: possessive, so that a text with
# fewer fails in one pass rather than after a search from every digit.
_SEVEN_DIGITS = re.compile(r"(?:\D*+\d){7}")
_URL = re.compile(r"https?://\S+|www\.\S+", re.IGNORECASE)
CARD_MIN_DIGITS = 13
CARD_MAX_DIGITS = 19


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check that every payment card number does."""
    total = 0
    for position, character in enumerate(reversed(digits)):
        value = int(character)
        if position % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def is_card_number(digits: str) -> bool:
    """13–19 digits, not all the same, passing the Luhn check."""
    return (
        CARD_MIN_DIGITS <= len(digits) <= CARD_MAX_DIGITS
        and len(set(digits)) > 1
        and luhn_valid(digits)
    )


def _card_spans(text: str) -> Iterator[tuple[int, int]]:
    for run in _DIGIT_RUN.finditer(text):
        groups = list(_DIGIT_GROUP.finditer(text, run.start(), run.end()))
        first = 0
        while first < len(groups):
            digits = ""
            longest: int | None = None
            for last in range(first, len(groups)):
                digits += groups[last].group()
                if len(digits) > CARD_MAX_DIGITS:
                    break
                if is_card_number(digits):
                    longest = last
            if longest is None:
                first += 1
                continue
            yield groups[first].start(), groups[longest].end()
            first = longest + 1


class PersonalDataDetector:
    """Finds the enabled kinds of personal data; build it once and reuse it."""

    def __init__(
        self,
        *,
        kinds: Iterable[str] = BUILT_IN_PERSONAL_DATA_KINDS,
        phone_region: str = "US",
        patterns: Mapping[str, str] | None = None,
    ) -> None:
        self.kinds = frozenset(kinds)
        self.phone_region = phone_region.upper()
        self.patterns = {name: re.compile(pattern) for name, pattern in (patterns or {}).items()}

    @classmethod
    def from_config(cls, config: InsightsConfig) -> PersonalDataDetector:
        """A detector for the ``[insights]`` configuration."""
        return cls(
            kinds=config.personal_data, phone_region=config.phone_region, patterns=config.patterns
        )

    def find(self, text: str) -> list[PersonalDataMatch]:
        """Every finding in ``text``, ordered by position, without overlaps.

        When two findings overlap, the first kind in this order keeps the text: e-mail,
        configured patterns, card, phone.
        """
        claimed: list[tuple[int, int]] = []
        found: list[PersonalDataMatch] = []

        def claim(kind: str, start: int, end: int) -> None:
            if end > start and not any(start < e and s < end for s, e in claimed):
                claimed.append((start, end))
                found.append(PersonalDataMatch(kind=kind, start=start, end=end))

        if EMAIL in self.kinds and _EMAIL_HINT.search(text):
            for match in _EMAIL.finditer(text):
                claim(EMAIL, match.start(), match.end())
        for name, pattern in self.patterns.items():
            for match in pattern.finditer(text):
                claim(name, match.start(), match.end())
        wants_numbers = CARD in self.kinds or PHONE in self.kinds
        # Numbers inside links (order pages, tweet ids) are not someone's card or phone.
        if wants_numbers and _SEVEN_DIGITS.match(text) and _SEVEN_DIGITS.match(_URL.sub(" ", text)):
            claimed.extend((m.start(), m.end()) for m in _URL.finditer(text))
            if CARD in self.kinds:
                for start, end in _card_spans(text):
                    claim(CARD, start, end)
            if PHONE in self.kinds:
                for number in phonenumbers.PhoneNumberMatcher(
                    text, self.phone_region, leniency=phonenumbers.Leniency.VALID
                ):
                    claim(PHONE, number.start, number.end)
        found.sort(key=lambda match: (match.start, match.end))
        return found


def detector_for(settings: Settings) -> PersonalDataDetector:
    """The detector for an instance's ``[insights]`` table, built once per settings."""
    return settings.plugin_state(
        "insights:personal_data", lambda: PersonalDataDetector.from_config(load_config(settings))
    )


def find_personal_data(
    text: str, settings_or_config: Settings | InsightsConfig | None = None
) -> list[PersonalDataMatch]:
    """Personal data in ``text`` as ``PersonalDataMatch(kind, start, end)``, by position.

    Kinds: ``email``, ``phone`` (``phonenumbers``, numbers valid for their region; national
    numbers are read in ``phone_region``), ``card`` (13–19 digits, spaces or dashes allowed,
    Luhn-checked) and each name under ``[insights.patterns]``. Pass the instance's
    :class:`~careline.config.Settings` (the detector is then built once), an
    :class:`~careline_insights.config.InsightsConfig`, or nothing for the defaults.
    """
    if isinstance(settings_or_config, Settings):
        return detector_for(settings_or_config).find(text)
    config = settings_or_config if settings_or_config is not None else InsightsConfig()
    return PersonalDataDetector.from_config(config).find(text)
