"""``/api``: health, the caller, plugins, agents and tokens, approvals, escalations, contacts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from careline import __version__
from careline.clock import ensure_utc
from careline.models import Escalation
from careline.plugins import list_plugins
from careline.services import agents, contacts, escalations, replies
from careline.types import Role
from careline.web.api.registry import ApiCall, ApiRegistry
from careline.web.api.serializers import escalation_json, iso
from careline.web.errors import ApiError
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

registry = ApiRegistry()


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AgentBody(_Body):
    """A new agent."""

    name: str = Field(min_length=1, max_length=120)
    role: Role = Role.AGENT
    email: str | None = None
    initials: str | None = Field(default=None, max_length=8)
    languages: list[str] = Field(default_factory=list)
    channels: list[str] = Field(default_factory=list)
    skills: list[str] = Field(default_factory=list)
    queues: list[str] = Field(default_factory=list)
    capacity: int = Field(default=10, ge=0, le=1000)
    bot: bool = False
    working_hours: dict[str, Any] = Field(default_factory=dict)


class TokenBody(_Body):
    """A new API token."""

    label: str | None = None
    expires_at: datetime | None = None


class ReviewBody(_Body):
    """A supervisor's comment on a held reply."""

    comment: str | None = Field(default=None, max_length=2000)


class MergeBody(_Body):
    """The contact to merge into."""

    into: int


def agent_json(agent: Any) -> dict[str, Any]:
    """An agent without secrets."""
    return {
        "id": agent.id,
        "name": agent.name,
        "role": agent.role,
        "email": agent.email,
        "initials": agent.initials,
        "languages": agent.languages,
        "channels": agent.channels,
        "skills": agent.skills,
        "queues": agent.queues,
        "capacity": agent.capacity,
        "available": agent.available,
        "disabled": agent.disabled,
        "bot": agent.is_bot,
        "working_hours": agent.working_hours,
    }


@registry.endpoint("GET", "/api/health", summary="Liveness", role=None, tag="meta")
def health(call: ApiCall) -> dict[str, Any]:
    """The process answers (no database access)."""
    return {"status": "ok", "version": __version__}


@registry.endpoint("GET", "/api/ready", summary="Readiness", role=None, tag="meta")
def ready(call: ApiCall) -> Any:
    """The database answers; 503 otherwise."""
    try:
        with call.runtime.db.engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError as exc:
        raise ApiError(503, f"the database does not answer: {type(exc).__name__}") from None
    return {"status": "ready"}


@registry.endpoint("GET", "/api/me", summary="The calling agent", tag="meta")
def me(call: ApiCall) -> dict[str, Any]:
    """Who the token or session belongs to."""
    assert call.principal is not None
    return {
        "id": call.principal.agent_id,
        "name": call.principal.name,
        "role": call.principal.role.value,
    }


@registry.endpoint("GET", "/api/plugins", summary="Installed plugins", tag="meta")
def plugins(call: ApiCall) -> dict[str, Any]:
    """Every loaded plugin with version and hooks."""
    return {
        "items": [
            {
                "name": p.name,
                "distribution": p.distribution,
                "version": p.version,
                "hooks": list(p.hooks),
            }
            for p in list_plugins(call.runtime.pm)
        ]
    }


@registry.endpoint("GET", "/api/agents", summary="List agents", role=Role.SUPERVISOR, tag="agents")
def list_agents(call: ApiCall) -> dict[str, Any]:
    """Every agent (disabled ones with `?all=1`)."""
    rows = agents.list_agents(call.runtime, include_disabled=call.query.get("all") == "1")
    return {"items": [agent_json(a) for a in rows]}


@registry.endpoint(
    "POST",
    "/api/agents",
    summary="Add an agent",
    role=Role.ADMIN,
    body=AgentBody,
    status=201,
    tag="agents",
)
def create_agent(call: ApiCall) -> dict[str, Any]:
    """Create an agent."""
    body: AgentBody = call.body
    agent = agents.add_agent(
        call.runtime,
        body.name,
        role=body.role,
        email=body.email,
        initials=body.initials,
        languages=body.languages,
        channels=body.channels,
        skills=body.skills,
        queues=body.queues,
        capacity=body.capacity,
        is_bot=body.bot,
        working_hours=body.working_hours,
    )
    return agent_json(agent)


@registry.endpoint(
    "POST",
    "/api/agents/{agent_id:int}/disable",
    summary="Disable an agent",
    role=Role.ADMIN,
    tag="agents",
)
def disable_agent(call: ApiCall) -> dict[str, Any]:
    """Disable an agent; their tokens stop working at once."""
    return agent_json(agents.set_disabled(call.runtime, call.path["agent_id"], True))


@registry.endpoint(
    "POST",
    "/api/agents/{agent_id:int}/tokens",
    summary="Create a token",
    role=Role.ADMIN,
    body=TokenBody,
    status=201,
    tag="agents",
)
def create_token(call: ApiCall) -> dict[str, Any]:
    """Create an API token; the clear text is in this response only."""
    body: TokenBody = call.body
    expires = ensure_utc(body.expires_at) if body.expires_at else None
    row, clear = agents.create_token(
        call.runtime, call.path["agent_id"], label=body.label, expires_at=expires
    )
    return {"id": row.id, "prefix": row.prefix, "token": clear, "expires_at": iso(row.expires_at)}


@registry.endpoint(
    "DELETE", "/api/tokens/{token_id:int}", summary="Revoke a token", role=Role.ADMIN, tag="agents"
)
def revoke_token(call: ApiCall) -> dict[str, Any]:
    """Revoke a token."""
    row = agents.revoke_token(call.runtime, call.path["token_id"])
    return {"id": row.id, "revoked_at": iso(row.revoked_at)}


@registry.endpoint(
    "GET",
    "/api/approvals",
    summary="Replies waiting for approval",
    role=Role.SUPERVISOR,
    tag="approvals",
)
def approvals(call: ApiCall) -> dict[str, Any]:
    """Held replies, oldest first, with the findings that held them."""
    return {
        "items": [
            {
                "id": item.id,
                "conversation_id": item.conversation_id,
                "text": item.payload["text"],
                "findings": item.findings,
                "created_at": iso(item.created_at),
            }
            for item in replies.pending_approvals(call.runtime)
        ]
    }


def _review(approve: bool) -> Any:
    def review(call: ApiCall) -> dict[str, Any]:
        assert call.principal is not None
        comment = call.body.comment if call.body else None
        if not approve and not comment:
            raise ApiError(422, "say what the agent should change (comment)")
        outcome = replies.review(
            call.runtime,
            call.path["outbox_id"],
            supervisor_id=call.principal.agent_id,
            approve=approve,
            comment=comment,
        )
        return {"outcome": outcome.status, "message_id": outcome.message_id}

    review.__name__ = "approve_reply" if approve else "reject_reply"
    review.__doc__ = (
        "Approve a held reply: it is queued and sent."
        if approve
        else "Reject a held reply: back to the agent with the comment."
    )
    return review


registry.endpoint(
    "POST",
    "/api/approvals/{outbox_id:int}/approve",
    summary="Approve a reply",
    role=Role.SUPERVISOR,
    body=ReviewBody,
    tag="approvals",
)(_review(True))
registry.endpoint(
    "POST",
    "/api/approvals/{outbox_id:int}/reject",
    summary="Reject a reply",
    role=Role.SUPERVISOR,
    body=ReviewBody,
    tag="approvals",
)(_review(False))


@registry.endpoint(
    "GET",
    "/api/escalations",
    summary="List escalations",
    tag="escalations",
    query={"status": "open, acknowledged or resolved"},
)
def list_escalations(call: ApiCall) -> dict[str, Any]:
    """Escalations, newest first."""
    with call.runtime.db.read_session() as session:
        query = select(Escalation).order_by(col(Escalation.id).desc()).limit(200)
        if call.query.get("status"):
            query = query.where(Escalation.status == call.query["status"])
        return {"items": [escalation_json(e) for e in session.exec(query).all()]}


def _escalation_action(status: str) -> Any:
    def action(call: ApiCall) -> dict[str, Any]:
        with call.runtime.db.session() as session:
            row = escalations.set_status(
                call.runtime, session, call.path["escalation_id"], status, call.agent_id
            )
            return escalation_json(row)

    action.__name__ = f"escalation_{status}"
    action.__doc__ = f"Mark the escalation {status}."
    return action


registry.endpoint(
    "POST",
    "/api/escalations/{escalation_id:int}/acknowledge",
    summary="Acknowledge an escalation",
    tag="escalations",
)(_escalation_action("acknowledged"))
registry.endpoint(
    "POST",
    "/api/escalations/{escalation_id:int}/resolve",
    summary="Resolve an escalation",
    tag="escalations",
)(_escalation_action("resolved"))


@registry.endpoint(
    "GET", "/api/contacts/{contact_id:int}", summary="A contact (customer 360)", tag="contacts"
)
def contact(call: ApiCall) -> dict[str, Any]:
    """A contact with identities on every channel and their conversations."""
    return contacts.contact_summary(call.runtime, call.path["contact_id"])


@registry.endpoint(
    "POST",
    "/api/contacts/{contact_id:int}/merge",
    summary="Merge contacts",
    role=Role.SUPERVISOR,
    body=MergeBody,
    tag="contacts",
)
def merge(call: ApiCall) -> dict[str, Any]:
    """Merge this contact into another (identities and conversations move); undoable."""
    event_id = contacts.merge(
        call.runtime, call.path["contact_id"], call.body.into, agent_id=call.agent_id
    )
    return {"merged": call.path["contact_id"], "into": call.body.into, "event_id": event_id}


@registry.endpoint(
    "POST",
    "/api/contacts/{contact_id:int}/unmerge",
    summary="Undo a merge",
    role=Role.SUPERVISOR,
    tag="contacts",
)
def unmerge(call: ApiCall) -> dict[str, Any]:
    """Undo the merge of this contact."""
    contacts.undo_merge(call.runtime, call.path["contact_id"], agent_id=call.agent_id)
    return contacts.contact_summary(call.runtime, call.path["contact_id"])
