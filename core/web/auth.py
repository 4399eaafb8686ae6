"""Authentication and roles: bearer tokens for the API, a signed session cookie for the inbox.

Tokens are random, stored hashed and revocable (:mod:`careline.services.agents`). The browser
logs in with a token once and gets a signed, HttpOnly, SameSite=Lax session cookie; every form
carries a CSRF token bound to the session. Failed logins are throttled per client address.
"""

from __future__ import annotations

import hmac
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass

from careline.models import Agent, ApiToken
from careline.runtime import Runtime
from careline.services import agents as agent_service
from careline.types import Role
from careline.web.errors import ApiError
from sqlmodel import select
from starlette.requests import Request


@dataclass(frozen=True)
class Principal:
    """Who makes a request."""

    agent_id: int
    name: str
    role: Role
    initials: str | None = None

    def require(self, role: Role) -> None:
        """Raise 403 unless the principal has at least ``role``."""
        if self.role.rank < role.rank:
            raise ApiError(403, f"this needs the {role.value} role; you are {self.role.value}")


def _principal(agent: Agent) -> Principal:
    assert agent.id is not None
    return Principal(agent.id, agent.name, Role(agent.role), agent.initials)


def authenticate_token(runtime: Runtime, token: str) -> Principal | None:
    """The principal of a bearer token, or ``None``."""
    with runtime.db.read_session() as session:
        agent = agent_service.authenticate(session, token, runtime.now())
        principal = _principal(agent) if agent else None
        last_used = None
        if agent is not None:
            last_used = session.exec(
                select(ApiToken.last_used_at).where(
                    ApiToken.token_hash == agent_service.hash_token(token)
                )
            ).first()
    if principal is not None and (
        last_used is None or runtime.now() - last_used > agent_service.TOUCH_INTERVAL
    ):
        agent_service.touch_token(runtime, token)
    return principal


def principal_from_request(request: Request, runtime: Runtime) -> Principal | None:
    """From ``Authorization: Bearer`` or the session cookie."""
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        return authenticate_token(runtime, header[7:].strip())
    if "session" in request.scope:
        agent_id = request.session.get("agent_id")
        if agent_id is not None:
            with runtime.db.read_session() as session:
                agent = session.get(Agent, int(agent_id))
                if agent is not None and not agent.disabled:
                    return _principal(agent)
    return None


def require(request: Request, role: Role = Role.AGENT) -> Principal:
    """The request's principal with at least ``role``, else 401/403."""
    runtime: Runtime = request.app.state.runtime
    principal = principal_from_request(request, runtime)
    if principal is None:
        raise ApiError(401, "a valid bearer token (or a login session) is required")
    principal.require(role)
    return principal


def csrf_token(request: Request) -> str:
    """The session's CSRF token (created on first use)."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """Raise 403 unless ``submitted`` matches the session's CSRF token."""
    expected = request.session.get("csrf")
    if not expected or not submitted or not hmac.compare_digest(str(expected), submitted):
        raise ApiError(403, "the form expired or did not come from careline; reload and retry")


class LoginThrottle:
    """At most ``limit`` failed logins per client address per minute."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.failures: dict[str, deque[float]] = defaultdict(deque)

    def allowed(self, client: str) -> bool:
        """Whether this client may try again now."""
        window = self.failures[client]
        cutoff = time.monotonic() - 60
        while window and window[0] < cutoff:
            window.popleft()
        return len(window) < self.limit

    def failed(self, client: str) -> None:
        """Record a failed attempt."""
        self.failures[client].append(time.monotonic())
