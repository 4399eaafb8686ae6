"""Signed Account Activity deliveries from the emulator to a registered webhook URL.

Like X, registering a URL first runs a CRC check against it (``GET ?crc_token=…`` must answer
the right ``response_token``); deliveries are POSTed with ``x-twitter-webhooks-signature`` by a
background thread, retried a few times when the target fails, and can be repeated on purpose
(duplicates, and older deliveries sent again after newer ones).
"""

from __future__ import annotations

import json
import logging
import queue
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from careline_twitter.signatures import SIGNATURE_HEADER, crc_response_token, signature_header_value

log = logging.getLogger("careline_twitter.emulator")
RETRY_DELAYS = (0.05, 0.2, 1.0)


class WebhookRegistrationError(Exception):
    """The target URL did not pass X's CRC check."""


@dataclass
class Delivery:
    """One Account Activity delivery: the exact body, its signed headers and what became of it."""

    for_user_id: str
    body: bytes
    headers: dict[str, str]
    attempts: int = 0
    statuses: list[int] = field(default_factory=list)

    @property
    def document(self) -> Any:
        """The decoded body."""
        return json.loads(self.body)


def encode_delivery(document: dict[str, Any]) -> bytes:
    """A delivery body as X sends it (compact JSON; big ids stay exact integers)."""
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_headers(consumer_secret: str, body: bytes) -> dict[str, str]:
    """The headers X sends with a delivery body."""
    return {
        "content-type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: signature_header_value(consumer_secret, body),
    }


def crc_check(url: str, consumer_secret: str, *, timeout: float = 5.0) -> None:
    """Run X's challenge-response check against ``url``; raise when it fails."""
    token = secrets.token_urlsafe(24)
    try:
        response = httpx.get(url, params={"crc_token": token}, timeout=timeout)
    except httpx.HTTPError as error:
        raise WebhookRegistrationError(f"CRC check could not reach {url}: {error}") from None
    expected = crc_response_token(consumer_secret, token)
    try:
        answer = response.json().get("response_token")
    except (ValueError, AttributeError):
        answer = None
    if response.status_code != 200 or answer != expected:
        raise WebhookRegistrationError(
            f"CRC check failed for {url}: HTTP {response.status_code}, "
            f"{'wrong' if answer else 'no'} response_token"
        )


class Dispatcher:
    """Posts queued deliveries to the registered URL from one background thread."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        self.url = url
        self._queue: queue.Queue[Delivery | None] = queue.Queue()
        self._client = httpx.Client(timeout=timeout)
        self._thread = threading.Thread(target=self._run, name="x-emulator-webhooks", daemon=True)
        self._thread.start()

    def submit(self, delivery: Delivery) -> None:
        """Queue a delivery (in order)."""
        self._queue.put(delivery)

    def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every queued delivery was attempted; ``False`` on timeout."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        """Stop the thread after the queued deliveries."""
        self._queue.put(None)
        self._thread.join(timeout=10)
        self._client.close()

    def _run(self) -> None:
        while True:
            delivery = self._queue.get()
            try:
                if delivery is None:
                    return
                self._post(delivery)
            finally:
                self._queue.task_done()

    def _post(self, delivery: Delivery) -> None:
        for delay in (0.0, *RETRY_DELAYS):
            time.sleep(delay)
            delivery.attempts += 1
            try:
                response = self._client.post(
                    self.url, content=delivery.body, headers=delivery.headers
                )
            except httpx.HTTPError as error:
                log.warning("delivery to %s failed: %s", self.url, error)
                delivery.statuses.append(0)
                continue
            delivery.statuses.append(response.status_code)
            if response.status_code < 300:
                return
