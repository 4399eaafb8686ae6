"""``tone``: shouting in capitals, piles of exclamation marks, and templates sent word for word.

All three read as careless or robotic on a public timeline; they warn by default.
"""

from __future__ import annotations

import re

from careline.types import Finding

from careline_guidelines.catalogue import find_template
from careline_guidelines.config import ToneRule
from careline_guidelines.rendering import TemplateRenderError, render_template
from careline_guidelines.rules.base import CheckContext
from careline_guidelines.text import first_name, normalise_for_comparison

RULE = "tone"
_NOT_PROSE = re.compile(r"[@#]\w+|\b\w+://\S+")
_EXCLAMATION = "!！"
_EXCLAMATION_RUN = re.compile(rf"[{_EXCLAMATION}]{{2,}}")


def _shouting(text: str, rule: ToneRule) -> Finding | None:
    prose = _NOT_PROSE.sub(" ", text)
    cased = [char for char in prose if char.isupper() or char.islower()]
    if len(cased) < rule.caps_min_letters:
        return None
    upper = sum(1 for char in cased if char.isupper())
    if upper / len(cased) < rule.caps_ratio:
        return None
    return Finding(
        rule=RULE,
        severity=rule.severity,
        message=(
            f"{upper} of {len(cased)} letters are capitals: it reads as shouting. "
            "Write in sentence case."
        ),
        span=(0, len(text)),
    )


def _exclamations(text: str, rule: ToneRule) -> Finding | None:
    run = _EXCLAMATION_RUN.search(text)
    positions = [index for index, char in enumerate(text) if char in _EXCLAMATION]
    if run is None and len(positions) <= rule.max_exclamations:
        return None
    if run is not None:
        span = (run.start(), run.end())
    else:
        span = (positions[rule.max_exclamations], positions[-1] + 1)
    return Finding(
        rule=RULE,
        severity=rule.severity,
        message=(
            f"{len(positions)} exclamation marks: one at most reads friendlier, "
            "and never two in a row."
        ),
        span=span,
    )


def _robotic(context: CheckContext, rule: ToneRule) -> Finding | None:
    draft, conversation = context.draft, context.conversation
    if not rule.check_robotic or draft.template_id is None:
        return None
    template = find_template(draft.template_id, context.config)
    if template is None:
        return None
    try:
        rendered = render_template(template, conversation, draft.agent)
    except TemplateRenderError:
        rendered = template.body
    if normalise_for_comparison(draft.text) != normalise_for_comparison(rendered):
        return None
    if _mentions_customer(draft.text, context):
        return None
    return Finding(
        rule=RULE,
        severity=rule.severity,
        message=(
            f'This is the template "{template.title}" word for word, without the customer\'s '
            "name: add their name or a sentence about their case so it does not read as a bot."
        ),
        span=(0, len(draft.text)),
    )


def _mentions_customer(text: str, context: CheckContext) -> bool:
    conversation = context.conversation
    names = []
    if conversation.contact_name:
        names.append(conversation.contact_name)
        short = first_name(conversation.contact_name)
        if short:
            names.append(short)
    if conversation.contact_handle:
        names.append(conversation.contact_handle.lstrip("@"))
    return any(re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE) for name in names)


def check(context: CheckContext) -> list[Finding]:
    """Findings for shouting, too many exclamation marks and unpersonalised templates."""
    rule = context.config.rules.tone
    text = context.draft.text
    found = (_shouting(text, rule), _exclamations(text, rule), _robotic(context, rule))
    return [finding for finding in found if finding is not None]
