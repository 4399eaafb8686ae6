"""Agents and their API tokens (shown once, stored hashed, revocable)."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from careline.models import Agent, ApiToken
from careline.services.views import NotFoundError
from careline.types import Role
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

TOKEN_PREFIX = "cl_"  # noqa: S105 - a marker, not a secret


def hash_token(token: str) -> str:
    """The SHA-256 hex digest stored in place of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_agent(
    runtime: Runtime,
    name: str,
    *,
    role: Role = Role.AGENT,
    email: str | None = None,
    initials: str | None = None,
    languages: Sequence[str] = (),
    channels: Sequence[str] = (),
    skills: Sequence[str] = (),
    queues: Sequence[str] = (),
    capacity: int = 10,
    is_bot: bool = False,
    working_hours: dict[str, Any] | None = None,
) -> Agent:
    """Create an agent; names are unique. ``working_hours`` has the shape of
    ``[business_hours]`` (days, timezone, holidays); without it the agent is always on shift."""
    name = name.strip()
    if not name:
        raise ValueError("an agent needs a name")
    if capacity < 0:
        raise ValueError("capacity cannot be negative")
    if working_hours:
        from careline.business_hours import BusinessHours
        from careline.config import ConfigError

        try:
            BusinessHours.from_config({"enabled": True, **working_hours})
        except (ConfigError, ValueError) as exc:
            raise ValueError(f"working hours: {exc}") from None
    with runtime.db.session() as session:
        if session.exec(select(Agent).where(Agent.name == name)).first() is not None:
            raise ValueError(f"an agent named {name!r} already exists")
        agent = Agent(
            name=name,
            role=role,
            email=email,
            initials=initials or "".join(part[0] for part in name.split()[:3]).upper(),
            languages=list(languages),
            channels=list(channels),
            skills=list(skills),
            queues=list(queues),
            capacity=capacity,
            is_bot=is_bot,
            working_hours=dict(working_hours or {}),
            created_at=runtime.now(),
        )
        session.add(agent)
        session.flush()
        return agent


def find_agent(session: Session, name_or_id: str | int) -> Agent:
    """An agent by id or by name."""
    agent: Agent | None
    if isinstance(name_or_id, int) or str(name_or_id).isdigit():
        agent = session.get(Agent, int(name_or_id))
    else:
        agent = session.exec(select(Agent).where(Agent.name == name_or_id)).first()
    if agent is None:
        raise NotFoundError(f"no agent {name_or_id!r}")
    return agent


def list_agents(runtime: Runtime, *, include_disabled: bool = False) -> list[Agent]:
    """Agents by name."""
    with runtime.db.session() as session:
        query = select(Agent).order_by(col(Agent.name))
        if not include_disabled:
            query = query.where(col(Agent.disabled).is_(False))
        return list(session.exec(query).all())


def set_disabled(runtime: Runtime, name_or_id: str | int, disabled: bool = True) -> Agent:
    """Disable (or enable) an agent; a disabled agent's tokens stop working."""
    with runtime.db.session() as session:
        agent = find_agent(session, name_or_id)
        agent.disabled = disabled
        session.add(agent)
        return agent


def create_token(
    runtime: Runtime,
    name_or_id: str | int,
    *,
    label: str | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; the clear text is returned once and only its hash is stored."""
    with runtime.db.session() as session:
        agent = find_agent(session, name_or_id)
        assert agent.id is not None
        clear = TOKEN_PREFIX + secrets.token_urlsafe(32)
        token = ApiToken(
            agent_id=agent.id,
            token_hash=hash_token(clear),
            prefix=clear[:10],
            label=label,
            created_at=runtime.now(),
            expires_at=expires_at,
        )
        session.add(token)
        session.flush()
        return token, clear


def revoke_token(runtime: Runtime, token_id_or_prefix: str | int) -> ApiToken:
    """Revoke a token by id or by its shown prefix."""
    with runtime.db.session() as session:
        query = select(ApiToken)
        if isinstance(token_id_or_prefix, int) or str(token_id_or_prefix).isdigit():
            query = query.where(ApiToken.id == int(token_id_or_prefix))
        else:
            query = query.where(ApiToken.prefix == str(token_id_or_prefix))
        token = session.exec(query).first()
        if token is None:
            raise NotFoundError(f"no token {token_id_or_prefix!r}")
        if token.revoked_at is None:
            token.revoked_at = runtime.now()
            session.add(token)
        return token


def authenticate(session: Session, clear: str, now: datetime) -> Agent | None:
    """The enabled agent a valid, unexpired, unrevoked token belongs to, else ``None``."""
    if not clear or not clear.startswith(TOKEN_PREFIX):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(clear))).first()
    if token is None or token.revoked_at is not None:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    agent = session.get(Agent, token.agent_id)
    if agent is None or agent.disabled:
        return None
    return agent


TOUCH_INTERVAL = timedelta(minutes=5)


def touch_token(runtime: Runtime, clear: str) -> None:
    """Record that a token was used (at most every few minutes: it is a write)."""
    now = runtime.now()
    with runtime.db.session() as session:
        token = session.exec(
            select(ApiToken).where(ApiToken.token_hash == hash_token(clear))
        ).first()
        if token is not None and (
            token.last_used_at is None or now - token.last_used_at > TOUCH_INTERVAL
        ):
            token.last_used_at = now
            session.add(token)
