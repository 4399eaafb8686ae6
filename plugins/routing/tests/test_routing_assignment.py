"""Assignment through ``careline_assign``: eligibility, capacity, strategies, fairness.

The properties simulate arrivals and completions in a plain loop: the simulation is the worker
(it re-asks for waiting conversations whenever an agent finishes one), the hook is the policy.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from careline.types import AgentView
from hypothesis import given, settings
from hypothesis import strategies as st

LANGUAGES = ["en", "de", "fr", "de-AT"]
CHANNELS = ["twitter", "facebook", "instagram"]
QUEUES = ["general", "billing", "senior"]
SKILLS = ["refunds", "legal", "tech"]


def assign(pm, settings, view, candidates):
    return pm.hook.careline_assign(conversation=view, candidates=candidates, settings=settings)


# --- examples ---------------------------------------------------------------------------------
def test_least_loaded_takes_the_emptiest_share_of_capacity(
    routing_pm, routing_settings, make_view, make_agent
):
    settings = routing_settings()
    agents = [
        make_agent(1, capacity=5, open_conversations=3),
        make_agent(2, capacity=20, open_conversations=5),
        make_agent(3, capacity=10, open_conversations=10),  # full
    ]
    assert assign(routing_pm, settings, make_view(queue="general"), agents) == 2


def test_nobody_unavailable_or_full_or_without_the_language_or_channel(
    routing_pm, routing_settings, make_view, make_agent
):
    settings = routing_settings()
    view = make_view(queue="general", language="de", channel="facebook")
    agents = [
        make_agent(1, available=False),
        make_agent(2, capacity=2, open_conversations=2),
        make_agent(3, languages=("en", "fr")),
        make_agent(4, channels=("twitter",)),
        make_agent(6, on_shift=False),
    ]
    assert assign(routing_pm, settings, view, agents) is None
    speaks_german = make_agent(5, languages=("de",), channels=("facebook", "twitter"))
    assert assign(routing_pm, settings, view, [*agents, speaks_german]) == 5


def test_agents_listing_no_languages_take_every_language(
    routing_pm, routing_settings, make_view, make_agent
):
    view = make_view(queue="general", language="ja")
    assert assign(routing_pm, routing_settings(), view, [make_agent(1)]) == 1


def test_queue_members_and_agent_queues(routing_pm, routing_settings, make_view, make_agent):
    settings = routing_settings(queues={"senior": {"members": ["Bea"]}})
    ann = make_agent(1, name="ann")
    bea = make_agent(2, name="bea", open_conversations=5)
    billing = make_agent(3, queues=("billing",))
    assert assign(routing_pm, settings, make_view(queue="senior"), [ann, bea, billing]) == 2
    assert assign(routing_pm, settings, make_view(queue="billing"), [billing]) == 3
    assert assign(routing_pm, settings, make_view(queue="general"), [billing]) is None
    strict = routing_settings(agents_without_queues_take_all=False)
    assert assign(routing_pm, strict, make_view(queue="general"), [ann]) is None


def test_required_skills(routing_pm, routing_settings, make_view, make_agent):
    settings = routing_settings(queues={"legal": {"required_skills": ["legal", "German"]}})
    view = make_view(queue="legal")
    agents = [make_agent(1, skills=("legal",)), make_agent(2, skills=("german", "legal", "tech"))]
    assert assign(routing_pm, settings, view, agents) == 2


def test_manual_queues_leave_conversations_for_agents_to_pull(
    routing_pm, routing_settings, make_view, make_agent
):
    settings = routing_settings(queues={"vip": {"strategy": "manual"}})
    assert assign(routing_pm, settings, make_view(queue="vip"), [make_agent(1)]) is None
    everything_manual = routing_settings(default_strategy="manual")
    assert (
        assign(routing_pm, everything_manual, make_view(queue="general"), [make_agent(1)]) is None
    )


def test_round_robin_rotates_per_queue_and_skips_full_agents(
    routing_pm, routing_settings, make_view, make_agent
):
    settings = routing_settings(default_strategy="round_robin")
    agents = [make_agent(3), make_agent(1), make_agent(2)]
    dealt = [assign(routing_pm, settings, make_view(queue="general"), agents) for _ in range(4)]
    assert dealt == [1, 2, 3, 1]
    # another queue has its own rotation
    assert assign(routing_pm, settings, make_view(queue="billing"), agents) == 1
    agents[2] = replace(agents[2], open_conversations=10)  # agent 2 is full
    assert assign(routing_pm, settings, make_view(queue="general"), agents) == 3


def test_unqueued_conversation_uses_the_default_queue_policy(
    routing_pm, routing_settings, make_view, make_agent
):
    settings = routing_settings(queues={"general": {"strategy": "manual"}})
    assert assign(routing_pm, settings, make_view(queue=None), [make_agent(1)]) is None


def test_disabled_routing_leaves_assignment_to_others(
    routing_pm, routing_settings, make_view, make_agent
):
    assert assign(routing_pm, routing_settings(enabled=False), make_view(), [make_agent(1)]) is None


# --- simulation -------------------------------------------------------------------------------
@dataclass
class Simulation:
    """Agents, their open conversations and a FIFO of waiting ones (the worker's view)."""

    agents: dict[int, AgentView]
    holding: dict[int, list[Any]] = field(default_factory=dict)
    waiting: list[Any] = field(default_factory=list)
    dealt: Counter[int] = field(default_factory=Counter)

    def candidates(self) -> list[AgentView]:
        return [
            replace(agent, open_conversations=len(self.holding.get(agent.id, [])))
            for agent in self.agents.values()
        ]


def oracle_can_take(agent: AgentView, view: Any, queue_config: dict[str, Any]) -> bool:
    """The documented eligibility rules, written independently of the plugin."""
    if not agent.available or agent.open_conversations >= agent.capacity:
        return False
    members = queue_config.get("members")
    if members is not None:
        if agent.name not in members:
            return False
    elif agent.queues and view.queue not in agent.queues:
        return False
    if view.language and agent.languages:
        base = view.language.split("-")[0]
        if not any(
            spoken in (view.language, base) or spoken.split("-")[0] == view.language
            for spoken in agent.languages
        ):
            return False
    if agent.channels and view.channel not in agent.channels:
        return False
    return set(queue_config.get("required_skills", [])) <= set(agent.skills)


agent_strategy = st.builds(
    dict,
    languages=st.lists(st.sampled_from(LANGUAGES), max_size=2, unique=True).map(tuple),
    channels=st.lists(st.sampled_from(CHANNELS), max_size=2, unique=True).map(tuple),
    skills=st.lists(st.sampled_from(SKILLS), max_size=2, unique=True).map(tuple),
    queues=st.lists(st.sampled_from(QUEUES), max_size=2, unique=True).map(tuple),
    capacity=st.integers(1, 3),
    available=st.booleans() | st.just(True),
)
queue_strategy = st.fixed_dictionaries(
    {"strategy": st.sampled_from(["round_robin", "least_loaded"])},
    optional={
        "required_skills": st.lists(st.sampled_from(SKILLS), max_size=1),
        "members": st.lists(st.sampled_from([f"agent{i}" for i in range(1, 7)]), max_size=3),
    },
)
conversation_strategy = st.fixed_dictionaries(
    {
        "queue": st.sampled_from(QUEUES),
        "language": st.none() | st.sampled_from(LANGUAGES),
        "channel": st.sampled_from(CHANNELS),
    }
)
steps = st.lists(
    st.one_of(conversation_strategy, st.integers(0, 5).map(lambda i: ("finish", i))),
    min_size=1,
    max_size=40,
)


@settings(max_examples=120, deadline=None)
@given(
    agents=st.lists(agent_strategy, min_size=1, max_size=6),
    queues=st.fixed_dictionaries({name: queue_strategy for name in QUEUES}),
    steps=steps,
)
def test_simulated_shift_respects_every_constraint(
    routing_pm, routing_settings, make_view, make_agent, agents, queues, steps
):
    settings = routing_settings(queues=queues)
    sim = Simulation({i: make_agent(i, **spec) for i, spec in enumerate(agents, start=1)})
    next_id = 1

    def offer(view: Any) -> bool:
        candidates = sim.candidates()
        chosen = assign(routing_pm, settings, view, candidates)
        able = [a for a in candidates if oracle_can_take(a, view, queues[view.queue])]
        if chosen is None:
            # left waiting only when truly nobody eligible had room
            assert able == [], (
                f"{view.queue} conversation left waiting although {able} could take it"
            )
            return False
        agent = next(a for a in candidates if a.id == chosen)
        assert agent in able, f"agent {agent} may not take {view}"
        sim.holding.setdefault(chosen, []).append(view)
        assert len(sim.holding[chosen]) <= agent.capacity
        return True

    for step in steps:
        if isinstance(step, tuple):
            held = sim.holding.get(step[1] % len(agents) + 1, [])
            if held:
                held.pop(0)
                # the worker's tick: waiting conversations are offered again, oldest first
                sim.waiting = [view for view in sim.waiting if not offer(view)]
            continue
        view = make_view(id=next_id, **step)
        next_id += 1
        if not offer(view):
            sim.waiting.append(view)

    # every conversation is held by exactly one agent or waits (exactly once)
    held_ids = [v.id for views in sim.holding.values() for v in views]
    waiting_ids = [v.id for v in sim.waiting]
    assert len(set(held_ids)) == len(held_ids)
    assert set(held_ids).isdisjoint(waiting_ids)


@settings(max_examples=80, deadline=None)
@given(
    agent_count=st.integers(1, 7),
    arrivals=st.integers(0, 60),
    away=st.lists(st.tuples(st.integers(0, 59), st.integers(1, 7)), max_size=10),
)
def test_round_robin_deals_fairly_among_agents_eligible_throughout(
    routing_pm, routing_settings, make_view, make_agent, agent_count, arrivals, away
):
    settings = routing_settings(default_strategy="round_robin")
    team = [make_agent(i, capacity=1000) for i in range(1, agent_count + 1)]
    away_at = {(step, agent_id) for step, agent_id in away if agent_id <= agent_count}
    always = {a.id for a in team} - {agent_id for _, agent_id in away_at}
    dealt: Counter[int] = Counter()
    for step in range(arrivals):
        present = [replace(a, available=(step, a.id) not in away_at) for a in team]
        chosen = assign(routing_pm, settings, make_view(id=step, queue="general"), present)
        if any(a.available for a in present):
            assert chosen is not None
            dealt[chosen] += 1
    counts = [dealt[agent_id] for agent_id in always]
    if counts:
        assert max(counts) - min(counts) <= 1, dealt


@settings(max_examples=40, deadline=None)
@given(
    sizes=st.lists(st.integers(1, 4), min_size=1, max_size=4),
    queue_choices=st.lists(st.sampled_from(QUEUES), max_size=30),
)
def test_round_robin_is_deterministic_for_the_same_call_sequence(
    routing_pm, routing_settings, make_view, make_agent, sizes, queue_choices
):
    team = [make_agent(i, capacity=size) for i, size in enumerate(sizes, start=1)]

    def run() -> list[int | None]:
        settings = routing_settings(default_strategy="round_robin")
        return [
            assign(routing_pm, settings, make_view(id=i, queue=queue), team)
            for i, queue in enumerate(queue_choices)
        ]

    assert run() == run()
