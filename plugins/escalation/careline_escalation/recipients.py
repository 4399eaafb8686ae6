"""Which notifications a sender delivers, and to whom.

A notification's recipients are strings such as ``target:legal``, ``agent:3``,
``role:supervisor``, ``queue:billing``, ``webhook:legal`` or ``email:legal@acme.example``.
A sender is addressed explicitly (``webhook:<name>``, ``email:<address>``) or through the
patterns in its configuration: ``*`` (every notification, even one without recipients),
``target:*``, ``role:supervisor``, or a bare name meaning ``target:<name>``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fnmatch import fnmatchcase


def normalise_pattern(pattern: str) -> str:
    """A bare name (``legal``) means the target of that name (``target:legal``)."""
    return pattern if pattern == "*" or ":" in pattern else f"target:{pattern}"


def pattern_matches(pattern: str, recipients: Sequence[str]) -> bool:
    """Whether ``pattern`` selects a notification addressed to ``recipients``."""
    pattern = normalise_pattern(pattern)
    if pattern == "*":
        return True
    return any(fnmatchcase(recipient, pattern) for recipient in recipients)


def webhook_wanted(name: str, patterns: Iterable[str], recipients: Sequence[str]) -> bool:
    """Whether the webhook called ``name`` should receive a notification for ``recipients``."""
    if f"webhook:{name}" in recipients:
        return True
    return any(pattern_matches(pattern, recipients) for pattern in patterns)


def email_addresses(mapping: Mapping[str, Sequence[str]], recipients: Sequence[str]) -> list[str]:
    """The e-mail addresses for ``recipients``: explicit ``email:`` ones, then mapped ones."""
    addresses = [r.partition(":")[2] for r in recipients if r.startswith("email:")]
    for pattern, mapped in mapping.items():
        if pattern_matches(pattern, recipients):
            addresses.extend(mapped)
    unique: dict[str, str] = {}
    for address in addresses:
        unique.setdefault(address.casefold(), address)
    return list(unique.values())
