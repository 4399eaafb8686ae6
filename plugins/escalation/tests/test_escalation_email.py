"""The e-mail sender against a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

from typing import Any

import pytest
from careline.clock import FrozenClock
from careline.notifications import NotificationError
from careline.types import Notification
from careline_escalation.config import EmailConfig
from careline_escalation.email_sender import build_message
from hypothesis import given, settings
from hypothesis import strategies as st

NOTIFICATION = Notification(
    kind="escalation",
    title="Escalated to legal: legal matter: the message says 'see you in court'",
    body="Conversation #42 on facebook was escalated to legal (content:legal).",
    recipients=("target:legal", "email:counsel@acme.example"),
    conversation_id=42,
    url="https://care.acme.example/inbox/conversations/42",
)


def email_table(receiver: Any, **changes: Any) -> dict[str, Any]:
    table = {
        "host": receiver.host,
        "port": receiver.port,
        "security": "none",
        "from": "careline@acme.example",
        "recipients": {"legal": ["legal@acme.example"], "role:supervisor": ["leads@acme.example"]},
    }
    table.update(changes)
    return {"email": table}


def email_sender(pm: Any, settings_: Any) -> Any:
    groups = pm.hook.careline_notification_senders(settings=settings_)
    (sender,) = [s for group in groups for s in group or [] if s.name == "email"]
    return sender


def test_a_real_email_reaches_the_mapped_and_explicit_addresses(
    escalation_pm: Any, make_settings: Any, mail_receiver: Any
) -> None:
    sender = email_sender(escalation_pm, make_settings(email_table(mail_receiver)))
    sender.deliver(NOTIFICATION)
    ((mail_from, rcpt_tos, message),) = mail_receiver.messages
    assert mail_from == "careline@acme.example"
    assert sorted(rcpt_tos) == ["counsel@acme.example", "legal@acme.example"]
    assert message["Subject"] == f"[careline] {NOTIFICATION.title}"
    assert message["X-Careline-Conversation"] == "42"
    assert message["Message-ID"].endswith("@acme.example>")
    text = message.get_content()
    assert NOTIFICATION.body in text
    assert "Open the conversation: https://care.acme.example/inbox/conversations/42" in text


def test_login_uses_the_password_from_the_environment(
    escalation_pm: Any, make_settings: Any, mail_receiver: Any
) -> None:
    table = email_table(mail_receiver, username="careline", password="$env:SMTP_PASSWORD")
    sender = email_sender(escalation_pm, make_settings(table, env={"SMTP_PASSWORD": "s3cret-smtp"}))
    sender.deliver(NOTIFICATION)
    assert mail_receiver.logins == [("careline", "s3cret-smtp")]
    assert len(mail_receiver.messages) == 1


def test_a_refused_login_is_definitive(
    escalation_pm: Any, make_settings: Any, mail_receiver: Any
) -> None:
    table = email_table(mail_receiver, username="careline", password="$env:SMTP_PASSWORD")
    sender = email_sender(escalation_pm, make_settings(table, env={"SMTP_PASSWORD": "wrong"}))
    with pytest.raises(NotificationError, match="login refused") as raised:
        sender.deliver(NOTIFICATION)
    assert raised.value.transient is False
    assert "wrong" not in str(raised.value)
    assert mail_receiver.messages == []


def test_refused_recipients(escalation_pm: Any, make_settings: Any, mail_receiver: Any) -> None:
    sender = email_sender(escalation_pm, make_settings(email_table(mail_receiver)))
    mail_receiver.refuse_recipients = {"counsel@acme.example", "legal@acme.example"}
    with pytest.raises(NotificationError, match="every recipient refused") as raised:
        sender.deliver(NOTIFICATION)
    assert raised.value.transient is False
    mail_receiver.refuse_recipients = {"counsel@acme.example"}
    sender.deliver(NOTIFICATION)  # partly refused: the others get it, no retry duplicates it
    ((_, rcpt_tos, _),) = mail_receiver.messages
    assert rcpt_tos == ["legal@acme.example"]


def test_no_server_is_a_transient_error(
    escalation_pm: Any, make_settings: Any, unused_port: int
) -> None:
    table = {
        "email": {
            "host": "127.0.0.1",
            "port": unused_port,
            "security": "none",
            "from": "c@acme.example",
        }
    }
    sender = email_sender(escalation_pm, make_settings(table))
    with pytest.raises(NotificationError, match="ConnectionRefusedError") as raised:
        sender.deliver(NOTIFICATION)
    assert raised.value.transient is True


def test_a_notification_for_nobody_with_an_address_sends_nothing(
    escalation_pm: Any, make_settings: Any, mail_receiver: Any
) -> None:
    sender = email_sender(escalation_pm, make_settings(email_table(mail_receiver)))
    other = Notification(
        kind="escalation", title="t", body="b", recipients=("target:pr", "agent:4")
    )
    assert sender.accepts(other) is False
    sender.deliver(other)
    assert mail_receiver.messages == []


@settings(max_examples=80)
@given(
    title=st.text(max_size=200), body=st.text(max_size=500), kind=st.text(min_size=1, max_size=30)
)
def test_any_title_makes_a_well_formed_message(title: str, body: str, kind: str) -> None:
    config = EmailConfig.model_validate({"host": "smtp.x", "from": "c@acme.example"})
    notification = Notification(kind=kind, title=title, body=body, conversation_id=3)
    message = build_message(config, notification, ["a@acme.example"], FrozenClock())
    rendered = message.as_bytes()
    header_block = rendered.split(b"\n\n", 1)[0]
    assert header_block.count(b"\nSubject:") + header_block.startswith(b"Subject:") == 1
    assert message["To"] == "a@acme.example"
