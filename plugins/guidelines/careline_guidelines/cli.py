"""``careline guidelines …``: check a draft against every guideline, list reply templates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import click
from careline.models import Agent
from careline.runtime import Runtime
from careline.services.views import agent_view, conversation_view
from careline.types import (
    AgentView,
    ConversationView,
    DraftReply,
    Finding,
    ReplyTemplate,
    Visibility,
)
from sqlmodel import select

from careline_guidelines.display import format_findings, verdict
from careline_guidelines.rendering import TemplateRenderError


@dataclass(frozen=True, slots=True)
class _Subject:
    conversation: ConversationView
    agent: AgentView | None
    automated: bool


def _runtime() -> Runtime:
    runtime: Runtime = click.get_current_context().obj.runtime()
    return runtime


def _load(runtime: Runtime, conversation_id: int, agent_name: str | None) -> _Subject:
    """The conversation as hooks see it, and the agent (named, else the assignee)."""
    with runtime.db.session() as session:
        view = conversation_view(session, conversation_id)
        if agent_name is not None:
            agent = session.exec(select(Agent).where(Agent.name == agent_name)).first()
            if agent is None:
                raise click.BadParameter(f"no agent called {agent_name!r}", param_hint="--agent")
        else:
            agent = session.get(Agent, view.assignee_id) if view.assignee_id else None
        return _Subject(
            conversation=view,
            agent=agent_view(agent) if agent else None,
            automated=bool(agent and agent.is_bot),
        )


def _finding_json(text: str, finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "span": list(finding.span) if finding.span else None,
        "excerpt": text[finding.span[0] : finding.span[1]] if finding.span else None,
    }


@click.group(name="guidelines")
def guidelines_group() -> None:
    """Response guidelines: check a draft reply, list reply templates."""


@guidelines_group.command(name="check")
@click.argument("text")
@click.option("--conversation", "conversation_id", type=int, required=True, help="Conversation id.")
@click.option(
    "--private",
    is_flag=True,
    help="Check it as a private message (default: the conversation's visibility).",
)
@click.option("--agent", "agent_name", help="Agent writing it (default: the assignee).")
@click.option("--template", "template_id", help="Template the draft was started from.")
@click.option("--json", "as_json", is_flag=True, help="Print the findings as JSON.")
def check_command(
    text: str,
    conversation_id: int,
    private: bool,
    agent_name: str | None,
    template_id: str | None,
    as_json: bool,
) -> None:
    """Check TEXT as a reply in a conversation, with every installed guideline.

    Exits with status 1 when a finding would block the reply.
    """
    runtime = _runtime()
    subject = _load(runtime, conversation_id, agent_name)
    conversation = subject.conversation
    draft = DraftReply(
        text=text,
        visibility=Visibility.PRIVATE if private else Visibility(conversation.visibility),
        agent=subject.agent,
        automated=subject.automated,
        template_id=template_id,
    )
    findings: list[Finding] = []
    for answer in runtime.pm.hook.careline_check_reply(
        draft=draft,
        conversation=conversation,
        channel=runtime.channel(conversation.channel),
        settings=runtime.settings,
    ):
        findings.extend(answer or [])
    outcome = verdict(findings)
    if as_json:
        click.echo(
            json.dumps(
                {
                    "conversation": conversation.id,
                    "visibility": draft.visibility.value,
                    "verdict": outcome,
                    "findings": [_finding_json(text, finding) for finding in findings],
                },
                indent=2,
                ensure_ascii=False,
            )
        )
    else:
        for line in format_findings(text, findings):
            click.echo(line)
    if outcome == "blocked":
        raise click.exceptions.Exit(1)


def _render(
    runtime: Runtime, template: ReplyTemplate, subject: _Subject
) -> tuple[str | None, str | None]:
    try:
        rendered = runtime.pm.hook.careline_render_template(
            template=template,
            conversation=subject.conversation,
            agent=subject.agent,
            settings=runtime.settings,
        )
    except TemplateRenderError as exc:
        return None, str(exc)
    return rendered, None


@guidelines_group.command(name="templates")
@click.option(
    "--conversation", "conversation_id", type=int, help="Only those that fit it, rendered for it."
)
@click.option("--agent", "agent_name", help="Agent to render them for (default: the assignee).")
@click.option("--json", "as_json", is_flag=True, help="Print the templates as JSON.")
def templates_command(conversation_id: int | None, agent_name: str | None, as_json: bool) -> None:
    """List the reply templates (with --conversation: those that fit it, rendered)."""
    runtime = _runtime()
    subject = _load(runtime, conversation_id, agent_name) if conversation_id is not None else None
    templates = [
        template
        for answer in runtime.pm.hook.careline_reply_templates(
            conversation=subject.conversation if subject else None, settings=runtime.settings
        )
        for template in answer or []
    ]
    rows = []
    for template in templates:
        rendered, error = _render(runtime, template, subject) if subject else (None, None)
        rows.append((template, rendered, error))
    if as_json:
        click.echo(
            json.dumps(
                [
                    {
                        "id": template.id,
                        "title": template.title,
                        "language": template.language,
                        "topics": list(template.topics),
                        "channels": list(template.channels),
                        "body": template.body,
                        "rendered": rendered,
                        "error": error,
                    }
                    for template, rendered, error in rows
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    if not rows:
        click.echo("No reply templates fit.")
    for template, rendered, error in rows:
        scope = ", ".join(
            part
            for part in (
                template.language or "any language",
                "topics: " + "/".join(template.topics) if template.topics else "any topic",
                "channels: " + "/".join(template.channels) if template.channels else "",
            )
            if part
        )
        click.echo(f"{template.id} — {template.title} ({scope})")
        if error:
            click.echo(f"    cannot render: {error}")
        else:
            click.echo("    " + (rendered if rendered is not None else template.body))


def register(cli: click.Group) -> None:
    """Add the ``guidelines`` group to the ``careline`` command line."""
    cli.add_command(guidelines_group)
