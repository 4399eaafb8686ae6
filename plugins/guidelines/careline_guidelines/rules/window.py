"""``window``: may this reply go out on this channel now, and will it need a tag?

The core's send policy decides; this rule shows its answer while the agent is still writing,
instead of a refused send afterwards.
"""

from __future__ import annotations

from datetime import datetime

from careline.send_policy import decide
from careline.types import Direction, Finding, Visibility

from careline_guidelines.rules.base import CheckContext

RULE = "window"


def _answered_comment_time(context: CheckContext) -> datetime | None:
    """For a private reply to a public conversation: when the customer's comment was made."""
    if not (
        context.draft.visibility == Visibility.PRIVATE
        and context.conversation.visibility == Visibility.PUBLIC
    ):
        return None
    inbound = [m for m in context.conversation.messages if m.direction == Direction.INBOUND]
    return max((m.created_at for m in inbound), default=None)


def check(context: CheckContext) -> list[Finding]:
    """A finding when the send policy refuses the reply, or allows it only with a tag."""
    rule = context.config.rules.window
    draft, conversation = context.draft, context.conversation
    comment_at = _answered_comment_time(context)
    if (
        comment_at is None
        and draft.visibility == Visibility.PRIVATE
        and conversation.visibility == Visibility.PUBLIC
    ):
        return []  # no customer comment in view to answer privately: the core decides at send
    decision = decide(
        context.channel.manifest,
        visibility=Visibility(draft.visibility),
        now=context.settings.clock.now(),
        last_inbound_at=conversation.last_inbound_at,
        automated=draft.automated,
        private_reply_to=comment_at,
    )
    if not decision.allowed:
        return [
            Finding(
                rule=RULE,
                severity=rule.severity,
                message=f"This reply cannot be sent now: {decision.reason}.",
            )
        ]
    if decision.tag:
        return [
            Finding(
                rule=RULE,
                severity=rule.tag_severity,
                message=f"Will be sent with the {decision.tag} tag ({decision.reason}).",
            )
        ]
    return []
