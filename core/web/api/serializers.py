"""How stored rows look in the JSON API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from careline.models import Conversation, Escalation, Message, Note
from careline.send_policy import SendDecision
from careline.types import Finding


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a ``Z``."""
    return value.isoformat().replace("+00:00", "Z") if value else None


def conversation_json(conversation: Conversation) -> dict[str, Any]:
    """A conversation in list and detail responses."""
    return {
        "id": conversation.id,
        "channel": conversation.channel,
        "account": conversation.account,
        "visibility": conversation.visibility,
        "source": conversation.source,
        "status": conversation.status,
        "priority": conversation.priority,
        "queue": conversation.queue,
        "assignee_id": conversation.assignee_id,
        "contact_id": conversation.contact_id,
        "language": conversation.language,
        "sentiment": conversation.sentiment,
        "topic": conversation.topic,
        "tags": conversation.tags,
        "ignore_reason": conversation.ignore_reason,
        "suggest_private": conversation.suggest_private,
        "created_at": iso(conversation.created_at),
        "updated_at": iso(conversation.updated_at),
        "last_inbound_at": iso(conversation.last_inbound_at),
        "awaiting_reply_since": iso(conversation.awaiting_reply_since),
        "sla": {
            "first_response_due": iso(conversation.first_response_due),
            "first_response_at": iso(conversation.first_response_at),
            "next_response_due": iso(conversation.next_response_due),
            "resolution_due": iso(conversation.resolution_due),
            "resolved_at": iso(conversation.resolved_at),
        },
    }


def message_json(message: Message) -> dict[str, Any]:
    """A message in a conversation detail."""
    return {
        "id": message.id,
        "external_id": message.external_id,
        "direction": message.direction,
        "visibility": message.visibility,
        "text": message.text,
        "author": {"id": message.author_external_id, "handle": message.author_handle},
        "created_at": iso(message.created_at),
        "language": message.language,
        "sentiment": message.sentiment,
        "topics": message.topics,
        "personal_data": message.personal_data,
        "deleted": message.deleted_at is not None,
        "edited": message.edited_at is not None,
        "delivery": {"state": message.delivery_state, "error": message.delivery_error},
        "sent_by_agent_id": message.sent_by_agent_id,
        "automated": message.automated,
    }


def escalation_json(escalation: Escalation) -> dict[str, Any]:
    """An escalation record."""
    return {
        "id": escalation.id,
        "conversation_id": escalation.conversation_id,
        "target": escalation.target,
        "reason": escalation.reason,
        "trigger": escalation.trigger,
        "status": escalation.status,
        "created_at": iso(escalation.created_at),
        "acknowledged_at": iso(escalation.acknowledged_at),
        "acknowledged_by": escalation.acknowledged_by,
        "resolved_at": iso(escalation.resolved_at),
        "resolved_by": escalation.resolved_by,
    }


def note_json(note: Note) -> dict[str, Any]:
    """An internal note."""
    return {
        "id": note.id,
        "text": note.text,
        "agent_id": note.agent_id,
        "created_at": iso(note.created_at),
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    """A guideline finding."""
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "span": list(finding.span) if finding.span else None,
    }


def decision_json(decision: SendDecision | None) -> dict[str, Any] | None:
    """A send-policy decision."""
    if decision is None:
        return None
    return {
        "allowed": decision.allowed,
        "reason": decision.reason,
        "messaging_type": decision.messaging_type,
        "tag": decision.tag,
        "window_closes_at": iso(decision.window_closes_at),
        "tag_available_until": iso(decision.tag_available_until),
    }
