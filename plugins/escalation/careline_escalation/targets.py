"""Turning a fired trigger into an :class:`EscalationRequest` for its target.

The request names the target, the reason and the trigger id; it carries the recipients to
notify (always ``target:<name>`` first, then the trigger's own, then the target table's
``notify``) and the strongest priority raise asked for by the trigger or the target.
"""

from __future__ import annotations

from collections.abc import Iterable

from careline.types import ConversationView, EscalationRequest, Priority

from careline_escalation.config import ASSIGNEE, EscalationConfig, TargetConfig


def higher_priority(*priorities: Priority | None) -> Priority | None:
    """The most urgent of ``priorities`` (``None`` when none is given)."""
    given = [p for p in priorities if p is not None]
    return max(given, key=lambda p: p.rank) if given else None


def one_step_up(priority: Priority) -> Priority | None:
    """The next priority above ``priority`` (``None`` for urgent)."""
    order = list(Priority)
    return order[priority.rank + 1] if priority.rank + 1 < len(order) else None


def one_step_down(priority: Priority) -> Priority | None:
    """The next priority below ``priority`` (``None`` for low)."""
    return list(Priority)[priority.rank - 1] if priority.rank > 0 else None


def expand_recipients(recipients: Iterable[str], conversation: ConversationView) -> list[str]:
    """Replace ``assignee`` by ``agent:<id>``, or by ``queue:<queue>`` / ``role:supervisor``
    when nobody is assigned, so that a warning always reaches someone."""
    expanded: list[str] = []
    for recipient in recipients:
        if recipient != ASSIGNEE:
            expanded.append(recipient)
        elif conversation.assignee_id is not None:
            expanded.append(f"agent:{conversation.assignee_id}")
        elif conversation.queue:
            expanded.append(f"queue:{conversation.queue}")
        else:
            expanded.append("role:supervisor")
    return expanded


def build_request(
    config: EscalationConfig,
    conversation: ConversationView,
    *,
    target: str,
    reason: str,
    trigger: str,
    raise_priority: Priority | None = None,
    reassign_queue: str | None = None,
    notify: Iterable[str] = (),
) -> EscalationRequest:
    """The escalation request for ``target``, merged with ``[escalation.targets.<target>]``."""
    table = config.targets.get(target, TargetConfig())
    recipients = expand_recipients([f"target:{target}", *notify, *table.notify], conversation)
    return EscalationRequest(
        target=target,
        reason=reason,
        trigger=trigger,
        raise_priority=higher_priority(raise_priority, table.raise_priority),
        reassign_queue=reassign_queue or table.reassign_queue,
        reassign_agent_id=table.reassign_agent_id,
        notify=tuple(dict.fromkeys(recipients)),
    )
