"""``careline escalation check|senders|test-notification`` (hook careline_register_commands)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from careline.channels import verify_hmac_signature


def configure(home: Path, toml: str) -> None:
    path = home / "careline.toml"
    path.write_text(path.read_text() + "\n" + toml)


def test_check_shows_the_triggers_a_message_fires(
    careline_cli: Any, careline_home: Path, escalation_pm: Any
) -> None:
    configure(careline_home, '[escalation.targets.legal]\nraise_priority = "urgent"\n')
    result = careline_cli(
        "escalation",
        "check",
        "My lawyer says I should speak to your manager about this",
        "--followers",
        "48000",
        "--sentiment",
        "-0.8",
        pm=escalation_pm,
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "public message, sentiment -0.80, topics: none"
    assert any(line.startswith("content:legal → legal: legal matter") for line in lines)
    assert "    priority → urgent" in lines
    assert any(line.startswith("influence → pr:") for line in lines)
    assert any(line.startswith("sentiment:very_negative → supervisor") for line in lines)
    assert any(line.startswith("manager_request → supervisor") for line in lines)


def test_check_a_harmless_private_message(careline_cli: Any, escalation_pm: Any) -> None:
    result = careline_cli(
        "escalation", "check", "Where is my parcel?", "--private", pm=escalation_pm
    )
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "private message, sentiment unknown, topics: none",
        "no escalation",
    ]


def test_senders_and_a_test_notification(
    careline_cli: Any,
    careline_home: Path,
    escalation_pm: Any,
    webhook_receiver: Any,
    mail_receiver: Any,
) -> None:
    configure(
        careline_home,
        f"""
[escalation.webhooks.legal]
url = "{webhook_receiver.url("/legal")}"
secret = "$env:LEGAL_HOOK_SECRET"

[escalation.email]
host = "127.0.0.1"
port = {mail_receiver.port}
security = "none"
from = "careline@acme.example"

[escalation.email.recipients]
legal = ["legal@acme.example"]
""",
    )
    env = {"LEGAL_HOOK_SECRET": "k3y"}
    listed = careline_cli("escalation", "senders", env=env, pm=escalation_pm)
    assert listed.exit_code == 0, listed.output
    assert listed.output.splitlines() == [
        f"webhook:legal: json POST to 127.0.0.1:{webhook_receiver.url().split(':')[2].split('/')[0]} "
        "(signed); receives webhook:legal",
        f"email: SMTP 127.0.0.1:{mail_receiver.port} (none) from careline@acme.example",
        "    legal → legal@acme.example",
    ]
    sent = careline_cli("escalation", "test-notification", env=env, pm=escalation_pm)
    assert sent.exit_code == 0, sent.output
    assert sent.output.splitlines() == ["webhook:legal: delivered", "email: delivered"]
    (delivery,) = webhook_receiver.deliveries
    assert delivery.json()["kind"] == "test"
    assert verify_hmac_signature("k3y", delivery.body, delivery.headers["x-careline-signature"])
    ((_, rcpt_tos, _),) = mail_receiver.messages
    assert rcpt_tos == ["legal@acme.example"]

    webhook_receiver.fail_next(404)
    failed = careline_cli(
        "escalation", "test-notification", "--sender", "webhook:legal", env=env, pm=escalation_pm
    )
    assert failed.exit_code == 1
    assert "webhook:legal: FAILED (definitive): webhook legal (127.0.0.1" in failed.output
    routed = careline_cli(
        "escalation", "test-notification", "--recipient", "target:pr", env=env, pm=escalation_pm
    )
    assert routed.exit_code == 0, routed.output
    assert "webhook:legal: nobody to send to (target:pr), skipped" in routed.output


def test_an_unknown_sender_and_bad_configuration_are_one_line_errors(
    careline_cli: Any, careline_home: Path, escalation_pm: Any
) -> None:
    unknown = careline_cli(
        "escalation", "test-notification", "--sender", "webhook:x", pm=escalation_pm
    )
    assert unknown.exit_code != 0
    assert "no sender named webhook:x (known: none configured)" in unknown.output
    configure(careline_home, "[escalation.sentiment]\nthreshold = -2\n")
    bad = careline_cli("escalation", "check", "hello", pm=escalation_pm)
    assert bad.exit_code != 0
    assert "escalation.sentiment.threshold" in bad.output
