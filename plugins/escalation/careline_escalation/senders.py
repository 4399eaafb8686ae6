"""Building the notification senders from ``[escalation.webhooks.*]`` and ``[escalation.email]``."""

from __future__ import annotations

from careline.config import Settings
from careline.notifications import NotificationSender

from careline_escalation.config import load_config
from careline_escalation.email_sender import EmailSender
from careline_escalation.webhook import WebhookSender


def build_senders(settings: Settings) -> list[NotificationSender]:
    """One sender per enabled webhook (``webhook:<name>``) and one for e-mail (``email``)."""
    config = load_config(settings)
    senders: list[NotificationSender] = [
        WebhookSender(name, webhook, settings.clock)
        for name, webhook in sorted(config.webhooks.items())
        if webhook.enabled
    ]
    if config.email is not None and config.email.enabled:
        senders.append(EmailSender(config.email, settings.clock))
    return senders
