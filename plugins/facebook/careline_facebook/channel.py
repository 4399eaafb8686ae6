"""The Facebook channel: Page comments and visitor posts (``feed``) and Messenger."""

from __future__ import annotations

from typing import ClassVar

from careline.channels import OutboundMessage, PollPage, SendError
from careline.types import InboundMessage

from careline_facebook import backfill
from careline_facebook.channel_base import (
    GraphChannel,
    Poller,
    meta_manifest,
    top_comment_of,
)
from careline_facebook.config import FacebookConfig
from careline_facebook.feed import parse_feed_change
from careline_facebook.graph import JsonObject
from careline_facebook.webhooks import Change, Entry

MESSENGER_MAX_LENGTH = 2000
COMMENT_MAX_LENGTH = 8000


class FacebookChannel(GraphChannel):
    """Comments on the Page's posts, posts by visitors, and Messenger conversations."""

    name = "facebook"
    manifest = meta_manifest(
        "Facebook", public_length=COMMENT_MAX_LENGTH, private_length=MESSENGER_MAX_LENGTH
    )
    config_model = FacebookConfig
    webhook_object: ClassVar[str] = "page"
    backfill_parsers = {
        "feed": backfill.parse_feed_backfill,
        "conversations": backfill.parse_conversations_backfill,
    }

    @property
    def account_id(self) -> str | None:
        """The configured Page id."""
        settings = self.settings
        assert isinstance(settings, FacebookConfig)
        return settings.page_id

    def parse_change(self, entry: Entry, change: Change, where: str) -> list[InboundMessage]:
        """Page ``feed`` changes; other subscribed fields carry nothing for careline."""
        if change.field != "feed":
            return []
        return parse_feed_change(
            change.value,
            channel=self.name,
            account=entry.account,
            fallback_time=entry.time,
            where=where,
        )

    def pollers(self) -> dict[str, Poller]:
        """``feed:<page id>`` (comments on recent posts) and ``conversations:<page id>``."""
        page = self.account_id
        if not page:
            return {}
        return {f"feed:{page}": self._poll_feed, f"conversations:{page}": self._poll_messages}

    def _poll_feed(self, source: str, cursor: str | None) -> PollPage:
        page = self._require_account()
        return backfill.poll_feed(self.graph, page, cursor, self.settings, self.clock.now())

    def _poll_messages(self, source: str, cursor: str | None) -> PollPage:
        page = self._require_account()
        return backfill.poll_conversations(
            self.graph, page, cursor, self.settings, self.clock.now(), platform="messenger"
        )

    def send_public(self, message: OutboundMessage) -> JsonObject:
        """``POST /{comment-id}/comments`` under the thread's top-level comment (Facebook nests
        one level), else under the comment or visitor post answered."""
        target = top_comment_of(message.thread_key) or message.in_reply_to or message.thread_key
        if not target:
            raise SendError(
                "a public Facebook reply needs the comment or post it answers (in_reply_to)",
                transient=False,
                code="no-target",
            )
        return self.graph.post(f"{target}/comments", form={"message": message.text})

    def hide_comment(self, comment_id: str) -> None:
        """``POST /{comment-id}`` with ``is_hidden=true``."""
        self.graph.post(comment_id, form={"is_hidden": "true"})
