"""The guideline rules, one module each; :data:`RULES` lists them in the order they run."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from careline.types import Finding

from careline_guidelines.rules import (
    banned_phrases,
    duplicate,
    length,
    links,
    personal_data,
    required_elements,
    tone,
    window,
)
from careline_guidelines.rules.base import CheckContext

Rule = Callable[[CheckContext], Iterable[Finding]]

RULES: dict[str, Rule] = {
    length.RULE: length.check,
    personal_data.PUBLIC_RULE: personal_data.check_public_draft,
    personal_data.CUSTOMER_RULE: personal_data.check_customer_shared,
    banned_phrases.RULE: banned_phrases.check,
    required_elements.RULE: required_elements.check,
    links.RULE: links.check,
    duplicate.RULE: duplicate.check,
    tone.RULE: tone.check,
    window.RULE: window.check,
}

__all__ = ["RULES", "CheckContext", "Rule"]
