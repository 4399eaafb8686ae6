"""The ``[instagram]`` table of ``careline.toml``.

Everything but the account id is shared with the Facebook channel
(:class:`careline_facebook.config.GraphChannelConfig`): the same Meta app signs the webhooks,
and the same Graph API client is used.
"""

from __future__ import annotations

from careline_facebook.config import GraphChannelConfig
from pydantic import Field

INSTAGRAM_REQUIRED = ("ig_user_id", "access_token")


class InstagramConfig(GraphChannelConfig):
    """``[instagram]``: the Instagram professional account careline answers for."""

    ig_user_id: str | None = Field(default=None, pattern=r"^\d+$")
