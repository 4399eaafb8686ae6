"""``required_elements``: what every reply must carry — the agent's signature, a greeting by name.

Both are off by default and can be limited to some channels and visibilities (many brands sign
public replies with ``^JS`` but not private messages).
"""

from __future__ import annotations

import re

from careline.types import Finding, Visibility

from careline_guidelines.config import RequiredElementsRule
from careline_guidelines.rules.base import CheckContext
from careline_guidelines.text import first_name, initials_of

RULE = "required_elements"
_LEADING_MENTIONS = re.compile(r"^(?:\s*@\w+)+\s*")
# An address or a link that contains the name ("anna@example.org") is not a greeting.
_ADDRESSES = re.compile(r"\S+@\S+|\b\w+://\S+")


def _applies(channels: list[str], visibilities: list[Visibility], context: CheckContext) -> bool:
    channel_ok = not channels or context.channel.name in channels
    return channel_ok and context.draft.visibility in visibilities


def agent_initials(context: CheckContext) -> str | None:
    """The draft's agent's initials (configured, else from the name), or ``None``."""
    agent = context.draft.agent
    if agent is None:
        return None
    return agent.initials or initials_of(agent.name) or None


def signature_pattern(initials: str) -> re.Pattern[str]:
    """``^JS``, ``-JS``, ``- JS``, ``–JS`` anywhere, as a word of its own (any case)."""
    return re.compile(rf"(?:\^|(?<!\w)[-–—]\s?){re.escape(initials)}(?!\w)", re.IGNORECASE)


def _signature(context: CheckContext, rule: RequiredElementsRule) -> Finding | None:
    draft = context.draft
    initials = agent_initials(context)
    if initials is None:
        if draft.automated:
            return None
        return Finding(
            rule=RULE,
            severity=rule.severity,
            message="Replies must be signed, but no agent is set for this reply: sign it.",
        )
    if signature_pattern(initials).search(draft.text):
        return None
    return Finding(
        rule=RULE,
        severity=rule.severity,
        message=f'Sign the reply with your initials: end it with "^{initials}" (or "-{initials}").',
        span=(len(draft.text), len(draft.text)),
    )


def _greeting(context: CheckContext, rule: RequiredElementsRule) -> Finding | None:
    conversation, text = context.conversation, context.draft.text
    names: list[str] = []
    if conversation.contact_name:
        names = [conversation.contact_name]
        short = first_name(conversation.contact_name)
        if short:
            names.append(short)
        opening = _ADDRESSES.sub(" ", _LEADING_MENTIONS.sub("", text)[: rule.greeting_within])
    elif conversation.contact_handle:
        names = [conversation.contact_handle.lstrip("@")]
        opening = text[: rule.greeting_within]
    else:
        return None  # nobody to greet by name
    for name in names:
        if re.search(rf"(?<!\w){re.escape(name)}(?!\w)", opening, re.IGNORECASE):
            return None
    example = names[-1]
    return Finding(
        rule=RULE,
        severity=rule.severity,
        message=f'Greet the customer by name at the start, e.g. "Hi {example}, …".',
        span=(0, 0),
    )


def check(context: CheckContext) -> list[Finding]:
    """Findings for a missing signature or a missing greeting by name, where required."""
    rule = context.config.rules.required_elements
    findings: list[Finding] = []
    if rule.require_signature and _applies(
        rule.signature_channels, rule.signature_visibilities, context
    ):
        signature = _signature(context, rule)
        if signature:
            findings.append(signature)
    if rule.require_greeting_name and _applies(
        rule.greeting_channels, rule.greeting_visibilities, context
    ):
        greeting = _greeting(context, rule)
        if greeting:
            findings.append(greeting)
    return findings
