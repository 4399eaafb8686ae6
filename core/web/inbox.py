"""The agent inbox: server-rendered pages (Jinja2, autoescaped) that work without JavaScript.

Every customer message is hostile input: templates never mark user text safe, links in messages
are not rendered as links, and every form carries the session's CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from careline.models import Agent, Conversation, Escalation, Event, Identity, Message, Note
from careline.runtime import Runtime
from careline.send_policy import decide
from careline.services import assignment, conversations, escalations, replies
from careline.services.views import NotFoundError, conversation_view, get_conversation
from careline.types import EscalationRequest, Role, Visibility
from careline.web.auth import (
    LoginThrottle,
    Principal,
    authenticate_token,
    check_csrf,
    csrf_token,
    principal_from_request,
)
from careline.web.errors import ApiError
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy import func
from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

__all__ = ["LoginThrottle", "error_page", "routes"]

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
ACTIVE = [s.value for s in assignment.ACTIVE_STATUSES]


def _countdown(due: datetime | None, now: datetime) -> dict[str, Any] | None:
    if due is None:
        return None
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    text = f"{minutes // 60}h {minutes % 60:02d}m" if minutes >= 60 else f"{minutes}m"
    return {
        "overdue": seconds < 0,
        "text": ("overdue " if seconds < 0 else "") + text,
        "iso": due.isoformat(),
    }


TEMPLATES.globals["countdown"] = _countdown


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """Render a page with the session's principal and CSRF token."""
    runtime: Runtime = request.app.state.runtime
    html = TEMPLATES.get_template(template).render(
        request=request,
        csrf=csrf_token(request),
        me=context.pop("me", None),
        instance=runtime.settings.instance.name,
        now=runtime.now(),
        **context,
    )
    return HTMLResponse(html, status_code=status)


def error_page(request: Request, status: int, message: str) -> Response:
    """A plain error page."""
    return render(request, "error.html", status=status, message=message)


def _me(request: Request) -> Principal | None:
    return principal_from_request(request, request.app.state.runtime)


def _login_redirect(request: Request) -> Response:
    return RedirectResponse(f"/login?next={request.url.path}", status_code=303)


async def login_page(request: Request) -> Response:
    """The login form: an agent pastes their API token once."""
    return render(request, "login.html", next=request.query_params.get("next", "/inbox"))


async def login(request: Request) -> Response:
    """Check the token, throttle failures, start a session."""
    form = await request.form()
    throttle: LoginThrottle = request.app.state.login_throttle
    client = request.client.host if request.client else "unknown"
    if not throttle.allowed(client):
        return render(request, "login.html", status=429, error="Too many attempts; wait a minute.")
    try:
        check_csrf(request, str(form.get("csrf", "")))
    except ApiError as exc:
        return render(request, "login.html", status=403, error=exc.detail)
    runtime: Runtime = request.app.state.runtime
    principal = await run_in_threadpool(authenticate_token, runtime, str(form.get("token", "")))
    if principal is None:
        throttle.failed(client)
        return render(request, "login.html", status=401, error="That token is not valid.")
    request.session.clear()
    request.session["agent_id"] = principal.agent_id
    target = str(form.get("next") or "/inbox")
    if not target.startswith("/") or target.startswith("//"):
        target = "/inbox"
    return RedirectResponse(target, status_code=303)


async def logout(request: Request) -> Response:
    """End the session."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _queue_counts(session: Session) -> list[tuple[str, int]]:
    rows = session.exec(
        select(Conversation.queue, func.count())
        .where(col(Conversation.status).in_(ACTIVE))
        .group_by(col(Conversation.queue))
    ).all()
    return sorted(((queue or "(none)", int(count)) for queue, count in rows))


async def inbox_page(request: Request) -> Response:
    """Queues with counts and the conversation list with filters and SLA countdowns."""
    me = _me(request)
    if me is None:
        return _login_redirect(request)
    runtime: Runtime = request.app.state.runtime
    query = request.query_params
    status = query.get("status") or "active"

    def load() -> dict[str, Any]:
        with runtime.db.read_session() as session:
            filters = conversations.ConversationFilter(
                status=ACTIVE if status == "active" else [status],
                queue=query.get("queue") or None,
                channel=query.get("channel") or None,
                assignee_id=me.agent_id if query.get("mine") else None,
            )
            rows = conversations.list_conversations(session, filters, limit=100)
            previews = _previews(session, [r.id for r in rows if r.id is not None])
            return {
                "rows": rows,
                "queues": _queue_counts(session),
                "previews": previews,
                "channels": sorted(runtime.channels),
            }

    data = await run_in_threadpool(load)
    return render(request, "inbox.html", me=me, status_filter=status, filters=query, **data)


def _previews(session: Session, ids: list[int]) -> dict[int, str]:
    if not ids:
        return {}
    latest = (
        select(Message.conversation_id, func.max(Message.id).label("last"))
        .where(col(Message.conversation_id).in_(ids))
        .where(Message.direction == "in")
        .group_by(col(Message.conversation_id))
        .subquery()
    )
    rows = session.exec(
        select(Message.conversation_id, Message.text).join(latest, col(Message.id) == latest.c.last)
    ).all()
    return {conversation_id: text[:140] for conversation_id, text in rows}


async def conversation_page(request: Request) -> Response:
    """The thread, the customer 360, the reply box with findings, window state and actions."""
    me = _me(request)
    if me is None:
        return _login_redirect(request)
    runtime: Runtime = request.app.state.runtime
    conversation_id = int(request.path_params["conversation_id"])
    try:
        data = await run_in_threadpool(_conversation_data, runtime, conversation_id)
    except NotFoundError:
        return error_page(request, 404, f"There is no conversation #{conversation_id}.")
    flash = request.session.pop("flash", None)
    return render(request, "conversation.html", me=me, flash=flash, **data)


def _conversation_data(runtime: Runtime, conversation_id: int) -> dict[str, Any]:
    with runtime.db.read_session() as session:
        conversation = get_conversation(session, conversation_id)
        messages = session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all()
        identities = session.exec(
            select(Identity).where(Identity.contact_id == conversation.contact_id)
        ).all()
        history = [
            c
            for c in conversations.list_conversations(
                session,
                conversations.ConversationFilter(contact_id=conversation.contact_id),
                limit=20,
            )
            if c.id != conversation_id
        ]
        notes = session.exec(select(Note).where(Note.conversation_id == conversation_id)).all()
        found_escalations = session.exec(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).all()
        event_rows = session.exec(
            select(Event).where(Event.conversation_id == conversation_id).order_by(col(Event.id))
        ).all()
        agents = session.exec(select(Agent).where(col(Agent.disabled).is_(False))).all()
        view = conversation_view(session, conversation, with_messages=False)
    templates = [
        t
        for group in runtime.pm.hook.careline_reply_templates(
            conversation=view, settings=runtime.settings
        )
        for t in (group or [])
    ]
    channel = runtime.channels.get(conversation.channel)
    window = None
    if channel is not None and channel.manifest.window is not None:
        window = decide(
            channel.manifest,
            visibility=Visibility.PRIVATE,
            now=runtime.now(),
            last_inbound_at=conversation.last_inbound_at,
        )
    return {
        "c": conversation,
        "messages": messages,
        "identities": identities,
        "history": history,
        "notes": notes,
        "escalations": found_escalations,
        "events": event_rows,
        "agents": agents,
        "templates": templates,
        "window": window,
        "manifest": channel.manifest if channel else None,
        "agent_names": {a.id: a.name for a in agents},
    }


async def reply_action(request: Request) -> Response:
    """Preview (findings shown before sending) or send a reply from the reply box."""
    me = _me(request)
    if me is None:
        return _login_redirect(request)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    runtime: Runtime = request.app.state.runtime
    conversation_id = int(request.path_params["conversation_id"])
    text = str(form.get("text", ""))
    visibility = Visibility.PRIVATE if form.get("visibility") == "private" else None
    if form.get("template") and not text.strip():
        text = await run_in_threadpool(
            _render_template, runtime, conversation_id, str(form["template"]), me.agent_id
        )
        request.session["flash"] = {
            "kind": "info",
            "text": "Template filled in: edit it, then send.",
            "draft": text,
        }
        return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)
    action = replies.preview if form.get("action") == "preview" else replies.reply
    try:
        outcome = await run_in_threadpool(
            lambda: action(
                runtime, conversation_id, text, agent_id=me.agent_id, visibility=visibility
            )
        )
    except ValueError as exc:
        request.session["flash"] = {"kind": "error", "text": str(exc), "draft": text}
        return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)
    keep_draft = (
        outcome.status in (replies.BLOCKED, replies.REFUSED) or form.get("action") == "preview"
    )
    request.session["flash"] = {
        "kind": "error"
        if outcome.status in (replies.BLOCKED, replies.REFUSED, replies.FAILED)
        else "ok",
        "text": f"{outcome.status.replace('_', ' ')}: {outcome.reason}",
        "findings": [
            {"rule": f.rule, "severity": f.severity.value, "message": f.message}
            for f in outcome.findings
        ],
        "draft": text if keep_draft else "",
    }
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


def _render_template(
    runtime: Runtime, conversation_id: int, template_id: str, agent_id: int
) -> str:
    from careline.services.views import agent_view

    with runtime.db.read_session() as session:
        view = conversation_view(session, conversation_id)
        agent = session.get(Agent, agent_id)
        agent_info = agent_view(agent) if agent else None
    found = {
        t.id: t
        for group in runtime.pm.hook.careline_reply_templates(
            conversation=view, settings=runtime.settings
        )
        for t in (group or [])
    }
    if template_id not in found:
        return ""
    text = runtime.pm.hook.careline_render_template(
        template=found[template_id], conversation=view, agent=agent_info, settings=runtime.settings
    )
    return str(text or "")


async def conversation_action(request: Request) -> Response:
    """Assign, resolve, reopen, ignore, escalate or add a note."""
    me = _me(request)
    if me is None:
        return _login_redirect(request)
    form = await request.form()
    check_csrf(request, str(form.get("csrf", "")))
    runtime: Runtime = request.app.state.runtime
    conversation_id = int(request.path_params["conversation_id"])
    action = str(form.get("action", ""))

    def run() -> str:
        if action == "take":
            with runtime.db.session() as session:
                conversation = get_conversation(session, conversation_id)
                assignment.assign(runtime, session, conversation, me.agent_id, actor_id=me.agent_id)
            return "Assigned to you."
        if action == "assign":
            agent_id = int(str(form.get("agent_id") or 0)) or None
            with runtime.db.session() as session:
                conversation = get_conversation(session, conversation_id)
                assignment.assign(runtime, session, conversation, agent_id, actor_id=me.agent_id)
            return "Assignment changed."
        if action == "resolve":
            conversations.resolve(runtime, conversation_id, agent_id=me.agent_id)
            return "Resolved."
        if action == "reopen":
            conversations.reopen(runtime, conversation_id, agent_id=me.agent_id)
            return "Reopened."
        if action == "ignore":
            conversations.ignore(
                runtime, conversation_id, reason=str(form.get("reason", "")), agent_id=me.agent_id
            )
            return "Marked as no reply needed."
        if action == "note":
            conversations.add_note(
                runtime, conversation_id, str(form.get("text", "")), agent_id=me.agent_id
            )
            return "Note added."
        if action == "escalate":
            target = str(form.get("target", "")).strip()
            reason = str(form.get("reason", "")).strip()
            if not target or not reason:
                raise ValueError("say to whom and why")
            with runtime.db.session() as session:
                conversation = get_conversation(session, conversation_id)
                escalations.apply_requests(
                    runtime,
                    session,
                    conversation,
                    [
                        EscalationRequest(
                            target=target,
                            reason=reason,
                            trigger=f"manual:{target}:{runtime.now().isoformat()}",
                        )
                    ],
                    actor=f"agent:{me.agent_id}",
                )
            return f"Escalated to {target}."
        raise ValueError(f"unknown action {action!r}")

    try:
        message = await run_in_threadpool(run)
        request.session["flash"] = {"kind": "ok", "text": message}
    except (ValueError, NotFoundError) as exc:
        request.session["flash"] = {"kind": "error", "text": str(exc)}
    return RedirectResponse(f"/inbox/conversations/{conversation_id}", status_code=303)


async def approvals_page(request: Request) -> Response:
    """Supervisors: replies waiting for approval."""
    me = _me(request)
    if me is None:
        return _login_redirect(request)
    if me.role.rank < Role.SUPERVISOR.rank:
        return error_page(request, 403, "Approvals are for supervisors.")
    runtime: Runtime = request.app.state.runtime
    if request.method == "POST":
        form = await request.form()
        check_csrf(request, str(form.get("csrf", "")))
        approve = form.get("decision") == "approve"
        try:
            await run_in_threadpool(
                lambda: replies.review(
                    runtime,
                    int(str(form.get("outbox_id"))),
                    supervisor_id=me.agent_id,
                    approve=approve,
                    comment=str(form.get("comment") or "") or None,
                )
            )
        except (ValueError, NotFoundError) as exc:
            return render(request, "approvals.html", me=me, items=[], error=str(exc))
        return RedirectResponse("/inbox/approvals", status_code=303)
    items = await run_in_threadpool(replies.pending_approvals, runtime)
    return render(request, "approvals.html", me=me, items=items)


async def reports_page(request: Request) -> Response:
    """The report plugins' HTML, for supervisors."""
    me = _me(request)
    if me is None:
        return _login_redirect(request)
    if me.role.rank < Role.SUPERVISOR.rank:
        return error_page(request, 403, "Reports are for supervisors.")
    from careline.web.api.reports import reports_by_name

    runtime: Runtime = request.app.state.runtime
    available = reports_by_name(runtime)
    name = request.query_params.get("name") or ("overview" if "overview" in available else None)
    return render(
        request,
        "reports.html",
        me=me,
        reports=sorted(available),
        name=name,
        query=request.url.query,
    )


def routes() -> list[Route]:
    """The inbox's pages."""
    return [
        Route("/login", login_page, methods=["GET"]),
        Route("/login", login, methods=["POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/inbox", inbox_page),
        Route("/inbox/conversations/{conversation_id:int}", conversation_page),
        Route("/inbox/conversations/{conversation_id:int}/reply", reply_action, methods=["POST"]),
        Route(
            "/inbox/conversations/{conversation_id:int}/action",
            conversation_action,
            methods=["POST"],
        ),
        Route("/inbox/approvals", approvals_page, methods=["GET", "POST"]),
        Route("/inbox/reports", reports_page),
    ]
