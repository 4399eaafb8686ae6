"""``careline escalation …``: try triggers on a text, list senders, send a test notification."""

from __future__ import annotations

import click
from careline.cli.context import CliState, pass_state
from careline.cli.errors import UserError
from careline.notifications import NotificationError
from careline.types import (
    Author,
    ConversationStatus,
    ConversationView,
    Direction,
    EscalationRequest,
    InboundMessage,
    MessageView,
    Notification,
    Priority,
    Source,
    Visibility,
)

from careline_escalation.email_sender import EmailSender
from careline_escalation.senders import build_senders
from careline_escalation.webhook import WebhookSender


def register(cli: click.Group) -> None:
    """Add the ``escalation`` group to the ``careline`` command line."""
    cli.add_command(escalation)


@click.group()
def escalation() -> None:
    """Escalation triggers and notification senders."""


@escalation.command("check")
@click.argument("text")
@click.option("--private", "private", is_flag=True, help="Treat it as a private message.")
@click.option("--followers", type=int, default=None, help="The author's follower count.")
@click.option("--verified", is_flag=True, help="The author is verified.")
@click.option("--handle", default=None, help="The author's handle.")
@click.option("--sentiment", type=float, default=None, help="Sentiment (-1..1); else enrichment.")
@click.option("--topic", "topics", multiple=True, help="A topic (repeatable); else enrichment.")
@click.option("--previous", type=int, default=0, help="The customer's earlier conversations.")
@pass_state
def check(
    state: CliState,
    text: str,
    private: bool,
    followers: int | None,
    verified: bool,
    handle: str | None,
    sentiment: float | None,
    topics: tuple[str, ...],
    previous: int,
) -> None:
    """Show which escalation triggers a customer message would fire."""
    settings = state.settings()
    state.pm.hook.careline_startup(settings=settings)
    now = settings.clock.now()
    visibility = Visibility.PRIVATE if private else Visibility.PUBLIC
    message = InboundMessage(
        channel="cli",
        account="cli",
        external_id="check",
        text=text,
        author=Author(external_id="cli", handle=handle, followers=followers, verified=verified),
        created_at=now,
        visibility=visibility,
    )
    found_topics = list(topics)
    for enrichment in state.pm.hook.careline_enrich_message(message=message, settings=settings):
        if enrichment is None:
            continue
        if sentiment is None and enrichment.sentiment is not None:
            sentiment = enrichment.sentiment
        if not topics:
            found_topics.extend(t for t in enrichment.topics if t not in found_topics)
    stored = MessageView(
        id=0,
        conversation_id=0,
        channel="cli",
        external_id="check",
        direction=Direction.INBOUND,
        visibility=visibility,
        text=text,
        created_at=now,
        sentiment=sentiment,
        topics=tuple(found_topics),
    )
    conversation = ConversationView(
        id=0,
        channel="cli",
        account="cli",
        visibility=visibility,
        source=Source.OWNED,
        status=ConversationStatus.NEW,
        priority=Priority.NORMAL,
        created_at=now,
        contact_id=0,
        sentiment=sentiment,
        contact_handle=handle,
        author_followers=followers,
        author_verified=verified,
        previous_conversations=previous,
        messages=(stored,),
    )
    click.echo(
        f"{visibility.value} message, sentiment "
        f"{'unknown' if sentiment is None else f'{sentiment:+.2f}'}, "
        f"topics: {', '.join(found_topics) or 'none'}"
    )
    requests: list[EscalationRequest] = [
        request
        for group in state.pm.hook.careline_escalate_on_message(
            conversation=conversation, message=message, settings=settings, enrichment=None
        )
        for request in group or []
    ]
    if not requests:
        click.echo("no escalation")
        return
    for request in requests:
        effects = []
        if request.raise_priority:
            effects.append(f"priority → {request.raise_priority.value}")
        if request.reassign_queue:
            effects.append(f"queue → {request.reassign_queue}")
        click.echo(f"{request.trigger} → {request.target}: {request.reason}")
        if effects:
            click.echo(f"    {', '.join(effects)}")
        click.echo(f"    notify: {', '.join(request.notify)}")


@escalation.command("senders")
@pass_state
def senders(state: CliState) -> None:
    """List the notification senders and which recipients reach each."""
    settings = state.settings()
    found = build_senders(settings)
    if not found:
        click.echo("no senders configured ([escalation.webhooks.<name>] or [escalation.email])")
        return
    for sender in found:
        if isinstance(sender, WebhookSender):
            signed = "signed" if sender.config.secret else "unsigned"
            patterns = ", ".join([sender.name, *sender.config.recipients])
            click.echo(
                f"{sender.name}: {sender.config.format} POST to {sender.host} ({signed}); "
                f"receives {patterns}"
            )
        elif isinstance(sender, EmailSender):
            config = sender.config
            click.echo(
                f"email: SMTP {config.host}:{config.effective_port} ({config.security}) "
                f"from {config.from_address}"
            )
            for pattern, addresses in sorted(config.recipients.items()):
                click.echo(f"    {pattern} → {', '.join(addresses)}")


@escalation.command("test-notification")
@click.option("--sender", "names", multiple=True, help="Only this sender (repeatable).")
@click.option(
    "--recipient",
    "recipients",
    multiple=True,
    help="Address the test like an escalation would (e.g. target:legal); by default each "
    "sender is addressed directly.",
)
@pass_state
def test_notification(state: CliState, names: tuple[str, ...], recipients: tuple[str, ...]) -> None:
    """Deliver a test notification now through the senders (not queued, no retry)."""
    settings = state.settings()
    available = {sender.name: sender for sender in build_senders(settings)}
    unknown = sorted(set(names) - set(available))
    if unknown:
        known = ", ".join(sorted(available)) or "none configured"
        raise UserError(f"no sender named {', '.join(unknown)} (known: {known})")
    chosen = [available[name] for name in names] if names else list(available.values())
    if not chosen:
        raise UserError(
            "no senders configured ([escalation.webhooks.<name>] or [escalation.email])"
        )
    failures = 0
    for sender in chosen:
        assert isinstance(sender, WebhookSender | EmailSender)
        notification = Notification(
            kind="test",
            title="careline test notification",
            body=f"A test from careline ({settings.instance.name}) at "
            f"{settings.clock.now():%Y-%m-%d %H:%M} UTC. No action needed.",
            recipients=recipients or _addressing(sender),
            data={"test": True},
        )
        if not sender.accepts(notification):
            addressed = ", ".join(notification.recipients) or "no recipients configured"
            click.echo(f"{sender.name}: nobody to send to ({addressed}), skipped")
            continue
        try:
            sender.deliver(notification)
        except NotificationError as exc:
            failures += 1
            kind = "would be retried" if exc.transient else "definitive"
            click.echo(f"{sender.name}: FAILED ({kind}): {exc}")
        else:
            click.echo(f"{sender.name}: delivered")
    if failures:
        raise click.exceptions.Exit(1)


def _addressing(sender: WebhookSender | EmailSender) -> tuple[str, ...]:
    """Recipients that reach ``sender`` directly: its webhook name, or every mapped address."""
    if isinstance(sender, WebhookSender):
        return (f"webhook:{sender.webhook}",)
    mapped = (a for addresses in sender.config.recipients.values() for a in addresses)
    return tuple(f"email:{address}" for address in dict.fromkeys(mapped))
