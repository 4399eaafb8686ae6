"""``/api/conversations``: the queue, the thread, and every action agents take."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from careline.models import Escalation, Event, Identity, Message, Note
from careline.send_policy import decide
from careline.services import assignment, conversations, escalations, replies
from careline.services.views import conversation_view, get_conversation
from careline.types import ConversationStatus, EscalationRequest, Priority, Visibility
from careline.web.api.registry import ApiCall, ApiRegistry
from careline.web.api.serializers import (
    conversation_json,
    decision_json,
    escalation_json,
    finding_json,
    iso,
    message_json,
    note_json,
)
from careline.web.errors import ApiError
from pydantic import BaseModel, ConfigDict, Field
from sqlmodel import col, select

registry = ApiRegistry()
LIST_FILTERS = {
    "status": "Comma list of statuses (new, open, pending, escalated, resolved, closed, ignored).",
    "queue": "Queue name.",
    "assignee": "Agent id, or `me`, or `none` for unassigned.",
    "channel": "Channel name.",
    "priority": "low, normal, high or urgent.",
    "cursor": "The `next_cursor` of the previous page.",
    "limit": "Page size, 1–200 (default 50).",
    "order": "`updated` (newest first, default) or `due` (first response due first).",
}


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReplyBody(_Body):
    """A reply to send (or only to check, with ``preview``)."""

    text: str = Field(min_length=1, max_length=20_000)
    visibility: Literal["public", "private"] | None = None
    preview: bool = False
    template_id: str | None = None


class AssignBody(_Body):
    """Who takes the conversation (``null`` unassigns)."""

    agent_id: int | None


class EscalateBody(_Body):
    """A manual escalation."""

    target: str = Field(min_length=1, max_length=80)
    reason: str = Field(min_length=1, max_length=2000)


class IgnoreBody(_Body):
    """Why no reply is needed."""

    reason: str = Field(min_length=1, max_length=500)


class NoteBody(_Body):
    """An internal note."""

    text: str = Field(min_length=1, max_length=20_000)


class TagsBody(_Body):
    """Tags to add and remove."""

    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


class PriorityBody(_Body):
    """The new priority."""

    priority: Priority


class CsatBody(_Body):
    """A customer's satisfaction score."""

    score: int = Field(ge=1, le=5)
    comment: str | None = None


class FollowUpBody(_Body):
    """A dated promise to come back to the customer."""

    due_at: datetime
    note: str = Field(min_length=1, max_length=2000)


class RenderBody(_Body):
    """Which template to render for the conversation."""

    template_id: str


@registry.endpoint("GET", "/api/conversations", summary="List conversations", query=LIST_FILTERS)
def list_conversations(call: ApiCall) -> dict[str, Any]:
    """Conversations matching the filters, newest first, with cursor pagination."""
    query = call.query
    statuses = [s for s in query.get("status", "").split(",") if s]
    for status in statuses:
        if status not in {s.value for s in ConversationStatus}:
            raise ApiError(400, f"unknown status {status!r}")
    assignee = query.get("assignee")
    assignee_id = None
    if assignee == "me":
        assignee_id = call.agent_id
    elif assignee and assignee != "none":
        assignee_id = call.query_int("assignee")
    if query.get("priority") and query["priority"] not in {p.value for p in Priority}:
        raise ApiError(400, f"unknown priority {query['priority']!r}")
    order = query.get("order", "updated")
    if order not in ("updated", "due"):
        raise ApiError(400, "order must be updated or due")
    limit = call.query_int("limit", 50, low=1, high=200) or 50
    filters = conversations.ConversationFilter(
        status=statuses,
        queue=query.get("queue"),
        assignee_id=assignee_id,
        unassigned=assignee == "none",
        channel=query.get("channel"),
        priority=query.get("priority"),
    )
    with call.runtime.db.read_session() as session:
        rows = conversations.list_conversations(
            session, filters, limit=limit + 1, before_id=call.query_int("cursor"), order=order
        )
    page = rows[:limit]
    return {
        "items": [conversation_json(row) for row in page],
        "next_cursor": page[-1].id if len(rows) > limit and order == "updated" else None,
    }


@registry.endpoint("GET", "/api/conversations/{conversation_id:int}", summary="A conversation")
def conversation_detail(call: ApiCall) -> dict[str, Any]:
    """The thread, the customer's history on every channel, events, SLA, window, escalations."""
    runtime = call.runtime
    conversation_id = call.path["conversation_id"]
    with runtime.db.read_session() as session:
        conversation = get_conversation(session, conversation_id)
        messages = session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
        history = conversations.list_conversations(
            session, conversations.ConversationFilter(contact_id=conversation.contact_id), limit=20
        )
        identities = session.exec(
            select(Identity).where(Identity.contact_id == conversation.contact_id)
        ).all()
        event_rows = session.exec(
            select(Event).where(Event.conversation_id == conversation_id).order_by(col(Event.id))
        ).all()
        notes = session.exec(select(Note).where(Note.conversation_id == conversation_id)).all()
        escalation_rows = session.exec(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).all()
        window = None
        channel = runtime.channels.get(conversation.channel)
        if channel is not None and channel.manifest.window is not None:
            window = decision_json(
                decide(
                    channel.manifest,
                    visibility=Visibility.PRIVATE,
                    now=runtime.now(),
                    last_inbound_at=conversation.last_inbound_at,
                )
            )
        return {
            **conversation_json(conversation),
            "messages": [message_json(m) for m in messages],
            "contact": {
                "id": conversation.contact_id,
                "identities": [
                    {
                        "channel": i.channel,
                        "handle": i.handle,
                        "name": i.display_name,
                        "followers": i.followers,
                        "verified": i.verified,
                    }
                    for i in identities
                ],
                "conversations": [
                    {
                        "id": c.id,
                        "channel": c.channel,
                        "status": c.status,
                        "created_at": iso(c.created_at),
                        "topic": c.topic,
                    }
                    for c in history
                    if c.id != conversation_id
                ],
            },
            "events": [
                {"type": e.type, "at": iso(e.at), "actor": e.actor, "data": e.data}
                for e in event_rows
            ],
            "notes": [note_json(n) for n in notes],
            "escalations": [escalation_json(e) for e in escalation_rows],
            "messaging_window": window,
        }


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/reply",
    summary="Reply (or preview a reply)",
    body=ReplyBody,
)
def reply(call: ApiCall) -> Any:
    """Check a reply against the guidelines and the send policy, then queue and send it.

    Answers 422 with the findings when a `block` finding or the send policy stops it, 202 when
    it waits for a supervisor's approval.
    """
    body: ReplyBody = call.body
    visibility = Visibility(body.visibility) if body.visibility else None
    conversation_id = call.path["conversation_id"]
    if body.preview:
        outcome = replies.preview(
            call.runtime, conversation_id, body.text, agent_id=call.agent_id, visibility=visibility
        )
    else:
        outcome = replies.reply(
            call.runtime,
            conversation_id,
            body.text,
            agent_id=call.agent_id,
            visibility=visibility,
            template_id=body.template_id,
        )
    payload = {
        "outcome": outcome.status,
        "reason": outcome.reason,
        "findings": [finding_json(f) for f in outcome.findings],
        "send_decision": decision_json(outcome.decision),
        "message_id": outcome.message_id,
        "outbox_id": outcome.outbox_id,
    }
    if outcome.status in (replies.BLOCKED, replies.REFUSED):
        raise ApiError(422, outcome.reason, **payload)
    from starlette.responses import JSONResponse

    code = 202 if outcome.status in (replies.HELD, replies.QUEUED) and not body.preview else 200
    return JSONResponse(payload, status_code=code)


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/assign",
    summary="Assign or unassign",
    body=AssignBody,
)
def assign(call: ApiCall) -> dict[str, Any]:
    """Give the conversation to an agent (`agent_id: null` unassigns)."""
    with call.runtime.db.session() as session:
        conversation = get_conversation(session, call.path["conversation_id"])
        assignment.assign(
            call.runtime, session, conversation, call.body.agent_id, actor_id=call.agent_id
        )
        return conversation_json(conversation)


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/escalate",
    summary="Escalate by hand",
    body=EscalateBody,
    status=201,
)
def escalate(call: ApiCall) -> dict[str, Any]:
    """Open an escalation to a team (legal, PR, HR, supervisor, …)."""
    body: EscalateBody = call.body
    runtime = call.runtime
    with runtime.db.session() as session:
        conversation = get_conversation(session, call.path["conversation_id"])
        request = EscalationRequest(
            target=body.target,
            reason=body.reason,
            trigger=f"manual:{body.target}:{runtime.now().isoformat()}",
        )
        opened = escalations.apply_requests(
            runtime, session, conversation, [request], actor=f"agent:{call.agent_id}"
        )
        return escalation_json(opened[0])


def _status_action(name: str, summary: str) -> None:
    def action(call: ApiCall) -> dict[str, Any]:
        functions = {
            "resolve": conversations.resolve,
            "reopen": conversations.reopen,
            "pending": conversations.set_pending,
        }
        conversation = functions[name](
            call.runtime, call.path["conversation_id"], agent_id=call.agent_id
        )
        return conversation_json(conversation)

    action.__name__ = f"{name}_conversation"
    action.__doc__ = summary
    registry.endpoint(
        "POST", f"/api/conversations/{{conversation_id:int}}/{name}", summary=summary
    )(action)


_status_action("resolve", "Mark the conversation resolved.")
_status_action("reopen", "Reopen a resolved, closed or ignored conversation.")
_status_action("pending", "Mark the conversation as waiting on the customer.")


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/ignore",
    summary="No reply needed",
    body=IgnoreBody,
)
def ignore(call: ApiCall) -> dict[str, Any]:
    """Mark "no reply needed" (spam, retweet, plain thanks) with a reason."""
    conversation = conversations.ignore(
        call.runtime, call.path["conversation_id"], reason=call.body.reason, agent_id=call.agent_id
    )
    return conversation_json(conversation)


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/notes",
    summary="Add an internal note",
    body=NoteBody,
    status=201,
)
def add_note(call: ApiCall) -> dict[str, Any]:
    """Add an internal note (never sent to the customer)."""
    note = conversations.add_note(
        call.runtime, call.path["conversation_id"], call.body.text, agent_id=call.agent_id
    )
    return note_json(note)


@registry.endpoint(
    "POST", "/api/conversations/{conversation_id:int}/tags", summary="Change tags", body=TagsBody
)
def tags(call: ApiCall) -> dict[str, Any]:
    """Add and remove tags."""
    conversation = conversations.set_tags(
        call.runtime,
        call.path["conversation_id"],
        add=call.body.add,
        remove=call.body.remove,
        agent_id=call.agent_id,
    )
    return conversation_json(conversation)


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/priority",
    summary="Change the priority",
    body=PriorityBody,
)
def priority(call: ApiCall) -> dict[str, Any]:
    """Change the priority; SLA due times are recomputed."""
    conversation = conversations.set_priority(
        call.runtime, call.path["conversation_id"], call.body.priority, agent_id=call.agent_id
    )
    return conversation_json(conversation)


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/csat",
    summary="Record CSAT",
    body=CsatBody,
    status=201,
)
def csat(call: ApiCall) -> dict[str, Any]:
    """Record the customer's satisfaction score (1–5), e.g. from a survey integration."""
    response = conversations.record_csat(
        call.runtime, call.path["conversation_id"], call.body.score, comment=call.body.comment
    )
    return {"id": response.id, "score": response.score}


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/follow-ups",
    summary="Add a follow-up",
    body=FollowUpBody,
    status=201,
)
def follow_up(call: ApiCall) -> dict[str, Any]:
    """Promise to come back to the customer; the conversation reopens when it is due."""
    from careline.clock import ensure_utc

    created = conversations.add_follow_up(
        call.runtime,
        call.path["conversation_id"],
        ensure_utc(call.body.due_at),
        call.body.note,
        agent_id=call.agent_id,
    )
    return {"id": created.id, "due_at": iso(created.due_at), "note": created.note}


@registry.endpoint(
    "GET",
    "/api/conversations/{conversation_id:int}/templates",
    summary="Reply templates for the conversation",
)
def templates(call: ApiCall) -> dict[str, Any]:
    """The canned replies that fit the conversation (topic, language, channel)."""
    runtime = call.runtime
    with runtime.db.read_session() as session:
        view = conversation_view(session, call.path["conversation_id"], with_messages=False)
    found = [
        t
        for group in runtime.pm.hook.careline_reply_templates(
            conversation=view, settings=runtime.settings
        )
        for t in (group or [])
    ]
    return {
        "items": [
            {"id": t.id, "title": t.title, "topics": list(t.topics), "language": t.language}
            for t in found
        ]
    }


@registry.endpoint(
    "POST",
    "/api/conversations/{conversation_id:int}/templates/render",
    summary="Render a reply template",
    body=RenderBody,
)
def render_template(call: ApiCall) -> dict[str, Any]:
    """Render a template with the conversation's data (then check it like any draft)."""
    from careline.models import Agent
    from careline.services.views import agent_view

    runtime = call.runtime
    with runtime.db.read_session() as session:
        view = conversation_view(session, call.path["conversation_id"])
        agent = session.get(Agent, call.agent_id) if call.agent_id else None
        agent_info = agent_view(agent) if agent else None
    found = {
        t.id: t
        for group in runtime.pm.hook.careline_reply_templates(
            conversation=view, settings=runtime.settings
        )
        for t in (group or [])
    }
    template = found.get(call.body.template_id)
    if template is None:
        raise ApiError(404, f"no template {call.body.template_id!r} fits this conversation")
    text = runtime.pm.hook.careline_render_template(
        template=template, conversation=view, agent=agent_info, settings=runtime.settings
    )
    if text is None:
        raise ApiError(409, "no installed plugin renders templates")
    return {"template_id": template.id, "text": text}
