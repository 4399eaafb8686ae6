"""Start-up checks: the configuration must be valid; doubtful choices are logged."""

from __future__ import annotations

import importlib.util
import logging

from careline.config import Settings

from careline_escalation.config import EscalationConfig, load_config
from careline_escalation.message_triggers import matchers

log = logging.getLogger("careline.escalation")


def check(settings: Settings) -> list[str]:
    """Validate ``[escalation]`` (raising ``ConfigError``) and return warnings, also logged."""
    config = load_config(settings)
    matchers(config, settings)
    warnings = _warnings(config)
    for warning in warnings:
        log.warning("escalation: %s", warning)
    if importlib.util.find_spec("careline.business_hours") is None:
        log.info("escalation: no careline.business_hours; SLA 'breach+' steps use calendar time")
    return warnings


def _warnings(config: EscalationConfig) -> list[str]:
    referenced = {
        recipient.partition(":")[2]
        for recipients in (
            *(target.notify for target in config.targets.values()),
            config.sla.warn.notify,
            config.sla.breach.notify,
            config.sla.reassign.notify,
        )
        for recipient in recipients
        if recipient.startswith("webhook:")
    }
    warnings = []
    for name, webhook in sorted(config.webhooks.items()):
        if not webhook.enabled:
            continue
        if not webhook.recipients and name not in referenced:
            warnings.append(
                f"webhook {name!r} receives nothing: give it recipients (e.g. ['*']) or "
                f"name 'webhook:{name}' in a target's notify list"
            )
        if webhook.format == "json" and not webhook.secret:
            warnings.append(f"webhook {name!r} is not signed: set secret = '$env:NAME'")
    if config.email is not None and config.email.enabled and config.email.security == "none":
        warnings.append("e-mail is sent without TLS (security = 'none')")
    return warnings
