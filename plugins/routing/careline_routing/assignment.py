"""Choosing an agent for a conversation waiting in a queue.

An agent is *eligible* when they are available and on shift (their working hours), have room (open < capacity), belong to the
queue, speak the conversation's language, work its channel and have the queue's required
skills. Among the eligible, the queue's strategy picks: ``least_loaded`` the agent using the
smallest share of their capacity, ``round_robin`` the next agent after the last one dealt to in
this queue, ``manual`` nobody (agents pull work themselves).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from careline.types import AgentView, ConversationView

from careline_routing.config import QueueConfig, RoutingConfig, StrategyName


@dataclass(frozen=True, slots=True)
class QueuePolicy:
    """How one queue is staffed and dealt (from ``[routing.queues.<name>]`` or the defaults)."""

    name: str
    strategy: StrategyName
    members: frozenset[str] | None = None
    required_skills: frozenset[str] = frozenset()
    reassign_after: timedelta | None = None
    agents_without_queues_take_all: bool = True

    @classmethod
    def build(cls, name: str, queue: QueueConfig, config: RoutingConfig) -> QueuePolicy:
        """The policy of queue ``name``, filling unset values from ``[routing]``."""
        return cls(
            name=name,
            strategy=queue.strategy or config.default_strategy,
            members=frozenset(m.lower() for m in queue.members)
            if queue.members is not None
            else None,
            required_skills=frozenset(s.lower() for s in queue.required_skills),
            reassign_after=queue.reassign_after,
            agents_without_queues_take_all=config.agents_without_queues_take_all,
        )

    def staffs(self, agent: AgentView) -> bool:
        """True when ``agent`` works this queue (by ``members``, else by the agent's queues)."""
        if self.members is not None:
            return agent.name.lower() in self.members
        if not agent.queues:
            return self.agents_without_queues_take_all
        return self.name in agent.queues


# Agents' lists barely change between calls while their loads do, so the lower-cased forms are
# cached by the list itself rather than by agent.
@lru_cache(maxsize=4096)
def _lowered(values: tuple[str, ...]) -> frozenset[str]:
    return frozenset(value.lower() for value in values)


@lru_cache(maxsize=4096)
def _base_languages(languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(code.lower().split("-", 1)[0] for code in languages if "-" in code)


def speaks(languages: tuple[str, ...], language: str) -> bool:
    """True when one of ``languages`` accepts ``language`` (lower-case), as in
    :func:`~careline_routing.facts.language_matches`."""
    spoken = _lowered(languages)
    if language in spoken or language.split("-", 1)[0] in spoken:
        return True
    return language in _base_languages(languages)


def eligible_agents(
    conversation: ConversationView, candidates: Iterable[AgentView], queue: QueuePolicy
) -> list[AgentView]:
    """The candidates who can take the conversation now, in id order.

    One loop with the cheapest and most selective tests first: this runs for every waiting
    conversation on every worker tick.
    """
    channel = conversation.channel.lower()
    language = conversation.language.lower() if conversation.language else None
    required = queue.required_skills
    eligible = []
    for agent in candidates:
        if not agent.available or not agent.on_shift:
            continue
        if agent.open_conversations >= agent.capacity:
            continue
        if not queue.staffs(agent):
            continue
        if agent.channels and channel not in _lowered(agent.channels):
            continue
        if language and agent.languages and not speaks(agent.languages, language):
            continue
        if required and not required <= _lowered(agent.skills):
            continue
        eligible.append(agent)
    eligible.sort(key=lambda agent: agent.id)
    return eligible


@dataclass
class Rotation:
    """Round-robin positions: the id of the agent last dealt to, per queue.

    Kept in memory of one process (in ``settings.plugin_state``), so the same sequence of calls
    always gives the same agents; several worker processes each keep their own rotation.
    """

    last_dealt: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def deal(self, queue: str, eligible: Sequence[AgentView]) -> AgentView:
        """The next eligible agent after the last one dealt to in ``queue`` (ids wrap around).

        ``eligible`` must be non-empty and sorted by id.
        """
        with self._lock:
            last = self.last_dealt.get(queue)
            chosen = eligible[0]
            if last is not None:
                chosen = next((agent for agent in eligible if agent.id > last), eligible[0])
            self.last_dealt[queue] = chosen.id
            return chosen


def least_loaded(eligible: Sequence[AgentView]) -> AgentView:
    """The agent using the smallest share of their capacity (then fewest open, then lowest id)."""
    return min(
        eligible,
        key=lambda agent: (
            agent.open_conversations / max(agent.capacity, 1),
            agent.open_conversations,
        ),
    )


def choose_agent(
    conversation: ConversationView,
    candidates: Sequence[AgentView],
    queue: QueuePolicy,
    rotation: Rotation,
    avoid: int | None = None,
) -> int | None:
    """The id of the agent to take ``conversation``, or ``None`` to leave it waiting.

    ``avoid`` is an agent it was just taken from: chosen again only when nobody else can take it.
    """
    if queue.strategy == "manual":
        return None
    eligible = eligible_agents(conversation, candidates, queue)
    if avoid is not None and len(eligible) > 1:
        eligible = [agent for agent in eligible if agent.id != avoid] or eligible
    if not eligible:
        return None
    if queue.strategy == "round_robin":
        return rotation.deal(queue.name, eligible).id
    return least_loaded(eligible).id
