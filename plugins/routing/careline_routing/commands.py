"""The ``careline routing`` command group: try a message, replay history."""

from __future__ import annotations

import io
import json
import sys

import click
from careline.cli.context import CliState
from careline.types import RoutingDecision, Source, Visibility

from careline_routing.facts import gather_facts
from careline_routing.policy import routing_policy
from careline_routing.replay import count_conversations, parse_moment, stored_conversations
from careline_routing.replay_summary import ReplaySummary
from careline_routing.try_message import (
    TrialMessage,
    conversation_for,
    decision_as_dict,
    enrich,
    enrichment_as_dict,
    facts_as_dict,
    parse_contact_options,
    render_trial,
)


def _state() -> CliState:
    state = click.get_current_context().obj
    if not isinstance(state, CliState):
        raise click.UsageError("careline routing must run under the careline command")
    return state


def routing_group() -> click.Group:
    """Build the ``routing`` group with its commands (a fresh one for every CLI)."""

    @click.group("routing")
    def routing() -> None:
        """Try routing rules on a message, or replay them over past conversations."""

    routing.add_command(test_command)
    routing.add_command(replay_command)
    return routing


@click.command("test")
@click.argument("text")
@click.option("--channel", default="twitter", show_default=True, help="Channel name.")
@click.option("--followers", type=click.IntRange(min=0), help="The author's follower count.")
@click.option("--verified", is_flag=True, help="The author has a verified account.")
@click.option("--language", help="Language code, e.g. en or de (else the enrichment's guess).")
@click.option(
    "--sentiment", type=click.FloatRange(-1, 1), help="Compound score (else the enrichment's)."
)
@click.option("--topic", help="The conversation's topic (else the enrichment's strongest).")
@click.option(
    "--visibility",
    type=click.Choice([v.value for v in Visibility]),
    default="public",
    show_default=True,
)
@click.option(
    "--source", type=click.Choice([s.value for s in Source]), default="owned", show_default=True
)
@click.option(
    "--contact", multiple=True, metavar="NAME=VALUE", help="A contact attribute (repeatable)."
)
@click.option(
    "--previous", type=click.IntRange(min=0), default=0, help="Earlier conversations (30 days)."
)
@click.option("--at", "at", help="When the message arrived (ISO time, default now).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def test_command(
    text: str,
    channel: str,
    followers: int | None,
    verified: bool,
    language: str | None,
    sentiment: float | None,
    topic: str | None,
    visibility: str,
    source: str,
    contact: tuple[str, ...],
    previous: int,
    at: str | None,
    as_json: bool,
) -> None:
    """Show which rule routes TEXT and why (enriched by the loaded enrichment plugins)."""
    state = _state()
    settings = state.settings()
    policy = routing_policy(settings)
    now = settings.clock.now()
    trial = TrialMessage(
        text=text,
        channel=channel,
        visibility=Visibility(visibility),
        source=Source(source),
        received_at=parse_moment(at, now) if at else now,
        followers=followers,
        verified=verified,
        language=language,
        sentiment=sentiment,
        topic=topic,
        previous_conversations=previous,
        contact=parse_contact_options(contact),
    )
    message = trial.inbound()
    enrichers = state.pm.hook.careline_enrich_message.get_hookimpls()
    enrichment = enrich(state.pm, message, settings)
    view = conversation_for(trial, enrichment)
    decision: RoutingDecision | None = state.pm.hook.careline_route(
        conversation=view, message=message, settings=settings
    )
    facts = gather_facts(view, message)
    traces = policy.rules.trace(facts)
    if as_json:
        payload = {
            "message": {
                "text": text,
                "channel": channel,
                "visibility": visibility,
                "source": source,
            },
            "enrichment": enrichment_as_dict(enrichment) if enrichers else None,
            "facts": facts_as_dict(facts),
            "rules": [
                {"rule": t.label, "matched": t.matched, "explanation": t.explanation}
                for t in traces
            ],
            "decision": decision_as_dict(decision),
        }
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    for line in render_trial(trial, enrichment if enrichers else None, facts, traces, decision):
        click.echo(line)


@click.command("replay")
@click.option(
    "--since", default="30d", show_default=True, help="Start: a duration before now or a date."
)
@click.option("--until", help="End: a duration before now or a date (default now).")
@click.option(
    "--limit-examples",
    type=click.IntRange(min=0),
    default=5,
    show_default=True,
    help="How many moved conversations to show.",
)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def replay_command(since: str, until: str | None, limit_examples: int, as_json: bool) -> None:
    """Run the current rules over stored conversations and show what would change."""
    state = _state()
    runtime = state.runtime()
    routing_policy(runtime.settings)
    now = runtime.now()
    start = parse_moment(since, now)
    end = parse_moment(until, now) if until else now
    if end <= start:
        raise click.BadParameter("must be later than --since", param_hint="--until")
    summary = ReplaySummary(since=start, until=end, example_limit=limit_examples)
    with runtime.db.session() as session:
        total = count_conversations(session, start, end)
        rows = stored_conversations(session, start, end)
        with click.progressbar(
            rows,
            length=total,
            label="Replaying",
            file=io.StringIO() if as_json else sys.stderr,
        ) as progress:
            for stored in progress:
                decision: RoutingDecision | None = runtime.pm.hook.careline_route(
                    conversation=stored.view, message=stored.message, settings=runtime.settings
                )
                if decision is None:
                    raise click.ClickException(
                        "routing is disabled ([routing] enabled = false): nothing to replay"
                    )
                summary.add(stored, decision)
    if as_json:
        click.echo(json.dumps(summary.as_dict(), indent=2, ensure_ascii=False))
        return
    for line in summary.render():
        click.echo(line)
