"""The docs cannot rot: their receiver snippet verifies real deliveries, their example payloads
have the real shape, and every key of every trigger table is documented."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from careline.types import Notification
from careline_escalation import config
from careline_escalation.payload import slack_payload
from pydantic import BaseModel

DOCS = Path(__file__).resolve().parents[3] / "docs"
NOTIFICATIONS = (DOCS / "notifications.md").read_text(encoding="utf-8")
PLUGIN_PAGE = (DOCS / "plugins" / "escalation.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", NOTIFICATIONS, re.DOTALL)


def test_the_receiver_snippet_verifies_a_real_signed_delivery(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any
) -> None:
    (snippet,) = [b for b in blocks("python") if "def verify_careline_signature" in b]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, "docs/notifications.md", "exec"), namespace)
    table = {"webhooks": {"legal": {"url": webhook_receiver.url(), "secret": "$env:HOOK"}}}
    settings_ = make_settings(table, env={"HOOK": "receiver-secret"})
    (sender,) = [
        s for g in escalation_pm.hook.careline_notification_senders(settings=settings_) for s in g
    ]
    sender.deliver(
        Notification(kind="escalation", title="t", body="b", recipients=("webhook:legal",))
    )
    (delivery,) = webhook_receiver.deliveries
    payload = namespace["handle_careline_webhook"](
        "receiver-secret", delivery.body, delivery.headers
    )
    assert payload["kind"] == "escalation"
    with pytest.raises(ValueError, match="bad signature"):
        namespace["handle_careline_webhook"]("other-secret", delivery.body, delivery.headers)
    with pytest.raises(ValueError, match="bad signature"):
        namespace["handle_careline_webhook"](
            "receiver-secret", delivery.body + b" ", delivery.headers
        )


def test_the_example_payloads_have_the_real_shape(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any
) -> None:
    documented_json, documented_slack = (json.loads(b) for b in blocks("json"))
    table = {"webhooks": {"legal": {"url": webhook_receiver.url()}}}
    settings_ = make_settings(table)
    (sender,) = [
        s for g in escalation_pm.hook.careline_notification_senders(settings=settings_) for s in g
    ]
    notification = Notification(
        kind="escalation",
        title="t",
        body="b",
        recipients=("webhook:legal",),
        conversation_id=42,
        url="https://care.acme.example/inbox/conversations/42",
    )
    sender.deliver(notification)
    real = webhook_receiver.deliveries[0].json()
    assert list(documented_json) == list(real)
    slack = slack_payload(notification)
    assert [b["type"] for b in documented_slack["blocks"]] == [b["type"] for b in slack["blocks"]]
    assert set(documented_slack) == set(slack)


TRIGGER_TABLES: dict[str, list[type[BaseModel]]] = {
    "": [
        config.ContentCategory,
        config.InfluenceTrigger,
        config.SentimentTrigger,
        config.RepeatContactTrigger,
        config.ManagerRequestTrigger,
        config.ReopenTrigger,
        config.SlaLadder,
    ],
    "warn.": [config.SlaWarnStep],
    "breach.": [config.SlaBreachStep],
    "reassign.": [config.SlaReassignStep],
}


@pytest.mark.parametrize("prefix", sorted(TRIGGER_TABLES))
def test_every_trigger_key_is_documented(prefix: str) -> None:
    for model in TRIGGER_TABLES[prefix]:
        for key in model.model_fields:
            if key in ("warn", "breach", "reassign"):
                continue
            assert f"| `{prefix}{key}` |" in PLUGIN_PAGE, f"{model.__name__}.{key} undocumented"
