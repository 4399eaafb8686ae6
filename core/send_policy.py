"""The send policy: may this reply go out on this channel now, and how?

Decided from the channel's manifest *before* sending, so that the agent sees why a reply cannot
go out ("window closed 3 days ago — human-agent tag available until Fri 14:02") instead of a
platform error after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from careline.channels import ChannelManifest
from careline.types import Visibility

RESPONSE = "RESPONSE"
MESSAGE_TAG = "MESSAGE_TAG"


@dataclass(frozen=True, slots=True)
class SendDecision:
    """Whether a reply may be sent, with the messaging type and tag to use, and why."""

    allowed: bool
    reason: str
    messaging_type: str | None = None
    tag: str | None = None
    window_closes_at: datetime | None = None
    tag_available_until: datetime | None = None


def describe_delta(delta: timedelta) -> str:
    """``"3 days"``, ``"5 hours"``, ``"12 minutes"``: the largest whole unit of a duration."""
    seconds = abs(int(delta.total_seconds()))
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''}"
    return "less than a minute"


def _when(moment: datetime) -> str:
    return moment.strftime("%a %d %b %H:%M UTC")


def decide(
    manifest: ChannelManifest,
    *,
    visibility: Visibility,
    now: datetime,
    last_inbound_at: datetime | None,
    automated: bool = False,
    private_reply_to: datetime | None = None,
    private_reply_already_sent: bool = False,
) -> SendDecision:
    """Decide whether a reply of ``visibility`` may be sent now.

    ``last_inbound_at`` is the customer's last message (it opens the messaging window).
    ``private_reply_to`` is the creation time of a public comment answered privately.
    """
    name = manifest.display_name
    if visibility is Visibility.PUBLIC:
        if not manifest.public_reply:
            return SendDecision(False, f"{name} has no public replies")
        return SendDecision(True, "public reply")
    if private_reply_to is not None:
        return _private_reply_to_comment(
            manifest, now, private_reply_to, private_reply_already_sent
        )
    if not manifest.private_message:
        return SendDecision(False, f"{name} cannot send private messages")
    window = manifest.window
    if window is None:
        return SendDecision(True, "private message (no messaging window on this channel)")
    if last_inbound_at is None:
        return SendDecision(False, "the customer has not written privately: no messaging window")
    closes = last_inbound_at + window.standard
    tag_until = last_inbound_at + window.tag_window if window.tag and window.tag_window else None
    if now <= closes:
        return SendDecision(
            True,
            f"inside the messaging window (closes in {describe_delta(closes - now)})",
            messaging_type=RESPONSE,
            window_closes_at=closes,
            tag_available_until=tag_until,
        )
    closed_ago = describe_delta(now - closes)
    if tag_until is not None and now <= tag_until:
        if automated and window.tag_humans_only:
            return SendDecision(
                False,
                f"window closed {closed_ago} ago; the {window.tag} tag is for human-written "
                "replies only",
                window_closes_at=closes,
                tag_available_until=tag_until,
            )
        return SendDecision(
            True,
            f"window closed {closed_ago} ago — {window.tag} tag available until {_when(tag_until)}",
            messaging_type=MESSAGE_TAG,
            tag=window.tag,
            window_closes_at=closes,
            tag_available_until=tag_until,
        )
    reason = f"messaging window closed {closed_ago} ago"
    if tag_until is not None:
        reason += f" and the {window.tag} tag expired {describe_delta(now - tag_until)} ago"
    return SendDecision(
        False,
        reason + "; reply publicly or wait for the customer to write again",
        window_closes_at=closes,
        tag_available_until=tag_until,
    )


def _private_reply_to_comment(
    manifest: ChannelManifest, now: datetime, comment_at: datetime, already_sent: bool
) -> SendDecision:
    name = manifest.display_name
    if not manifest.private_reply_to_public:
        return SendDecision(False, f"{name} has no private replies to public comments")
    if already_sent:
        return SendDecision(False, "a private reply was already sent for this comment (one only)")
    limit = manifest.private_reply_window
    if limit is not None and now > comment_at + limit:
        return SendDecision(
            False,
            f"private replies are possible for {describe_delta(limit)} after the comment; "
            f"that ended {describe_delta(now - (comment_at + limit))} ago",
        )
    return SendDecision(True, "private reply to a public comment", messaging_type=RESPONSE)
