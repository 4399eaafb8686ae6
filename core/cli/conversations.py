"""``careline conversations …``: list, show and act on conversations from the terminal."""

from __future__ import annotations

import json
from datetime import datetime

import click
from careline.cli.context import CliState, pass_state
from careline.cli.errors import UserError
from careline.config import parse_duration
from careline.models import Agent, Escalation, Event, Identity, Message, Note
from careline.services import agents, assignment, conversations, replies
from careline.services.views import get_conversation
from careline.types import ConversationStatus, Priority, Visibility
from sqlmodel import col, select


def _agent_id(state: CliState, name: str | None) -> int | None:
    if name is None:
        return None
    with state.runtime().db.session() as session:
        return agents.find_agent(session, name).id


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "-"


@click.group(name="conversations")
def group() -> None:
    """List, show and act on conversations."""


@group.command("list")
@click.option("--status", multiple=True, type=click.Choice([s.value for s in ConversationStatus]))
@click.option("--queue")
@click.option("--assignee", help="Agent name or id.")
@click.option("--unassigned", is_flag=True)
@click.option("--channel")
@click.option("--priority", type=click.Choice([p.value for p in Priority]))
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@pass_state
def list_command(
    state: CliState,
    status: tuple[str, ...],
    queue: str | None,
    assignee: str | None,
    unassigned: bool,
    channel: str | None,
    priority: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List conversations, newest first."""
    filters = conversations.ConversationFilter(
        status=status,
        queue=queue,
        assignee_id=_agent_id(state, assignee),
        unassigned=unassigned,
        channel=channel,
        priority=priority,
    )
    with state.runtime().db.session() as session:
        rows = conversations.list_conversations(session, filters, limit=limit)
    if as_json:
        from careline.web.api.serializers import conversation_json

        click.echo(json.dumps([conversation_json(row) for row in rows], indent=2))
        return
    if not rows:
        click.echo("No conversations match.")
        return
    for row in rows:
        click.echo(
            f"#{row.id:<6} {row.channel:<10} {row.status:<9} {row.priority:<7} "
            f"{row.queue or '-':<12} due {_when(row.first_response_due)}  {row.visibility}"
        )


@group.command("show")
@click.argument("conversation_id", type=int)
@pass_state
def show(state: CliState, conversation_id: int) -> None:
    """Show a conversation: thread, the customer's other conversations, events, SLA, window."""
    runtime = state.runtime()
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        identities = session.exec(
            select(Identity).where(Identity.contact_id == conversation.contact_id)
        ).all()
        click.echo(
            f"Conversation #{conversation.id} on {conversation.channel} ({conversation.visibility},"
            f" {conversation.source}) — {conversation.status}, priority {conversation.priority}, "
            f"queue {conversation.queue or '-'}"
        )
        if conversation.assignee_id:
            agent = session.get(Agent, conversation.assignee_id)
            click.echo(f"Assigned to {agent.name if agent else conversation.assignee_id}")
        click.echo(
            "Customer: " + ", ".join(f"{i.channel}:{i.handle or i.external_id}" for i in identities)
        )
        click.echo(
            f"SLA: first response due {_when(conversation.first_response_due)}, "
            f"answered {_when(conversation.first_response_at)}, resolution due "
            f"{_when(conversation.resolution_due)}"
        )
        channel = runtime.channels.get(conversation.channel)
        if channel is not None and conversation.visibility == Visibility.PRIVATE:
            from careline.send_policy import decide

            decision = decide(
                channel.manifest,
                visibility=Visibility.PRIVATE,
                now=runtime.now(),
                last_inbound_at=conversation.last_inbound_at,
            )
            click.echo(f"Messaging window: {decision.reason}")
        click.echo("")
        for message in session.exec(
            select(Message)
            .where(Message.conversation_id == conversation_id)
            .order_by(col(Message.created_at), col(Message.id))
        ).all():
            arrow = "<" if message.direction == "in" else ">"
            state_text = f" [{message.delivery_state}]" if message.delivery_state else ""
            click.echo(
                f"{arrow} {_when(message.created_at)} {message.author_handle or ''}: "
                f"{message.text}{state_text}"
            )
        others = conversations.list_conversations(
            session, conversations.ConversationFilter(contact_id=conversation.contact_id)
        )
        others = [c for c in others if c.id != conversation_id]
        if others:
            click.echo("\nThe customer's other conversations:")
            for other in others:
                click.echo(
                    f"  #{other.id} {other.channel} {other.status} {_when(other.created_at)}"
                )
        for note in session.exec(select(Note).where(Note.conversation_id == conversation_id)).all():
            click.echo(f"Note {_when(note.created_at)}: {note.text}")
        for escalation in session.exec(
            select(Escalation).where(Escalation.conversation_id == conversation_id)
        ).all():
            click.echo(
                f"Escalation #{escalation.id} to {escalation.target} ({escalation.status}): "
                f"{escalation.reason}"
            )
        click.echo("\nEvents:")
        for event in session.exec(
            select(Event).where(Event.conversation_id == conversation_id).order_by(col(Event.id))
        ).all():
            click.echo(f"  {_when(event.at)} {event.type} {event.actor}")


@group.command("assign")
@click.argument("conversation_id", type=int)
@click.argument("agent", required=False)
@click.option("--as", "actor", help="Who does it (agent name).")
@pass_state
def assign(state: CliState, conversation_id: int, agent: str | None, actor: str | None) -> None:
    """Assign a conversation to AGENT (name or id), or unassign it without AGENT."""
    runtime = state.runtime()
    agent_id = _agent_id(state, agent)
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        assignment.assign(
            runtime, session, conversation, agent_id, actor_id=_agent_id(state, actor)
        )
    click.echo(f"#{conversation_id} {'assigned to ' + agent if agent else 'unassigned'}")


@group.command("reply")
@click.argument("conversation_id", type=int)
@click.argument("text")
@click.option("--as", "actor", help="The agent replying (name or id).")
@click.option("--private", is_flag=True, help="Reply privately (DM or private reply).")
@click.option("--preview", is_flag=True, help="Only show the findings and the send decision.")
@pass_state
def reply(
    state: CliState,
    conversation_id: int,
    text: str,
    actor: str | None,
    private: bool,
    preview: bool,
) -> None:
    """Reply to a conversation (guidelines and the send policy are checked first)."""
    runtime = state.runtime()
    visibility = Visibility.PRIVATE if private else None
    agent_id = _agent_id(state, actor)
    if preview:
        outcome = replies.preview(
            runtime, conversation_id, text, agent_id=agent_id, visibility=visibility
        )
    else:
        outcome = replies.reply(
            runtime, conversation_id, text, agent_id=agent_id, visibility=visibility
        )
    for finding in outcome.findings:
        click.echo(f"{finding.severity.upper():8} {finding.rule}: {finding.message}")
    click.echo(f"{outcome.status}: {outcome.reason}")
    if outcome.status in (replies.BLOCKED, replies.REFUSED, replies.FAILED):
        raise click.exceptions.Exit(1)


def _simple_action(name: str, help_text: str) -> click.Command:
    @click.command(name, help=help_text)
    @click.argument("conversation_id", type=int)
    @click.option("--as", "actor", help="Who does it (agent name).")
    @pass_state
    def command(state: CliState, conversation_id: int, actor: str | None) -> None:
        runtime = state.runtime()
        action = {
            "resolve": conversations.resolve,
            "reopen": conversations.reopen,
            "pending": conversations.set_pending,
        }[name]
        conversation = action(runtime, conversation_id, agent_id=_agent_id(state, actor))
        click.echo(f"#{conversation_id} is {conversation.status}")

    return command


@group.command("ignore")
@click.argument("conversation_id", type=int)
@click.option("--reason", required=True, help="Why no reply is needed (spam, retweet, thanks).")
@click.option("--as", "actor")
@pass_state
def ignore(state: CliState, conversation_id: int, reason: str, actor: str | None) -> None:
    """Mark a conversation "no reply needed"."""
    conversations.ignore(
        state.runtime(), conversation_id, reason=reason, agent_id=_agent_id(state, actor)
    )
    click.echo(f"#{conversation_id} ignored: {reason}")


@group.command("note")
@click.argument("conversation_id", type=int)
@click.argument("text")
@click.option("--as", "actor")
@pass_state
def note(state: CliState, conversation_id: int, text: str, actor: str | None) -> None:
    """Add an internal note."""
    conversations.add_note(state.runtime(), conversation_id, text, agent_id=_agent_id(state, actor))
    click.echo(f"Note added to #{conversation_id}")


@group.command("escalate")
@click.argument("conversation_id", type=int)
@click.option("--to", "target", required=True, help="Team to escalate to (legal, pr, …).")
@click.option("--reason", required=True)
@click.option("--as", "actor")
@pass_state
def escalate(
    state: CliState, conversation_id: int, target: str, reason: str, actor: str | None
) -> None:
    """Escalate by hand to a team."""
    from careline.services import escalations
    from careline.types import EscalationRequest

    runtime = state.runtime()
    agent_id = _agent_id(state, actor)
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        trigger = f"manual:{target}:{runtime.now().isoformat()}"
        opened = escalations.apply_requests(
            runtime,
            session,
            conversation,
            [EscalationRequest(target=target, reason=reason, trigger=trigger)],
            actor=f"agent:{agent_id}" if agent_id else "cli",
        )
    click.echo(f"Escalation #{opened[0].id} to {target}")


@group.command("follow-up")
@click.argument("conversation_id", type=int)
@click.option("--in", "due_in", required=True, help="When, e.g. 3d or 2w.")
@click.option("--note", required=True, help="What to tell the customer then.")
@click.option("--as", "actor")
@pass_state
def follow_up(
    state: CliState, conversation_id: int, due_in: str, note: str, actor: str | None
) -> None:
    """Promise to come back to the customer; the conversation reopens when it is due."""
    runtime = state.runtime()
    try:
        delta = parse_duration(due_in)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    created = conversations.add_follow_up(
        runtime, conversation_id, runtime.now() + delta, note, agent_id=_agent_id(state, actor)
    )
    click.echo(f"Follow-up #{created.id} due {_when(created.due_at)}")


@group.command("csat")
@click.argument("conversation_id", type=int)
@click.argument("score", type=click.IntRange(1, 5))
@pass_state
def csat(state: CliState, conversation_id: int, score: int) -> None:
    """Record the customer's satisfaction score (1–5)."""
    conversations.record_csat(state.runtime(), conversation_id, score)
    click.echo(f"CSAT {score} recorded for #{conversation_id}")


for _name, _help in (
    ("resolve", "Mark a conversation resolved."),
    ("reopen", "Reopen a resolved, closed or ignored conversation."),
    ("pending", "Mark a conversation as waiting on the customer."),
):
    group.add_command(_simple_action(_name, _help))


def register(cli: click.Group) -> None:
    """Add the group to the root."""
    cli.add_command(group)
