"""Private messaging as Meta runs it, for both emulators: threads, windows, private replies.

The rules enforced here are the ones careline must respect *before* sending:

- ``messaging_type: RESPONSE`` (or ``UPDATE``) only within 24 h of the person's last message;
- ``MESSAGE_TAG`` with ``tag: HUMAN_AGENT`` up to 7 days after it (other tags are retired);
- a private reply to a comment (``recipient.comment_id``) once per comment, within 7 days;
- otherwise ``(#10) This message is sent outside of allowed window.`` (10 / 2018278).
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from careline_facebook.emulator.core import (
    GraphApiError,
    MetaEmulatorState,
    edge_modifier,
    invalid_parameter,
    not_found,
    paged,
    window_error,
)
from careline_facebook.payload import to_graph_time

STANDARD_WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)


@dataclass
class PrivateMessage:
    """One message in a private thread."""

    mid: str
    sender: str
    recipient: str
    text: str
    created: datetime
    attachments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class PrivateThread:
    """The private conversation between a brand account and one person."""

    id: str
    account: str
    user: str
    messages: list[PrivateMessage] = field(default_factory=list)
    last_inbound: datetime | None = None

    @property
    def updated(self) -> datetime | None:
        """When the last message was written."""
        return self.messages[-1].created if self.messages else None


@dataclass(frozen=True)
class CommentRef:
    """What a private reply needs to know about the comment it answers."""

    comment_id: str
    author: str
    messaging_user: str
    created: datetime
    already_replied: bool


CommentLookup = Callable[[str, str], CommentRef]
Profile = Callable[[str], dict[str, Any]]


class PrivateMessaging:
    """The threads of every account of an emulator, and the send rules above."""

    def __init__(
        self,
        state: MetaEmulatorState,
        *,
        max_length: int,
        comment_lookup: CommentLookup,
        mark_replied: Callable[[str], None],
        profile: Profile,
        require_messaging_type: bool,
    ) -> None:
        self.state = state
        self.max_length = max_length
        self.comment_lookup = comment_lookup
        self.mark_replied = mark_replied
        self.profile = profile
        self.require_messaging_type = require_messaging_type
        self.threads: dict[tuple[str, str], PrivateThread] = {}
        self.unavailable: set[str] = set()

    def thread(self, account: str, user: str) -> PrivateThread:
        """The thread of ``account`` with ``user`` (created on first use)."""
        with self.state.lock:
            key = (account, user)
            if key not in self.threads:
                self.threads[key] = PrivateThread(
                    id=f"t_{self.state.next_number()}", account=account, user=user
                )
            return self.threads[key]

    def _new_message(
        self,
        thread: PrivateThread,
        sender: str,
        recipient: str,
        text: str,
        attachments: list[dict[str, Any]],
    ) -> PrivateMessage:
        message = PrivateMessage(
            mid="m_" + secrets.token_urlsafe(18),
            sender=sender,
            recipient=recipient,
            text=text,
            created=self.state.now(),
            attachments=attachments,
        )
        thread.messages.append(message)
        return message

    # --- the customer's side -----------------------------------------------------------------
    def customer_writes(
        self,
        account: str,
        user: str,
        text: str,
        *,
        attachments: list[dict[str, Any]] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> PrivateMessage:
        """The person writes privately: the window (re)opens and a webhook is delivered."""
        with self.state.lock:
            thread = self.thread(account, user)
            message = self._new_message(thread, user, account, text, list(attachments or []))
            thread.last_inbound = message.created
            body: dict[str, Any] = {"mid": message.mid}
            if text:
                body["text"] = text
            if message.attachments:
                body["attachments"] = message.attachments
            body.update(extra or {})
            self.state.queue_delivery(
                account, messaging=[self._event(user, account, message, body)]
            )
        self.state.flush_deliveries()
        return message

    def _event(
        self, sender: str, recipient: str, message: PrivateMessage, body: Mapping[str, Any]
    ) -> dict[str, Any]:
        return {
            "sender": {"id": sender},
            "recipient": {"id": recipient},
            "timestamp": int(message.created.timestamp() * 1000),
            "message": dict(body),
        }

    # --- the brand's side (POST /{account}/messages) -----------------------------------------
    def brand_sends(self, account: str, params: Mapping[str, Any]) -> dict[str, Any]:
        """Validate and deliver a send; answer like Meta's Send API."""
        recipient = _as_mapping(params.get("recipient"), "recipient")
        message = _as_mapping(params.get("message"), "message")
        text = message.get("text")
        if not isinstance(text, str) or not text.strip():
            raise invalid_parameter("param message[text] must be a non-empty UTF-8 encoded string")
        if len(text) > self.max_length:
            raise invalid_parameter(
                f"Length of param message[text] must be less than or equal to {self.max_length}"
            )
        with self.state.lock:
            if recipient.get("comment_id"):
                thread = self._private_reply_thread(account, str(recipient["comment_id"]))
            elif recipient.get("id"):
                thread = self._window_checked_thread(account, str(recipient["id"]), params)
            else:
                raise invalid_parameter("param recipient must have an id or a comment_id")
            sent = self._new_message(thread, account, thread.user, text, [])
            echo = {"mid": sent.mid, "text": text, "is_echo": True, "app_id": 1234567890}
            self.state.queue_delivery(
                account, messaging=[self._event(account, thread.user, sent, echo)]
            )
        self.state.flush_deliveries()
        return {"recipient_id": thread.user, "message_id": sent.mid}

    def _private_reply_thread(self, account: str, comment_id: str) -> PrivateThread:
        ref = self.comment_lookup(account, comment_id)
        if ref.author == account:
            raise invalid_parameter("cannot send a private reply to your own comment")
        if ref.already_replied:
            raise GraphApiError("(#10900) Activity already replied to", code=10900)
        if self.state.now() - ref.created > PRIVATE_REPLY_WINDOW:
            raise window_error()
        self.mark_replied(comment_id)
        return self.thread(account, ref.messaging_user)

    def _window_checked_thread(
        self, account: str, user: str, params: Mapping[str, Any]
    ) -> PrivateThread:
        thread = self.threads.get((account, user))
        if thread is None:
            raise GraphApiError("(#100) No matching user found", code=100, subcode=2018001)
        if user in self.unavailable:
            raise GraphApiError(
                "(#551) This person isn't available right now.", code=551, subcode=1545041
            )
        messaging_type = params.get("messaging_type")
        if messaging_type is None and self.require_messaging_type:
            raise invalid_parameter("param messaging_type is required")
        elapsed = self.state.now() - thread.last_inbound if thread.last_inbound else None
        if messaging_type in (None, "RESPONSE", "UPDATE"):
            if elapsed is None or elapsed > STANDARD_WINDOW:
                raise window_error()
        elif messaging_type == "MESSAGE_TAG":
            if params.get("tag") != "HUMAN_AGENT":
                raise invalid_parameter("param tag must be HUMAN_AGENT (other tags are retired)")
            if elapsed is None or elapsed > HUMAN_AGENT_WINDOW:
                raise window_error()
        else:
            raise invalid_parameter(f"unknown messaging_type {messaging_type!r}")
        return thread

    # --- reading (GET /{account}/conversations, GET /{thread}/messages) -----------------------
    def conversations(self, account: str, params: Mapping[str, Any], path: str) -> dict[str, Any]:
        """The account's threads, most recently updated first, with their newest messages."""
        fields = str(params.get("fields", ""))
        nested_limit = edge_modifier(fields, "messages", "limit") or 25
        with self.state.lock:
            threads = [
                t for (owner, _), t in self.threads.items() if owner == account and t.messages
            ]
        threads.sort(key=lambda t: t.updated or self.state.now(), reverse=True)
        page = paged(threads, limit=params.get("limit"), after=params.get("after"), path=path)
        page["data"] = [
            {
                "id": thread.id,
                "updated_time": to_graph_time(thread.updated or self.state.now()),
                "messages": self._messages_page(
                    thread, {"limit": nested_limit}, f"{thread.id}/messages"
                ),
            }
            for thread in page["data"]
        ]
        return page

    def thread_messages(
        self, thread_id: str, params: Mapping[str, Any], path: str
    ) -> tuple[str, dict[str, Any]]:
        """``(account, page)`` of a thread's messages, newest first."""
        with self.state.lock:
            thread = next((t for t in self.threads.values() if t.id == thread_id), None)
        if thread is None:
            raise not_found(thread_id)
        return thread.account, self._messages_page(thread, params, path)

    def _messages_page(
        self, thread: PrivateThread, params: Mapping[str, Any], path: str
    ) -> dict[str, Any]:
        newest_first = list(reversed(thread.messages))
        page = paged(newest_first, limit=params.get("limit"), after=params.get("after"), path=path)
        page["data"] = [self._graph_message(m) for m in page["data"]]
        return page

    def _graph_message(self, message: PrivateMessage) -> dict[str, Any]:
        graph: dict[str, Any] = {
            "id": message.mid,
            "message": message.text,
            "from": self.profile(message.sender),
            "to": {"data": [self.profile(message.recipient)]},
            "created_time": to_graph_time(message.created),
        }
        urls = [a.get("payload", {}).get("url") for a in message.attachments]
        if any(urls):
            graph["attachments"] = {"data": [{"image_data": {"url": u}} for u in urls if u]}
        return graph


def _as_mapping(value: Any, name: str) -> Mapping[str, Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise invalid_parameter(f"param {name} must be a JSON object") from exc
    if not isinstance(value, Mapping):
        raise invalid_parameter(f"param {name} must be an object")
    return value
