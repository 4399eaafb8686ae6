"""Triggers evaluated when a conversation changes status.

``status:reopened`` (off by default): a resolved, closed or ignored conversation was reopened —
the customer came back, so what was done did not hold. It fires once per conversation.
"""

from __future__ import annotations

from careline.types import ConversationStatus, ConversationView, EscalationRequest

from careline_escalation.config import EscalationConfig
from careline_escalation.targets import build_request

FINISHED = (ConversationStatus.RESOLVED, ConversationStatus.CLOSED, ConversationStatus.IGNORED)
ACTIVE = (ConversationStatus.NEW, ConversationStatus.OPEN, ConversationStatus.PENDING)


def evaluate(
    config: EscalationConfig,
    conversation: ConversationView,
    old_status: ConversationStatus,
    new_status: ConversationStatus,
) -> list[EscalationRequest]:
    """Every status trigger that fires for the change ``old_status`` → ``new_status``."""
    rule = config.reopen
    old_status, new_status = ConversationStatus(old_status), ConversationStatus(new_status)
    if not rule.enabled or old_status not in FINISHED or new_status not in ACTIVE:
        return []
    return [
        build_request(
            config,
            conversation,
            target=rule.target,
            reason=f"the customer came back: conversation reopened (was {old_status.value})",
            trigger="status:reopened",
            raise_priority=rule.raise_priority,
        )
    ]
