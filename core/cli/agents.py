"""``careline agents …`` and ``careline approvals …``."""

from __future__ import annotations

import json

import click
from careline.cli.context import CliState, pass_state
from careline.cli.errors import UserError
from careline.config import parse_duration
from careline.services import agents, replies
from careline.types import Role


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@click.group(name="agents")
def group() -> None:
    """Manage agents and their API tokens."""


@group.command("add")
@click.argument("name")
@click.option(
    "--role", type=click.Choice([r.value for r in Role]), default="agent", show_default=True
)
@click.option("--email")
@click.option("--initials", help="Used to sign replies (default: from the name).")
@click.option("--languages", help="Comma list, e.g. en,de.")
@click.option("--channels", help="Comma list, e.g. twitter,facebook.")
@click.option("--skills", help="Comma list, e.g. billing,legal.")
@click.option("--queues", help="Comma list of queues the agent works.")
@click.option("--capacity", default=10, show_default=True, help="Most open conversations at once.")
@click.option("--bot", is_flag=True, help="An automation, not a person (excluded from human KPIs).")
@click.option(
    "--working-hours",
    help='Shift as JSON like [business_hours], e.g. \'{"timezone": "Europe/Berlin", '
    '"monday": ["08:00-16:00"]}\' (default: always on shift).',
)
@pass_state
def add(
    state: CliState,
    name: str,
    role: str,
    email: str | None,
    initials: str | None,
    languages: str | None,
    channels: str | None,
    skills: str | None,
    queues: str | None,
    capacity: int,
    bot: bool,
    working_hours: str | None,
) -> None:
    """Add an agent."""
    hours = None
    if working_hours:
        try:
            hours = json.loads(working_hours)
        except ValueError as exc:
            raise UserError(f"--working-hours is not JSON: {exc}") from None
        if not isinstance(hours, dict):
            raise UserError("--working-hours must be a JSON object")
    agent = agents.add_agent(
        state.runtime(),
        name,
        role=Role(role),
        email=email,
        initials=initials,
        languages=_split(languages),
        channels=_split(channels),
        skills=_split(skills),
        queues=_split(queues),
        capacity=capacity,
        is_bot=bot,
        working_hours=hours,
    )
    click.echo(f"Agent #{agent.id} {agent.name} ({agent.role})")


@group.command("list")
@click.option("--all", "include_disabled", is_flag=True, help="Include disabled agents.")
@click.option("--json", "as_json", is_flag=True)
@pass_state
def list_command(state: CliState, include_disabled: bool, as_json: bool) -> None:
    """List agents."""
    rows = agents.list_agents(state.runtime(), include_disabled=include_disabled)
    if as_json:
        from careline.web.api.admin import agent_json

        click.echo(json.dumps([agent_json(row) for row in rows], indent=2))
        return
    for row in rows:
        flags = " (disabled)" if row.disabled else ""
        click.echo(
            f"#{row.id:<4} {row.name:<24} {row.role:<10} capacity {row.capacity:<3} "
            f"languages {','.join(row.languages) or '-'}{flags}"
        )


@group.command("disable")
@click.argument("agent")
@pass_state
def disable(state: CliState, agent: str) -> None:
    """Disable an agent (their tokens stop working)."""
    row = agents.set_disabled(state.runtime(), agent, True)
    click.echo(f"Agent {row.name} disabled")


@group.command("enable")
@click.argument("agent")
@pass_state
def enable(state: CliState, agent: str) -> None:
    """Enable a disabled agent again."""
    row = agents.set_disabled(state.runtime(), agent, False)
    click.echo(f"Agent {row.name} enabled")


@group.group("token")
def token() -> None:
    """Create and revoke API tokens."""


@token.command("create")
@click.argument("agent")
@click.option("--label")
@click.option("--expires-in", help="e.g. 90d; never expires without it.")
@pass_state
def token_create(state: CliState, agent: str, label: str | None, expires_in: str | None) -> None:
    """Create a token for AGENT; it is shown once and stored hashed."""
    runtime = state.runtime()
    expires = runtime.now() + parse_duration(expires_in) if expires_in else None
    row, clear = agents.create_token(runtime, agent, label=label, expires_at=expires)
    click.echo(clear)
    click.echo(f"Token #{row.id} ({row.prefix}…) — shown once; store it now.", err=True)


@token.command("revoke")
@click.argument("token_id_or_prefix")
@pass_state
def token_revoke(state: CliState, token_id_or_prefix: str) -> None:
    """Revoke a token by id or by its prefix."""
    row = agents.revoke_token(state.runtime(), token_id_or_prefix)
    click.echo(f"Token #{row.id} ({row.prefix}…) revoked")


@click.group(name="approvals")
def approvals() -> None:
    """Replies waiting for a supervisor."""


@approvals.command("list")
@pass_state
def approvals_list(state: CliState) -> None:
    """List replies waiting for approval."""
    items = replies.pending_approvals(state.runtime())
    if not items:
        click.echo("Nothing waits for approval.")
    for item in items:
        rules = ", ".join(f["rule"] for f in item.findings)
        click.echo(
            f"#{item.id} conversation #{item.conversation_id}: {item.payload['text']!r} ({rules})"
        )


@approvals.command("approve")
@click.argument("outbox_id", type=int)
@click.option("--as", "actor", required=True, help="The supervisor.")
@pass_state
def approve(state: CliState, outbox_id: int, actor: str) -> None:
    """Approve a held reply (it is sent)."""
    runtime = state.runtime()
    with runtime.db.session() as session:
        supervisor = agents.find_agent(session, actor)
    assert supervisor.id is not None
    outcome = replies.review(runtime, outbox_id, supervisor_id=supervisor.id, approve=True)
    click.echo(f"Reply #{outbox_id}: {outcome.status}")


@approvals.command("reject")
@click.argument("outbox_id", type=int)
@click.option("--as", "actor", required=True, help="The supervisor.")
@click.option("--comment", required=True, help="What the agent should change.")
@pass_state
def reject(state: CliState, outbox_id: int, actor: str, comment: str) -> None:
    """Reject a held reply (back to the agent with a comment)."""
    runtime = state.runtime()
    with runtime.db.session() as session:
        supervisor = agents.find_agent(session, actor)
    assert supervisor.id is not None
    replies.review(runtime, outbox_id, supervisor_id=supervisor.id, approve=False, comment=comment)
    click.echo(f"Reply #{outbox_id} rejected")


def register(cli: click.Group) -> None:
    """Add the groups to the root."""
    cli.add_command(group)
    cli.add_command(approvals)
