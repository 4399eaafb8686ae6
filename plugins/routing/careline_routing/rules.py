"""The rule set: rules tried in order, the first whose conditions all hold decides.

:meth:`RuleSet.decide` turns the facts of one message into a
:class:`~careline.types.RoutingDecision`; :meth:`RuleSet.trace` says, rule by rule, why each one
matched or not (``careline routing test``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from careline.types import Priority, RoutingDecision, Source

from careline_routing.business_hours import OpenCheck
from careline_routing.conditions import Condition, compile_conditions
from careline_routing.config import RoutingConfig, RuleConfig
from careline_routing.facts import MessageFacts

DEFAULT_RULE = "default_queue"
EARNED_RULE = "earned_queue"
KEEP_QUEUE_RULE = "current_queue"


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """One rule, ready to test: its label, its conditions and what it does."""

    label: str
    conditions: tuple[Condition, ...]
    fixed_conditions: tuple[Condition, ...]
    checks: tuple[Callable[[MessageFacts], bool], ...]
    queue: str | None
    priority: Priority | None
    tags: tuple[str, ...]
    topic: str | None
    ignore_reason: str | None
    suggest_private: bool

    @classmethod
    def build(cls, index: int, rule: RuleConfig, is_open: OpenCheck) -> CompiledRule:
        """Compile ``rules[index]``; its label is its name, else ``rules[index]``."""
        conditions = compile_conditions(rule, is_open)
        return cls(
            label=rule.name or f"rules[{index}]",
            conditions=conditions,
            fixed_conditions=tuple(c for c in conditions if c.fixed),
            checks=tuple(c.matches for c in conditions if not c.fixed),
            queue=rule.queue,
            priority=Priority(rule.priority) if rule.priority else None,
            tags=tuple(rule.tags),
            topic=rule.set_topic,
            ignore_reason=rule.ignore_reason,
            suggest_private=rule.suggest_private,
        )

    def first_failure(self, facts: MessageFacts) -> Condition | None:
        """The first condition that does not hold, or ``None`` when the rule matches."""
        for condition in self.conditions:
            if not condition.matches(facts):
                return condition
        return None

    def explain(self, facts: MessageFacts) -> str:
        """What the matching conditions saw, joined: ``channel twitter (wanted …); …``."""
        if not self.conditions:
            return "no conditions (matches every message)"
        return "; ".join(condition.explain(facts) for condition in self.conditions)


@dataclass(frozen=True, slots=True)
class RuleTrace:
    """How one rule fared for one message (for ``careline routing test``)."""

    label: str
    matched: bool
    explanation: str


_SHORTLIST_LIMIT = 1024


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The compiled rules plus the fall-back queues.

    For each combination of channel, source and visibility it keeps the shortlist of rules whose
    fixed conditions allow it, so a message is only tested against rules that can match it.
    """

    rules: tuple[CompiledRule, ...]
    default_queue: str
    earned_queue: str
    _shortlists: dict[tuple[str, str, str], tuple[CompiledRule, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    @classmethod
    def compile(cls, config: RoutingConfig, is_open: OpenCheck) -> RuleSet:
        """Compile every ``[[routing.rules]]`` table of ``config`` in order."""
        return cls(
            rules=tuple(
                CompiledRule.build(index, rule, is_open) for index, rule in enumerate(config.rules)
            ),
            default_queue=config.default_queue,
            earned_queue=config.earned_queue,
        )

    def first_match(self, facts: MessageFacts) -> CompiledRule | None:
        """The first rule whose conditions all hold."""
        key = (facts.channel, facts.source, facts.visibility)
        shortlist = self._shortlists.get(key)
        if shortlist is None:
            shortlist = self._shortlist(key, facts)
        for rule in shortlist:
            for check in rule.checks:
                if not check(facts):
                    break
            else:
                return rule
        return None

    def _shortlist(
        self, key: tuple[str, str, str], facts: MessageFacts
    ) -> tuple[CompiledRule, ...]:
        # fixed conditions read only the three facts in the key, so any facts with it will do
        shortlist = tuple(
            rule
            for rule in self.rules
            if all(condition.matches(facts) for condition in rule.fixed_conditions)
        )
        if len(self._shortlists) >= _SHORTLIST_LIMIT:
            self._shortlists.clear()
        self._shortlists[key] = shortlist
        return shortlist

    def fallback_queue(self, facts: MessageFacts) -> tuple[str, str]:
        """The queue when no rule names one, and why: kept, earned or default."""
        if facts.current_queue:
            return facts.current_queue, KEEP_QUEUE_RULE
        if facts.source == Source.EARNED:
            return self.earned_queue, EARNED_RULE
        return self.default_queue, DEFAULT_RULE

    def decide(self, facts: MessageFacts) -> RoutingDecision:
        """The routing decision for a message: always names a queue."""
        rule = self.first_match(facts)
        queue, reason = self.fallback_queue(facts)
        if rule is None:
            return RoutingDecision(
                queue=queue, rule=reason, explanation=f"no rule matched; {_why(reason, queue)}"
            )
        explanation = f"rule {rule.label!r} matched: {rule.explain(facts)}"
        if rule.queue is None:
            explanation += f"; {_why(reason, queue)}"
        return RoutingDecision(
            queue=rule.queue or queue,
            priority=rule.priority,
            tags=rule.tags,
            topic=rule.topic,
            ignore_reason=rule.ignore_reason,
            suggest_private=rule.suggest_private,
            rule=rule.label,
            explanation=explanation,
        )

    def trace(self, facts: MessageFacts) -> list[RuleTrace]:
        """Every rule up to and including the first match, with why it matched or not."""
        traces: list[RuleTrace] = []
        for rule in self.rules:
            failure = rule.first_failure(facts)
            if failure is None:
                traces.append(RuleTrace(rule.label, True, rule.explain(facts)))
                break
            traces.append(RuleTrace(rule.label, False, failure.explain(facts)))
        return traces


def _why(reason: str, queue: str) -> str:
    if reason == KEEP_QUEUE_RULE:
        return f"keeps its queue {queue}"
    if reason == EARNED_RULE:
        return f"earned message, so the earned queue {queue}"
    return f"default queue {queue}"
