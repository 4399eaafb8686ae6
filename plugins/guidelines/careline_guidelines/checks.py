"""Running every enabled rule on a draft reply."""

from __future__ import annotations

from careline.channels import Channel
from careline.config import Settings
from careline.types import ConversationView, DraftReply, Finding

from careline_guidelines.config import guidelines_config
from careline_guidelines.rules import RULES, CheckContext


def check_draft(
    draft: DraftReply, conversation: ConversationView, channel: Channel, settings: Settings
) -> list[Finding]:
    """The findings of every enabled rule, in rule order."""
    config = guidelines_config(settings)
    if not config.enabled:
        return []
    context = CheckContext(draft, conversation, channel, settings, config)
    findings: list[Finding] = []
    for name, rule in RULES.items():
        if getattr(config.rules, name).enabled:
            findings.extend(rule(context))
    return findings
