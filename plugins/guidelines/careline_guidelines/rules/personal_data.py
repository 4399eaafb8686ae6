"""``personal_data_public`` and ``customer_shared_personal_data``.

A public reply is permanent and screenshotted: it must carry no personal data, and when the
customer posted theirs in public, the reply moves to a private message and never repeats it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from careline.types import Direction, Finding, MessageView, Visibility

from careline_guidelines.personal_data import describe_kind, find_personal_data
from careline_guidelines.rules.base import CheckContext
from careline_guidelines.text import phrase_pattern

PUBLIC_RULE = "personal_data_public"
CUSTOMER_RULE = "customer_shared_personal_data"

MIN_QUOTED_LENGTH = 4
MIN_NUMBER_SUFFIX = 7
_DIGIT_SEPARATORS = r"[\s\-./()]*"


def check_public_draft(context: CheckContext) -> list[Finding]:
    """A finding for each piece of personal data in a public draft."""
    draft = context.draft
    if draft.visibility != Visibility.PUBLIC:
        return []
    severity = context.config.rules.personal_data_public.severity
    return [
        Finding(
            rule=PUBLIC_RULE,
            severity=severity,
            message=(
                f"This public reply contains {describe_kind(match.kind)}: remove it, and ask "
                "for or give details in a private message instead."
            ),
            span=(match.start, match.end),
        )
        for match in find_personal_data(draft.text, context.settings)
    ]


def check_customer_shared(context: CheckContext) -> list[Finding]:
    """Warn when the customer posted personal data in public; block a reply that quotes it."""
    draft, conversation = context.draft, context.conversation
    rule = context.config.rules.customer_shared_personal_data
    if draft.visibility != Visibility.PUBLIC:
        return []
    findings: list[Finding] = []
    if (
        conversation.personal_data_kinds
        and conversation.visibility == Visibility.PUBLIC
        and not asks_to_move_to_private(draft.text, rule.move_to_private_phrases)
    ):
        kinds = ", ".join(describe_kind(kind) for kind in conversation.personal_data_kinds)
        hide = (
            " and hide their post"
            if context.channel.manifest.hide
            else " and suggest they delete their post"
        )
        findings.append(
            Finding(
                rule=CUSTOMER_RULE,
                severity=rule.severity,
                message=(
                    f"The customer posted {kinds} in public: ask them to continue in a private "
                    f"message{hide}; do not repeat it."
                ),
            )
        )
    for kind, start, end in _quotes(draft.text, _customer_values(context)):
        findings.append(
            Finding(
                rule=CUSTOMER_RULE,
                severity=rule.quote_severity,
                message=(
                    f"This public reply repeats {describe_kind(kind)} the customer sent: "
                    'remove it and refer to it without quoting ("the address you sent us").'
                ),
                span=(start, end),
            )
        )
    return findings


def asks_to_move_to_private(text: str, phrases: list[str]) -> bool:
    """Whether the draft already invites the customer to a private message ("send us a DM")."""
    return any(phrase_pattern(phrase).search(text) for phrase in phrases)


def _customer_values(context: CheckContext) -> Iterator[tuple[str, str]]:
    """``(kind, value)`` of the personal data in the customer's messages."""
    for message in context.conversation.messages:
        if message.direction != Direction.INBOUND:
            continue
        for kind, start, end in _matches(message, context):
            value = message.text[start:end].strip()
            if len(value) >= MIN_QUOTED_LENGTH:
                yield kind, value


def _matches(message: MessageView, context: CheckContext) -> Iterator[tuple[str, int, int]]:
    # Enrichment stored the matches when insights ran at ingest; detect again in case it did not
    # (older messages, other configuration) — duplicates are harmless.
    for match in message.personal_data:
        yield match.kind, match.start, match.end
    for match in find_personal_data(message.text, context.settings):
        yield match.kind, match.start, match.end


def value_pattern(value: str) -> re.Pattern[str]:
    """A pattern that finds ``value`` in a reply, however its digits are grouped.

    Numbers also match without their first one to three digits (a country code) and with a
    national ``0`` instead: "+44 20 7946 0018" is quoted by "020 7946 0018" too.
    """
    digits = re.sub(r"\D", "", value)
    if len(digits) >= MIN_QUOTED_LENGTH and len(digits) * 2 >= len(re.sub(r"\s", "", value)):
        suffixes = [digits] + [
            digits[cut:] for cut in (1, 2, 3) if len(digits) - cut >= MIN_NUMBER_SUFFIX
        ]
        bodies = "|".join(_DIGIT_SEPARATORS.join(suffix) for suffix in suffixes)
        return re.compile(rf"(?<!\d)(?:0{_DIGIT_SEPARATORS})?(?:{bodies})(?!\d)")
    return re.compile(rf"(?<!\w){re.escape(value)}(?!\w)", re.IGNORECASE)


def _quotes(text: str, values: Iterator[tuple[str, str]]) -> list[tuple[str, int, int]]:
    found: dict[tuple[int, int], str] = {}
    for kind, value in values:
        for match in value_pattern(value).finditer(text):
            found.setdefault((match.start(), match.end()), kind)
    return [(kind, start, end) for (start, end), kind in sorted(found.items())]
