"""``duplicate``: the same text already sent on the channel recently (X refuses duplicates).

The conversation view only holds this conversation's messages, so the rule asks the database
for every reply the brand's account sent on the channel within the window.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from careline.config import Settings
from careline.db import Database
from careline.models import Message
from careline.runtime import shared_database
from careline.types import Direction, Finding, Severity
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import col, select

from careline_guidelines.rules.base import CheckContext
from careline_guidelines.text import normalise_for_comparison

RULE = "duplicate"
NOT_SENT_STATES = ("failed", "rejected")

log = logging.getLogger("careline.guidelines")


def database(settings: Settings) -> Database:
    """The instance's own database engine (shared with the core, not a second pool)."""
    return shared_database(settings)


@dataclass(frozen=True, slots=True)
class EarlierReply:
    """A reply already sent with the same text: where and when."""

    conversation_id: int
    created_at: datetime


def find_duplicate(
    settings: Settings, *, channel: str, account: str, text: str, since: datetime
) -> EarlierReply | None:
    """The latest outbound message with the same normalised text on ``channel`` since ``since``."""
    wanted = normalise_for_comparison(text)
    query = (
        select(Message.text, Message.conversation_id, Message.created_at)
        .where(
            Message.channel == channel,
            Message.account == account,
            Message.direction == Direction.OUTBOUND,
            col(Message.created_at) >= since,
            col(Message.deleted_at).is_(None),
        )
        .where(
            col(Message.delivery_state).is_(None)
            | col(Message.delivery_state).not_in(NOT_SENT_STATES)
        )
        .order_by(col(Message.created_at).desc())
    )
    with database(settings).read_session() as session:
        for sent_text, conversation_id, created_at in session.exec(query):
            if normalise_for_comparison(sent_text) == wanted:
                return EarlierReply(conversation_id, created_at)
    return None


def check(context: CheckContext) -> list[Finding]:
    """A finding when the brand already sent this text on the channel within the window."""
    rule = context.config.rules.duplicate
    draft, conversation = context.draft, context.conversation
    if draft.visibility not in rule.visibilities or not draft.text.strip():
        return []
    now = context.settings.clock.now()
    try:
        earlier = find_duplicate(
            context.settings,
            channel=context.channel.name,
            account=conversation.account,
            text=draft.text,
            since=now - rule.window,
        )
    except SQLAlchemyError as exc:
        log.warning(
            "guidelines: could not look for duplicate replies: %s", str(exc).splitlines()[0]
        )
        return [
            Finding(
                rule=RULE,
                severity=Severity.WARN,
                message="Could not check whether this text was already sent (database error).",
            )
        ]
    if earlier is None:
        return []
    where = (
        "in this conversation"
        if earlier.conversation_id == conversation.id
        else f"in conversation #{earlier.conversation_id}"
    )
    when = earlier.created_at.strftime("%a %d %b %H:%M UTC")
    return [
        Finding(
            rule=RULE,
            severity=rule.severity,
            message=(
                f"The same text was already sent on {context.channel.manifest.display_name} "
                f"{where} ({when}); {context.channel.manifest.display_name} may refuse it and "
                "customers notice copy-paste: personalise it."
            ),
            span=(0, len(draft.text)),
        )
    ]
