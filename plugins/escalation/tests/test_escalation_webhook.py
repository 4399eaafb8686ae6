"""The outgoing webhook sender against a real HTTP server on loopback."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from careline.channels import verify_hmac_signature
from careline.notifications import NotificationError
from careline.types import Notification
from careline_escalation.payload import slack_payload
from hypothesis import given, settings
from hypothesis import strategies as st

SECRET = "whsec-legal-0123456789"

NOTIFICATION = Notification(
    kind="escalation",
    title="Escalated to legal: legal matter: the message says 'lawyer*'",
    body="Conversation #42 on twitter was escalated to legal (content:legal): legal matter",
    recipients=("target:legal", "webhook:legal"),
    conversation_id=42,
    url="http://127.0.0.1:8000/inbox/conversations/42",
    data={"escalation_id": 5, "trigger": "content:legal"},
)


def senders_for(pm: Any, settings_: Any) -> dict[str, Any]:
    """The senders the plugin provides, through the hook, by name."""
    groups = pm.hook.careline_notification_senders(settings=settings_)
    return {sender.name: sender for group in groups for sender in group or []}


def legal_webhook(receiver: Any, **changes: Any) -> dict[str, Any]:
    table = {"url": receiver.url("/careline"), "secret": "$env:LEGAL_HOOK_SECRET"}
    table.update(changes)
    return {"webhooks": {"legal": table}}


def test_a_signed_json_payload_is_posted(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings_ = make_settings(legal_webhook(webhook_receiver), env={"LEGAL_HOOK_SECRET": SECRET})
    sender = senders_for(escalation_pm, settings_)["webhook:legal"]
    with caplog.at_level(logging.INFO, logger="careline.escalation"):
        sender.deliver(NOTIFICATION)
    (delivery,) = webhook_receiver.deliveries
    assert delivery.path == "/careline"
    assert delivery.headers["content-type"].startswith("application/json")
    assert verify_hmac_signature(SECRET, delivery.body, delivery.headers["x-careline-signature"])
    assert not verify_hmac_signature(
        "wrong", delivery.body, delivery.headers["x-careline-signature"]
    )
    payload = delivery.json()
    assert payload == {
        "version": 1,
        "delivery_id": delivery.headers["x-careline-delivery"],
        "idempotency_key": payload["idempotency_key"],
        "kind": "escalation",
        "title": NOTIFICATION.title,
        "body": NOTIFICATION.body,
        "conversation_id": 42,
        "url": "http://127.0.0.1:8000/inbox/conversations/42",
        "recipients": ["target:legal", "webhook:legal"],
        "data": {"escalation_id": 5, "trigger": "content:legal"},
        "sent_at": "2026-01-05T09:00:00+00:00",
    }
    assert len(payload["delivery_id"]) == 32
    assert "delivered escalation notification for conversation 42" in caplog.text
    assert SECRET not in caplog.text and "/careline" not in caplog.text


def test_each_attempt_has_its_own_delivery_id_and_the_same_idempotency_key(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any
) -> None:
    settings_ = make_settings(legal_webhook(webhook_receiver), env={"LEGAL_HOOK_SECRET": SECRET})
    sender = senders_for(escalation_pm, settings_)["webhook:legal"]
    sender.deliver(NOTIFICATION)
    sender.deliver(NOTIFICATION)
    first, second = (d.json() for d in webhook_receiver.deliveries)
    assert first["delivery_id"] != second["delivery_id"]
    assert first["idempotency_key"] == second["idempotency_key"]


def test_the_slack_format(escalation_pm: Any, make_settings: Any, webhook_receiver: Any) -> None:
    table = {
        "webhooks": {
            "care-leads": {
                "url": webhook_receiver.url("/services/T0/B0/x"),
                "format": "slack",
                "recipients": ["*"],
            }
        }
    }
    sender = senders_for(escalation_pm, make_settings(table))["webhook:care-leads"]
    sender.deliver(NOTIFICATION)
    (delivery,) = webhook_receiver.deliveries
    payload = delivery.json()
    assert set(payload) == {"text", "blocks"}
    assert payload["text"].startswith("Escalated to legal")
    kinds = [block["type"] for block in payload["blocks"]]
    assert kinds == ["header", "section", "context", "actions"]
    assert payload["blocks"][0]["text"] == {"type": "plain_text", "text": NOTIFICATION.title}
    assert payload["blocks"][3]["elements"][0]["url"] == NOTIFICATION.url
    assert "x-careline-signature" not in delivery.headers  # no secret configured


@settings(max_examples=60)
@given(
    title=st.text(max_size=400),
    body=st.text(max_size=4000),
    recipients=st.lists(st.text(min_size=1, max_size=20), max_size=4),
)
def test_slack_blocks_stay_within_slack_limits(
    title: str, body: str, recipients: list[str]
) -> None:
    payload = slack_payload(
        Notification(kind="escalation", title=title, body=body, recipients=tuple(recipients))
    )
    header = payload["blocks"][0]["text"]["text"]
    assert 0 < len(header) <= 150
    assert "\n" not in header
    for block in payload["blocks"][1:]:
        texts = (
            [block["text"]["text"]] if "text" in block else [e["text"] for e in block["elements"]]
        )
        for text in texts:
            assert 0 < len(text) <= 3000
            assert "<" not in text and ">" not in text
    assert len(payload["text"]) <= 3000


@pytest.mark.parametrize(
    ("status", "transient"),
    [
        (500, True),
        (503, True),
        (302, True),
        (408, True),
        (429, True),
        (400, False),
        (401, False),
        (404, False),
        (410, False),
    ],
)
def test_errors_are_transient_or_definitive(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any, status: int, transient: bool
) -> None:
    settings_ = make_settings(legal_webhook(webhook_receiver), env={"LEGAL_HOOK_SECRET": SECRET})
    sender = senders_for(escalation_pm, settings_)["webhook:legal"]
    webhook_receiver.fail_next(status)
    with pytest.raises(NotificationError) as raised:
        sender.deliver(NOTIFICATION)
    assert raised.value.transient is transient
    assert f"HTTP {status}" in str(raised.value)
    assert "/careline" not in str(raised.value)  # the URL path may be a secret


def test_a_slow_receiver_times_out_as_a_transient_error(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any
) -> None:
    webhook_receiver.delay = 0.6
    table = legal_webhook(webhook_receiver, url=webhook_receiver.url("/slow"), timeout="0.2s")
    sender = senders_for(escalation_pm, make_settings(table, env={"LEGAL_HOOK_SECRET": SECRET}))[
        "webhook:legal"
    ]
    with pytest.raises(NotificationError, match=r"no answer within 0\.2s") as raised:
        sender.deliver(NOTIFICATION)
    assert raised.value.transient is True


def test_a_closed_port_is_a_transient_error(
    escalation_pm: Any, make_settings: Any, unused_port: int
) -> None:
    table = {"webhooks": {"legal": {"url": f"http://127.0.0.1:{unused_port}/hook"}}}
    sender = senders_for(escalation_pm, make_settings(table))["webhook:legal"]
    with pytest.raises(NotificationError, match="ConnectError") as raised:
        sender.deliver(NOTIFICATION)
    assert raised.value.transient is True


@pytest.mark.parametrize(
    ("patterns", "recipients", "posted"),
    [
        ([], ("target:legal",), False),
        ([], ("webhook:legal",), True),
        (["legal"], ("target:legal",), True),
        (["role:*"], ("target:pr", "role:supervisor"), True),
        (["role:*"], ("target:pr", "agent:3"), False),
        (["*"], (), True),
    ],
)
def test_a_webhook_posts_only_what_is_addressed_to_it(
    escalation_pm: Any,
    make_settings: Any,
    webhook_receiver: Any,
    patterns: list[str],
    recipients: tuple[str, ...],
    posted: bool,
) -> None:
    table = {"webhooks": {"legal": {"url": webhook_receiver.url(), "recipients": patterns}}}
    sender = senders_for(escalation_pm, make_settings(table))["webhook:legal"]
    notification = Notification(kind="escalation", title="t", body="b", recipients=recipients)
    sender.deliver(notification)
    assert bool(webhook_receiver.deliveries) is posted


def test_disabled_webhooks_and_plugin_provide_no_sender(
    escalation_pm: Any, make_settings: Any, webhook_receiver: Any
) -> None:
    off = {"webhooks": {"legal": {"url": webhook_receiver.url(), "enabled": False}}}
    assert senders_for(escalation_pm, make_settings(off)) == {}
    plugin_off = {"enabled": False, "webhooks": {"legal": {"url": webhook_receiver.url()}}}
    assert senders_for(escalation_pm, make_settings(plugin_off)) == {}
