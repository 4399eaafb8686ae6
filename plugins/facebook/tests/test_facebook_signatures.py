"""X-Hub-Signature-256 verification and the hub verification challenge."""

from __future__ import annotations

import hashlib
import hmac

from careline.channels import WebhookRequest
from careline_facebook.channel import FacebookChannel
from careline_facebook.webhooks import answer_hub_challenge, signature_headers, verify_signature
from hypothesis import given, settings
from hypothesis import strategies as st

# The well-known HMAC-SHA256 test vector (key "key", the quick brown fox).
VECTOR_KEY = "key"
VECTOR_BODY = b"The quick brown fox jumps over the lazy dog"
VECTOR_HEX = "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"


def request(body: bytes, headers: dict[str, str], method: str = "POST", **query: str):
    return WebhookRequest(
        method=method, path="/webhooks/facebook", query=query, headers=headers, body=body
    )


def channel(secret: str = VECTOR_KEY, verify_token: str = "s3cret-verify") -> FacebookChannel:
    return FacebookChannel(
        {
            "page_id": "370873143344730",
            "access_token": "t",
            "app_secret": secret,
            "verify_token": verify_token,
        }
    )


def test_the_documented_vector_is_accepted() -> None:
    signed = request(VECTOR_BODY, {"x-hub-signature-256": f"sha256={VECTOR_HEX}"})
    assert channel().verify_webhook(signed)
    assert signature_headers(VECTOR_KEY, VECTOR_BODY)["x-hub-signature-256"] == (
        f"sha256={VECTOR_HEX}"
    )


def test_the_vector_with_another_secret_is_rejected() -> None:
    signed = request(VECTOR_BODY, {"x-hub-signature-256": f"sha256={VECTOR_HEX}"})
    assert not channel(secret="other").verify_webhook(signed)


def test_the_legacy_sha1_header_alone_is_not_enough() -> None:
    sha1 = hmac.new(VECTOR_KEY.encode(), VECTOR_BODY, hashlib.sha1).hexdigest()
    assert not channel().verify_webhook(request(VECTOR_BODY, {"x-hub-signature": f"sha1={sha1}"}))


def test_without_an_app_secret_every_delivery_is_refused() -> None:
    unconfigured = FacebookChannel({})
    signed = request(VECTOR_BODY, {"x-hub-signature-256": f"sha256={VECTOR_HEX}"})
    assert not unconfigured.verify_webhook(signed)


def test_signature_of_other_formats_is_rejected() -> None:
    for value in (VECTOR_HEX, f"sha1={VECTOR_HEX}", f"sha256={VECTOR_HEX.upper()}", "sha256="):
        assert not channel().verify_webhook(request(VECTOR_BODY, {"x-hub-signature-256": value}))


secrets = st.text(min_size=1, max_size=40)
bodies = st.binary(min_size=1, max_size=300)


@settings(max_examples=80)
@given(secret=secrets, body=bodies)
def test_signed_bodies_verify(secret: str, body: bytes) -> None:
    assert verify_signature(secret, request(body, signature_headers(secret, body)))


@settings(max_examples=80)
@given(secret=secrets, body=bodies, data=st.data())
def test_any_tampered_body_is_rejected(secret: str, body: bytes, data: st.DataObject) -> None:
    headers = signature_headers(secret, body)
    position = data.draw(st.integers(0, len(body) - 1))
    flip = data.draw(st.integers(1, 255))
    tampered = body[:position] + bytes([body[position] ^ flip]) + body[position + 1 :]
    assert not verify_signature(secret, request(tampered, headers))
    assert not verify_signature(secret, request(body + b" ", headers))


@settings(max_examples=80)
@given(secret=secrets, body=bodies, data=st.data())
def test_any_tampered_signature_is_rejected(secret: str, body: bytes, data: st.DataObject) -> None:
    good = signature_headers(secret, body)["x-hub-signature-256"]
    position = data.draw(st.integers(len("sha256="), len(good) - 1))
    replacement = data.draw(
        st.sampled_from("0123456789abcdef").filter(lambda c: c != good[position])
    )
    bad = good[:position] + replacement + good[position + 1 :]
    assert not verify_signature(secret, request(body, {"x-hub-signature-256": bad}))


@settings(max_examples=50)
@given(secret=secrets, other=secrets, body=bodies)
def test_a_signature_made_with_another_secret_is_rejected(
    secret: str, other: str, body: bytes
) -> None:
    if other == secret:
        return
    assert not verify_signature(secret, request(body, signature_headers(other, body)))


# --- hub verification challenge ------------------------------------------------------------------
def test_the_challenge_is_echoed_when_the_verify_token_matches() -> None:
    answer = channel().answer_challenge(
        request(
            b"",
            {},
            "GET",
            **{
                "hub.mode": "subscribe",
                "hub.challenge": "1158201444",
                "hub.verify_token": "s3cret-verify",
            },
        )
    )
    assert answer is not None
    assert (answer.status, answer.body, answer.media_type) == (200, "1158201444", "text/plain")


def test_a_wrong_verify_token_gets_403() -> None:
    answer = channel().answer_challenge(
        request(
            b"",
            {},
            "GET",
            **{"hub.mode": "subscribe", "hub.challenge": "1158201444", "hub.verify_token": "guess"},
        )
    )
    assert answer is not None
    assert answer.status == 403
    assert "1158201444" not in str(answer.body)


def test_without_a_verify_token_configured_the_challenge_fails() -> None:
    answer = answer_hub_challenge(
        None,
        request(
            b"",
            {},
            "GET",
            **{"hub.mode": "subscribe", "hub.challenge": "1", "hub.verify_token": ""},
        ),
    )
    assert answer is not None
    assert answer.status == 403


def test_deliveries_are_not_challenges() -> None:
    assert channel().answer_challenge(request(b"{}", {})) is None
    assert channel().answer_challenge(request(b"", {}, "GET")) is None
