"""Comparing what routing did with what the current rules would do, and saying it briefly."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from careline.types import Priority, RoutingDecision

from careline_routing.replay import Outcome, StoredConversation

SNIPPET_LENGTH = 70


def outcome_of(decision: RoutingDecision) -> Outcome:
    """The outcome a new conversation gets from ``decision`` (priority stays normal if unset)."""
    return Outcome(
        queue=decision.queue,
        priority=str(decision.priority or Priority.NORMAL),
        ignored=decision.ignore_reason is not None,
    )


@dataclass(frozen=True, slots=True)
class MovedExample:
    """One conversation the current rules would route differently."""

    conversation_id: int
    created_at: datetime
    channel: str
    text: str
    before: Outcome
    after: Outcome
    rule: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form."""
        return {
            "conversation_id": self.conversation_id,
            "created_at": self.created_at.isoformat(),
            "channel": self.channel,
            "text": self.text,
            "before": _outcome_dict(self.before),
            "after": _outcome_dict(self.after),
            "rule": self.rule,
        }


def _outcome_dict(outcome: Outcome) -> dict[str, Any]:
    return {"queue": outcome.queue, "priority": outcome.priority, "ignored": outcome.ignored}


@dataclass
class ReplaySummary:
    """Counts before and after, per queue, priority and rule, plus a few moved examples."""

    since: datetime
    until: datetime
    example_limit: int = 5
    conversations: int = 0
    changed: int = 0
    queues_before: Counter[str] = field(default_factory=Counter)
    queues_after: Counter[str] = field(default_factory=Counter)
    priorities_before: Counter[str] = field(default_factory=Counter)
    priorities_after: Counter[str] = field(default_factory=Counter)
    ignored_before: int = 0
    ignored_after: int = 0
    rules_after: Counter[str] = field(default_factory=Counter)
    examples: list[MovedExample] = field(default_factory=list)

    def add(self, stored: StoredConversation, decision: RoutingDecision) -> None:
        """Count one replayed conversation."""
        before, after = stored.before, outcome_of(decision)
        self.conversations += 1
        self.queues_before[before.queue or "(none)"] += 1
        self.queues_after[after.queue or "(none)"] += 1
        self.priorities_before[before.priority] += 1
        self.priorities_after[after.priority] += 1
        self.ignored_before += before.ignored
        self.ignored_after += after.ignored
        self.rules_after[decision.rule or "(none)"] += 1
        if before == after:
            return
        self.changed += 1
        if len(self.examples) < self.example_limit:
            text = " ".join(stored.message.text.split())
            if len(text) > SNIPPET_LENGTH:
                text = text[: SNIPPET_LENGTH - 1] + "…"
            self.examples.append(
                MovedExample(
                    conversation_id=stored.view.id,
                    created_at=stored.view.created_at,
                    channel=stored.view.channel,
                    text=text,
                    before=before,
                    after=after,
                    rule=decision.rule,
                )
            )

    def as_dict(self) -> dict[str, Any]:
        """JSON-friendly form (``careline routing replay --json``)."""
        return {
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "conversations": self.conversations,
            "changed": self.changed,
            "queues": _before_after(self.queues_before, self.queues_after),
            "priorities": _before_after(self.priorities_before, self.priorities_after),
            "ignored": {"before": self.ignored_before, "after": self.ignored_after},
            "rules": dict(self.rules_after.most_common()),
            "examples": [example.as_dict() for example in self.examples],
        }

    def render(self) -> list[str]:
        """The human-readable report."""
        lines = [
            f"Replayed {self.conversations:,} conversations started "
            f"{self.since:%Y-%m-%d %H:%M} – {self.until:%Y-%m-%d %H:%M} UTC."
        ]
        if not self.conversations:
            return [*lines, "Nothing to compare: no conversation with a customer message."]
        share = self.changed / self.conversations
        lines.append(f"{self.changed:,} would be routed differently ({share:.1%}).")
        lines += ["", *_table("Queue", self.queues_before, self.queues_after)]
        lines += ["", *_table("Priority", self.priorities_before, self.priorities_after)]
        lines += [
            "",
            f"No reply needed (ignored): {self.ignored_before:,} → {self.ignored_after:,}",
            "",
            "Deciding rule now:",
        ]
        for rule, count in self.rules_after.most_common():
            lines.append(f"  {rule:<30} {count:>8,}")
        if self.examples:
            lines += ["", "Conversations that would move:"]
            for example in self.examples:
                lines.append(
                    f"  #{example.conversation_id} {example.created_at:%Y-%m-%d %H:%M} "
                    f"{example.channel} {example.text!r}: {example.before.describe()} → "
                    f"{example.after.describe()} (rule {example.rule})"
                )
        return lines


def _before_after(before: Counter[str], after: Counter[str]) -> dict[str, dict[str, int]]:
    names = sorted(set(before) | set(after))
    return {name: {"before": before[name], "after": after[name]} for name in names}


def _table(title: str, before: Counter[str], after: Counter[str]) -> list[str]:
    names = sorted(set(before) | set(after), key=lambda name: (-after[name], name))
    width = max(len(title), *(len(name) for name in names))
    lines = [f"{title:<{width}}  {'before':>8}  {'after':>8}  {'change':>8}"]
    for name in names:
        change = after[name] - before[name]
        lines.append(f"{name:<{width}}  {before[name]:>8,}  {after[name]:>8,}  {change:>+8,}")
    return lines
