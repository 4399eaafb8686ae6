"""Properties of signatures and parsing, over many generated inputs (hypothesis)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from careline.channels import ParseError, WebhookRequest, hmac_signature
from careline.config import ConfigError
from careline.types import Direction
from careline_contact_form.channel import ContactFormChannel
from careline_contact_form.config import parse_config
from hypothesis import given, settings
from hypothesis import strategies as st

SECRET = "test-signing-secret"
CHANNEL = ContactFormChannel({"secret": SECRET, "api_token": "t"})

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=15), children, max_size=6)
    ),
    max_leaves=25,
)
form_like = st.fixed_dictionaries(
    {},
    optional={
        "type": st.sampled_from(["submission", "reply", "other"]) | json_values,
        "id": st.text(max_size=10) | json_values,
        "submitted_at": st.sampled_from(["2026-01-05T09:00:00+00:00", "2026-01-05", "x"])
        | json_values,
        "sent_at": st.just("2026-01-05T09:00:00Z") | json_values,
        "email": st.emails() | json_values,
        "to_email": st.emails() | json_values,
        "name": st.text(max_size=20) | json_values,
        "message": st.text(max_size=40) | json_values,
        "text": st.text(max_size=40) | json_values,
    },
)


def request(body: bytes, signature: str | None) -> WebhookRequest:
    headers = {} if signature is None else {"x-signature": signature}
    return WebhookRequest("POST", "/webhooks/contactform", {}, headers, body)


@settings(max_examples=200, deadline=None)
@given(body=st.binary(max_size=300), data=st.data())
def test_only_the_exact_body_and_signature_are_accepted(body: bytes, data: st.DataObject) -> None:
    signature = "sha256=" + hmac_signature(SECRET, body)
    assert CHANNEL.verify_webhook(request(body, signature))
    other = data.draw(st.binary(max_size=300).filter(lambda b: b != body), label="other body")
    assert not CHANNEL.verify_webhook(request(other, signature))
    position = data.draw(st.integers(0, len(signature) - 1), label="position")
    replacement = data.draw(st.sampled_from("0123456789abcdefX="), label="char")
    tampered = signature[:position] + replacement + signature[position + 1 :]
    if tampered != signature:
        assert not CHANNEL.verify_webhook(request(body, tampered))
    assert not CHANNEL.verify_webhook(request(body, None))
    assert not CHANNEL.verify_webhook(request(body, hmac_signature(SECRET, body)))  # no prefix
    assert not CHANNEL.verify_webhook(request(body, "sha256=" + hmac_signature("other", body)))


@given(body=st.binary(max_size=200))
def test_without_a_secret_nothing_is_accepted(body: bytes) -> None:
    unconfigured = ContactFormChannel({})
    assert not unconfigured.verify_webhook(request(body, "sha256=" + hmac_signature("", body)))


@settings(max_examples=300, deadline=None)
@given(payload=form_like | json_values)
def test_arbitrary_json_only_raises_parse_error(payload: Any) -> None:
    try:
        messages = CHANNEL.parse(json.dumps(payload).encode())
    except ParseError:
        return
    [message] = messages
    assert message.created_at.tzinfo is not None
    assert message.participant_id == message.participant_id.lower()


@given(
    email=st.emails(),
    name=st.text(max_size=40),
    message=st.text(min_size=1, max_size=200),
    shout=st.booleans(),
)
def test_a_valid_submission_is_one_private_customer_message(
    email: str, name: str, message: str, shout: bool
) -> None:
    sent = email.upper() if shout else email
    body = json.dumps(
        {
            "id": "42",
            "submitted_at": "2026-01-05T10:00:00+01:00",
            "email": f" {sent} ",
            "name": name,
            "message": message,
        }
    ).encode()
    [parsed] = CHANNEL.parse(body)
    assert parsed.direction is Direction.INBOUND
    assert parsed.external_id == "s:42"
    assert parsed.participant_id == email.lower()  # one conversation per address
    assert parsed.text == message


def test_configuration_errors_name_the_key() -> None:
    with pytest.raises(ConfigError, match=r"contactform\.base_url"):
        parse_config({"base_url": "ftp://example.com"})
    with pytest.raises(ConfigError, match=r"contactform\.secrt"):
        parse_config({"secrt": "x"})
    assert "hunter2" not in repr(parse_config({"secret": "hunter2"}))


def test_startup_rejects_a_bad_table(careline_runtime: Any) -> None:
    with pytest.raises(ConfigError, match=r"contactform\.timeout"):
        careline_runtime("careline-contact-form", config={"contactform": {"timeout": 0}})
