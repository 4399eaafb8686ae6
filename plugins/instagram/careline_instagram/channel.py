"""The Instagram channel: comments, mentions and Direct messages of a professional account."""

from __future__ import annotations

from typing import ClassVar

from careline.channels import OutboundMessage, PollPage, SendError
from careline.types import InboundMessage
from careline_facebook import backfill as shared_backfill
from careline_facebook.channel_base import (
    GraphChannel,
    Poller,
    meta_manifest,
    top_comment_of,
)
from careline_facebook.graph import JsonObject
from careline_facebook.webhooks import Change, Entry

from careline_instagram import backfill
from careline_instagram.comments import parse_comment_change
from careline_instagram.config import InstagramConfig
from careline_instagram.mentions import fetch_mention, parse_mention_thread

COMMENT_MAX_LENGTH = 2200
DIRECT_MAX_LENGTH = 1000
COMMENT_FIELDS = frozenset({"comments", "live_comments"})


class InstagramChannel(GraphChannel):
    """Comments on the brand's media, mentions of the brand, and Instagram Direct."""

    name = "instagram"
    manifest = meta_manifest(
        "Instagram", public_length=COMMENT_MAX_LENGTH, private_length=DIRECT_MAX_LENGTH
    )
    config_model = InstagramConfig
    webhook_object: ClassVar[str] = "instagram"
    profile_fields = "id,username"
    backfill_parsers = {
        "media": backfill.parse_media_backfill,
        "conversations": shared_backfill.parse_conversations_backfill,
    }

    @property
    def account_id(self) -> str | None:
        """The configured Instagram professional account id."""
        settings = self.settings
        assert isinstance(settings, InstagramConfig)
        return settings.ig_user_id

    def parse_change(self, entry: Entry, change: Change, where: str) -> list[InboundMessage]:
        """``comments``/``live_comments`` and ``mentions`` (whose text is fetched now)."""
        if change.field in COMMENT_FIELDS:
            return parse_comment_change(
                change.value,
                channel=self.name,
                account=entry.account,
                fallback_time=entry.time,
                where=where,
            )
        if change.field == "mentions":
            return [
                fetch_mention(
                    self.graph, change.value, channel=self.name, account=entry.account, where=where
                )
            ]
        return []

    def pollers(self) -> dict[str, Poller]:
        """``media:<id>`` (comments on recent media) and ``conversations:<id>`` (Direct)."""
        account = self.account_id
        if not account:
            return {}
        return {f"media:{account}": self._poll_media, f"conversations:{account}": self._poll_direct}

    def _poll_media(self, source: str, cursor: str | None) -> PollPage:
        account = self._require_account()
        return backfill.poll_media(self.graph, account, cursor, self.settings, self.clock.now())

    def _poll_direct(self, source: str, cursor: str | None) -> PollPage:
        account = self._require_account()
        return shared_backfill.poll_conversations(
            self.graph, account, cursor, self.settings, self.clock.now(), platform="instagram"
        )

    def send_public(self, message: OutboundMessage) -> JsonObject:
        """Reply under the top-level comment, or answer a mention where it was made."""
        mention = parse_mention_thread(message.thread_key)
        if mention is not None:
            media_id, comment_id = mention
            body = {"media_id": media_id, "message": message.text}
            if comment_id:
                body["comment_id"] = comment_id
            return self.graph.post(f"{self._require_account()}/mentions", form=body)
        # Instagram nests one level: a reply to a reply goes under the top-level comment.
        target = top_comment_of(message.thread_key) or message.in_reply_to
        if not target:
            raise SendError(
                "a public Instagram reply needs the comment it answers (in_reply_to)",
                transient=False,
                code="no-target",
            )
        return self.graph.post(f"{target}/replies", form={"message": message.text})

    def hide_comment(self, comment_id: str) -> None:
        """``POST /{ig-comment-id}?hide=true``."""
        self.graph.post(comment_id, params={"hide": "true"})
