"""The routing policy of one instance: built once per settings object from ``[routing]``.

It bundles the compiled rules, the queue policies and the in-memory state that must outlive a
single hook call (round-robin positions, take-back times).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from careline.config import Settings
from careline.types import AgentView, ConversationView, InboundMessage, RoutingDecision

from careline_routing.assignment import QueuePolicy, Rotation, choose_agent
from careline_routing.business_hours import OpenCheck, always_open, load_open_check
from careline_routing.config import RoutingConfig, load_config
from careline_routing.facts import gather_facts
from careline_routing.reassign import TakeBackLog
from careline_routing.rules import RuleSet

STATE_KEY = "routing:policy"


@dataclass
class RoutingPolicy:
    """Rules, queues and dealing state of one instance."""

    config: RoutingConfig
    rules: RuleSet
    calendar_source: str
    queues: dict[str, QueuePolicy] = field(default_factory=dict)
    rotation: Rotation = field(default_factory=Rotation)
    take_backs: TakeBackLog = field(default_factory=TakeBackLog)

    @classmethod
    def from_settings(cls, settings: Settings) -> RoutingPolicy:
        """Validate ``[routing]`` and compile it (raises ``ConfigError`` naming the key)."""
        config = load_config(settings)
        is_open: OpenCheck = always_open
        calendar_source = "not used by any rule"
        if any(rule.business_hours is not None for rule in config.rules):
            is_open, calendar_source = load_open_check(settings)
        queues = {
            name: QueuePolicy.build(name, queue, config) for name, queue in config.queues.items()
        }
        periods = [q.reassign_after for q in queues.values() if q.reassign_after is not None]
        return cls(
            config=config,
            rules=RuleSet.compile(config, is_open),
            calendar_source=calendar_source,
            queues=queues,
            take_backs=TakeBackLog(forget_after=max(periods, default=timedelta(days=1))),
        )

    @property
    def enabled(self) -> bool:
        """False when ``[routing] enabled = false``."""
        return self.config.enabled

    def queue(self, name: str | None) -> QueuePolicy:
        """The policy of queue ``name`` (the default queue when ``None``)."""
        name = name or self.config.default_queue
        policy = self.queues.get(name)
        if policy is None:
            policy = QueuePolicy.build(name, self.config.queue(name), self.config)
            self.queues[name] = policy
        return policy

    def route(self, conversation: ConversationView, message: InboundMessage) -> RoutingDecision:
        """Where the conversation goes, by the first matching rule or the fall-back queues."""
        return self.rules.decide(gather_facts(conversation, message))

    def assign(self, conversation: ConversationView, candidates: Sequence[AgentView]) -> int | None:
        """The agent to take the conversation, by its queue's strategy, or ``None``."""
        return choose_agent(
            conversation,
            candidates,
            self.queue(conversation.queue),
            self.rotation,
            avoid=self.take_backs.previous_assignee(conversation.id),
        )

    def reassign(self, conversation: ConversationView, now: datetime) -> bool:
        """True when the conversation should be taken from its assignee."""
        period = self.queue(conversation.queue).reassign_after
        return self.take_backs.should_take_back(conversation, now, period)


def routing_policy(settings: Settings) -> RoutingPolicy:
    """The instance's routing policy, compiled on first use and kept with the settings."""
    return settings.plugin_state(STATE_KEY, lambda: RoutingPolicy.from_settings(settings))
