"""Account Activity signatures and the CRC answer: X's test vectors, and tampering properties."""

from __future__ import annotations

import json

from careline.channels import WebhookRequest
from careline_twitter.channel import TwitterChannel
from careline_twitter.signatures import (
    SIGNATURE_HEADER,
    crc_response_token,
    signature_header_value,
    verify_signature,
)
from hypothesis import given, settings
from hypothesis import strategies as st

CRC_VECTOR = ("test", "challenge_string", "sha256=SYYKwb5URQ4OnNXL3KWDH9ph6EIaP+4PTQFxLk5FIK4=")
BODY_VECTOR = (
    "test",
    b'{"test_number":1,"test_string":"two"}',
    "sha256=YWHphPn/JFq43jkF0y4/w8R/SelmLjvpunhVFY8JhlI=",
)


def _channel(secret: str = "test") -> TwitterChannel:
    return TwitterChannel({"consumer_secret": secret})


def _post(body: bytes, signature: str | None) -> WebhookRequest:
    headers = {SIGNATURE_HEADER: signature} if signature is not None else {}
    return WebhookRequest("POST", "/webhooks/twitter", {}, headers, body)


def test_crc_answer_matches_x_test_vector() -> None:
    secret, token, expected = CRC_VECTOR
    assert crc_response_token(secret, token) == expected


def test_channel_answers_the_crc_check() -> None:
    secret, token, expected = CRC_VECTOR
    request = WebhookRequest("GET", "/webhooks/twitter", {"crc_token": token}, {}, b"")
    answer = _channel(secret).answer_challenge(request)
    assert answer is not None
    assert answer.status == 200
    assert answer.body == {"response_token": expected}
    assert answer.media_type == "application/json"


def test_crc_without_token_or_secret_is_refused_and_posts_are_not_challenges() -> None:
    no_token = WebhookRequest("GET", "/webhooks/twitter", {}, {}, b"")
    answer = _channel().answer_challenge(no_token)
    assert answer is not None and answer.status == 400
    unconfigured = TwitterChannel({}).answer_challenge(
        WebhookRequest("GET", "/webhooks/twitter", {"crc_token": "x"}, {}, b"")
    )
    assert unconfigured is not None and unconfigured.status == 503
    assert _channel().answer_challenge(_post(b"{}", None)) is None


def test_delivery_signature_matches_x_test_vector() -> None:
    secret, body, expected = BODY_VECTOR
    assert signature_header_value(secret, body) == expected
    assert _channel(secret).verify_webhook(_post(body, expected))


def test_hex_signature_or_missing_secret_is_rejected() -> None:
    secret, body, _ = BODY_VECTOR
    hex_digest = "sha256=" + "61" * 32
    assert not _channel(secret).verify_webhook(_post(body, hex_digest))
    assert not TwitterChannel({}).verify_webhook(_post(body, signature_header_value("", body)))
    assert not verify_signature(None, body, signature_header_value(secret, body))


@settings(max_examples=80)
@given(
    body=st.binary(min_size=1, max_size=300),
    position=st.integers(min_value=0),
    flip=st.integers(1, 255),
)
def test_a_tampered_body_is_always_rejected(body: bytes, position: int, flip: int) -> None:
    channel = _channel("consumer-secret")
    signature = signature_header_value("consumer-secret", body)
    assert channel.verify_webhook(_post(body, signature))
    index = position % len(body)
    tampered = body[:index] + bytes([body[index] ^ flip]) + body[index + 1 :]
    assert not channel.verify_webhook(_post(tampered, signature))


@settings(max_examples=80)
@given(body=st.binary(max_size=200), signature=st.text(max_size=60))
def test_a_forged_signature_is_always_rejected(body: bytes, signature: str) -> None:
    genuine = signature_header_value("consumer-secret", body)
    if signature == genuine:
        return
    assert not _channel("consumer-secret").verify_webhook(_post(body, signature))


@settings(max_examples=40)
@given(
    document=st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=8), max_size=5)
)
def test_signature_from_another_secret_is_rejected(document: dict[str, object]) -> None:
    body = json.dumps(document).encode()
    assert not _channel("right").verify_webhook(_post(body, signature_header_value("wrong", body)))
