"""Sending replies: a public reply (``POST /2/tweets``) or a DM, as the brand account.

X has no idempotency key. A reply that already went out in this process (same outbox
``idempotency_key``) is answered from memory instead of being posted again; across processes,
X's own duplicate-content refusal is the last guard.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from careline.channels import OutboundMessage, SendError, SendResult
from careline.types import Visibility

from careline_twitter.client import Credential, XClient
from careline_twitter.ids import is_id

REMEMBERED_SENDS = 2048


class Sender:
    """Sends outbound messages through an :class:`XClient`."""

    def __init__(self, client: XClient) -> None:
        self.client = client
        self._sent: OrderedDict[str, SendResult] = OrderedDict()
        self._lock = threading.Lock()

    def send(self, message: OutboundMessage) -> SendResult:
        """Send ``message``; raise :class:`SendError` classified for the outbox."""
        with self._lock:
            if message.idempotency_key in self._sent:
                return self._sent[message.idempotency_key]
        if not is_id(message.account):
            raise SendError(
                f"{message.account!r} is not an X account id", transient=False, code="bad_account"
            )
        if message.private_reply_to is not None:
            raise SendError(
                "X has no private replies to public posts: send a DM instead",
                transient=False,
                code="unsupported",
            )
        if message.visibility is Visibility.PUBLIC:
            result = self._reply(message)
        else:
            result = self._direct_message(message)
        with self._lock:
            self._sent[message.idempotency_key] = result
            while len(self._sent) > REMEMBERED_SENDS:
                self._sent.popitem(last=False)
        return result

    def _reply(self, message: OutboundMessage) -> SendResult:
        body: dict[str, object] = {"text": message.text}
        if message.in_reply_to is not None:
            if not is_id(message.in_reply_to):
                raise SendError(
                    f"cannot reply to {message.in_reply_to!r}: not an X post id",
                    transient=False,
                    code="bad_reply_target",
                )
            body["reply"] = {"in_reply_to_tweet_id": message.in_reply_to}
        response = self.client.request(
            "POST",
            "POST /2/tweets",
            "/2/tweets",
            credential=Credential.user(message.account),
            action="a public reply",
            body=body,
        )
        post_id = _data(response.document).get("id")
        if not is_id(post_id):
            raise SendError("X accepted the reply but returned no post id", transient=False)
        assert isinstance(post_id, str)
        return SendResult(external_id=post_id, raw=dict(response.document))

    def _direct_message(self, message: OutboundMessage) -> SendResult:
        recipient = message.recipient_id
        if recipient is None or not is_id(recipient):
            raise SendError(
                f"cannot send a DM to {recipient!r}: not an X user id",
                transient=False,
                code="bad_recipient",
            )
        response = self.client.request(
            "POST",
            "POST /2/dm_conversations/with/:participant_id/messages",
            f"/2/dm_conversations/with/{recipient}/messages",
            credential=Credential.user(message.account),
            action="a direct message",
            body={"text": message.text},
        )
        event_id = _data(response.document).get("dm_event_id")
        if not is_id(event_id):
            raise SendError("X accepted the DM but returned no event id", transient=False)
        assert isinstance(event_id, str)
        return SendResult(external_id=event_id, raw=dict(response.document))


def _data(document: Mapping[str, Any]) -> Mapping[str, Any]:
    data = document.get("data")
    if not isinstance(data, Mapping):
        raise SendError("X accepted the request but its answer has no data", transient=False)
    return data
