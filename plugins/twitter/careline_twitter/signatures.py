"""Account Activity signatures: the CRC answer and the delivery signature header.

Both are ``"sha256=" + base64(HMAC-SHA256(consumer_secret, message))`` — base64, unlike Meta's
hex digests.
"""

from __future__ import annotations

from careline.channels import hmac_signature, verify_hmac_signature

SIGNATURE_HEADER = "x-twitter-webhooks-signature"
PREFIX = "sha256="


def crc_response_token(consumer_secret: str, crc_token: str) -> str:
    """The ``response_token`` that answers X's challenge-response check for ``crc_token``."""
    return PREFIX + hmac_signature(consumer_secret, crc_token.encode("utf-8"), encoding="base64")


def signature_header_value(consumer_secret: str, body: bytes) -> str:
    """The ``x-twitter-webhooks-signature`` value X sends with ``body``."""
    return PREFIX + hmac_signature(consumer_secret, body, encoding="base64")


def verify_signature(consumer_secret: str | None, body: bytes, header_value: str | None) -> bool:
    """Whether ``header_value`` signs ``body`` with ``consumer_secret`` (constant-time compare)."""
    if not consumer_secret:
        return False
    return verify_hmac_signature(
        consumer_secret, body, header_value, prefix=PREFIX, encoding="base64"
    )
