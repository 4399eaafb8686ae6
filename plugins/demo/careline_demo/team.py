"""The demo's care team: agents with languages, channels, skills and queues, a supervisor and an
admin, created through the core's agent service."""

from __future__ import annotations

from typing import TYPE_CHECKING

from careline.services import agents
from careline.types import Role

from careline_demo.people import AGENTS, SUPERVISOR

if TYPE_CHECKING:
    from careline.runtime import Runtime


def create_team(runtime: Runtime) -> dict[str, int]:
    """Create the demo agents that do not exist yet; their ids by name."""
    existing = {
        agent.name: agent.id for agent in agents.list_agents(runtime, include_disabled=True)
    }
    for member in AGENTS:
        if member.name in existing:
            continue
        created = agents.add_agent(
            runtime,
            member.name,
            role=Role(member.role),
            email=f"{member.initials.lower()}@acme.example",
            initials=member.initials,
            languages=member.languages,
            channels=member.channels,
            skills=member.skills,
            queues=member.queues,
            capacity=member.capacity,
        )
        existing[member.name] = created.id
    return {name: agent_id for name, agent_id in existing.items() if agent_id is not None}


def login_token(runtime: Runtime, name: str = SUPERVISOR) -> str:
    """A new API token for ``name`` (the supervisor by default): shown once, stored hashed."""
    _, clear = agents.create_token(runtime, name, label="careline demo")
    return clear
