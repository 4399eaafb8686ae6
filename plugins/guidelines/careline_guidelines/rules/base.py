"""What every rule receives: the draft, the conversation, the channel and the configuration."""

from __future__ import annotations

from dataclasses import dataclass

from careline.channels import Channel
from careline.config import Settings
from careline.types import ConversationView, DraftReply

from careline_guidelines.config import GuidelinesConfig


@dataclass(frozen=True, slots=True)
class CheckContext:
    """The arguments of ``careline_check_reply`` plus the validated ``[guidelines]`` table."""

    draft: DraftReply
    conversation: ConversationView
    channel: Channel
    settings: Settings
    config: GuidelinesConfig
