"""Replying: guideline checks, the send policy, then the outbox.

``preview`` runs the checks without storing anything; ``reply`` stores the reply in the outbox
when no ``block`` finding and the send policy allow it, parks it for a supervisor when a finding
asks for ``approval``, and sends it inline when the outbox is configured to.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from careline import events, outbox
from careline.channels import OutboundMessage
from careline.models import Agent, Conversation, Message, OutboxItem
from careline.send_policy import SendDecision, decide
from careline.services.views import NotFoundError, agent_view, conversation_view, get_conversation
from careline.types import (
    ConversationView,
    Direction,
    DraftReply,
    Finding,
    Role,
    Severity,
    Visibility,
)
from sqlmodel import Session, col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime

BLOCKED, REFUSED, HELD, QUEUED, SENT, FAILED = (
    "blocked",
    "refused",
    "held_for_approval",
    "queued",
    "sent",
    "failed",
)


class PermissionDenied(PermissionError):
    """The agent's role does not allow this action."""


@dataclass
class ReplyOutcome:
    """What happened to a reply, with the findings and the send decision that explain it."""

    status: str
    reason: str
    findings: list[Finding] = field(default_factory=list)
    decision: SendDecision | None = None
    message_id: int | None = None
    outbox_id: int | None = None

    @property
    def accepted(self) -> bool:
        """True when the reply was stored (queued, held, sent, or failed after storing)."""
        return self.outbox_id is not None


def _last_customer_message(session: Session, conversation_id: int) -> Message | None:
    return session.exec(
        select(Message)
        .where(Message.conversation_id == conversation_id, Message.direction == Direction.INBOUND)
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
    ).first()


def _private_reply_sent(session: Session, conversation_id: int, comment_id: str) -> bool:
    items = session.exec(
        select(OutboxItem).where(
            OutboxItem.conversation_id == conversation_id,
            col(OutboxItem.status).in_([outbox.QUEUED, outbox.SENDING, outbox.SENT]),
        )
    ).all()
    return any(item.payload.get("private_reply_to") == comment_id for item in items)


def evaluate(
    runtime: Runtime,
    session: Session,
    conversation: Conversation,
    draft: DraftReply,
    *,
    view: ConversationView | None = None,
) -> tuple[list[Finding], SendDecision, OutboundMessage]:
    """Run the guideline hooks and the send policy for a draft; nothing is stored."""
    assert conversation.id is not None
    channel = runtime.channel(conversation.channel)
    view = view or conversation_view(session, conversation)
    findings: list[Finding] = []
    for answer in runtime.pm.hook.careline_check_reply(
        draft=draft, conversation=view, channel=channel, settings=runtime.settings
    ):
        findings.extend(answer or [])
    last_customer = _last_customer_message(session, conversation.id)
    private_reply_to = None
    comment_at = None
    if draft.visibility is Visibility.PRIVATE and conversation.visibility == Visibility.PUBLIC:
        if last_customer is None or last_customer.external_id is None:
            raise ValueError("there is no customer comment to answer privately")
        private_reply_to, comment_at = last_customer.external_id, last_customer.created_at
    decision = decide(
        channel.manifest,
        visibility=draft.visibility,
        now=runtime.now(),
        last_inbound_at=conversation.last_inbound_at,
        automated=draft.automated,
        private_reply_to=comment_at,
        private_reply_already_sent=bool(
            private_reply_to and _private_reply_sent(session, conversation.id, private_reply_to)
        ),
    )
    outbound = OutboundMessage(
        channel=conversation.channel,
        account=conversation.account,
        text=draft.text,
        visibility=draft.visibility,
        idempotency_key=uuid.uuid4().hex,
        in_reply_to=last_customer.external_id if last_customer else None,
        recipient_id=conversation.participant_id
        or (last_customer.author_external_id if last_customer else None),
        thread_key=conversation.thread_key,
        private_reply_to=private_reply_to,
        messaging_type=decision.messaging_type,
        tag=decision.tag,
    )
    return findings, decision, outbound


def make_draft(
    session: Session,
    conversation: Conversation,
    text: str,
    *,
    agent_id: int | None,
    visibility: Visibility | None = None,
    automated: bool = False,
    template_id: str | None = None,
) -> DraftReply:
    """A :class:`DraftReply` for an agent's text (visibility defaults to the conversation's)."""
    if not text.strip():
        raise ValueError("a reply needs some text")
    agent = session.get(Agent, agent_id) if agent_id is not None else None
    if agent_id is not None and (agent is None or agent.disabled):
        raise NotFoundError(f"no enabled agent with id {agent_id}")
    return DraftReply(
        text=text,
        visibility=visibility or Visibility(conversation.visibility),
        agent=agent_view(agent) if agent else None,
        automated=automated or bool(agent and agent.is_bot),
        template_id=template_id,
    )


def preview(
    runtime: Runtime,
    conversation_id: int,
    text: str,
    *,
    agent_id: int | None,
    visibility: Visibility | None = None,
) -> ReplyOutcome:
    """The findings and send decision a reply would get, without storing anything."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        draft = make_draft(session, conversation, text, agent_id=agent_id, visibility=visibility)
        findings, decision, _ = evaluate(runtime, session, conversation, draft)
    status = _verdict(findings, decision)
    return ReplyOutcome(
        status=status,
        reason=_reason(status, findings, decision),
        findings=findings,
        decision=decision,
    )


def _verdict(findings: list[Finding], decision: SendDecision) -> str:
    if any(f.severity is Severity.BLOCK for f in findings):
        return BLOCKED
    if not decision.allowed:
        return REFUSED
    if any(f.severity is Severity.APPROVAL for f in findings):
        return HELD
    return QUEUED


def _reason(status: str, findings: list[Finding], decision: SendDecision) -> str:
    if status == BLOCKED:
        return "; ".join(f.message for f in findings if f.severity is Severity.BLOCK)
    if status == REFUSED:
        return decision.reason
    if status == HELD:
        return "waiting for a supervisor: " + "; ".join(
            f.message for f in findings if f.severity is Severity.APPROVAL
        )
    return decision.reason


def reply(
    runtime: Runtime,
    conversation_id: int,
    text: str,
    *,
    agent_id: int | None,
    visibility: Visibility | None = None,
    automated: bool = False,
    template_id: str | None = None,
) -> ReplyOutcome:
    """Check a reply and, when allowed, store it in the outbox (and send it inline)."""
    with runtime.db.session() as session:
        conversation = get_conversation(session, conversation_id)
        draft = make_draft(
            session,
            conversation,
            text,
            agent_id=agent_id,
            visibility=visibility,
            automated=automated,
            template_id=template_id,
        )
        findings, decision, outbound = evaluate(runtime, session, conversation, draft)
        status = _verdict(findings, decision)
        reason = _reason(status, findings, decision)
        if status in (BLOCKED, REFUSED):
            return ReplyOutcome(status, reason, findings, decision)
        now = runtime.now()
        message = Message(
            conversation_id=conversation_id,
            channel=conversation.channel,
            account=conversation.account,
            direction=Direction.OUTBOUND,
            visibility=draft.visibility,
            text=text,
            created_at=now,
            sent_by_agent_id=agent_id,
            automated=draft.automated,
            delivery_state="awaiting_approval" if status == HELD else "queued",
        )
        session.add(message)
        session.flush()
        assert message.id is not None
        item = OutboxItem(
            conversation_id=conversation_id,
            message_id=message.id,
            channel=conversation.channel,
            idempotency_key=outbound.idempotency_key,
            payload=_payload(outbound),
            status=outbox.PENDING_APPROVAL if status == HELD else outbox.QUEUED,
            next_attempt_at=now,
            created_at=now,
            findings=[_finding_dict(f) for f in findings],
        )
        session.add(item)
        session.flush()
        if status == HELD:
            events.record(
                session,
                events.REPLY_HELD,
                at=now,
                conversation_id=conversation_id,
                message_id=message.id,
                agent_id=agent_id,
                outbox_id=item.id,
                findings=[f.rule for f in findings if f.severity is Severity.APPROVAL],
            )
        outcome = ReplyOutcome(status, reason, findings, decision, message.id, item.id)
    if status == QUEUED and runtime.settings.core("outbox").send_inline:
        assert outcome.outbox_id is not None
        outcome.status = _final_status(outbox.send_now(runtime, outcome.outbox_id))
        if outcome.status != SENT:
            outcome.reason = _delivery_error(runtime, outcome.message_id) or outcome.reason
    return outcome


def _final_status(outbox_status: str) -> str:
    return {outbox.SENT: SENT, outbox.QUEUED: QUEUED}.get(outbox_status, FAILED)


def _delivery_error(runtime: Runtime, message_id: int | None) -> str | None:
    with runtime.db.session() as session:
        message = session.get(Message, message_id) if message_id else None
        return message.delivery_error if message else None


def _payload(outbound: OutboundMessage) -> dict[str, object]:
    return {
        "channel": outbound.channel,
        "account": outbound.account,
        "text": outbound.text,
        "visibility": outbound.visibility.value,
        "idempotency_key": outbound.idempotency_key,
        "in_reply_to": outbound.in_reply_to,
        "recipient_id": outbound.recipient_id,
        "thread_key": outbound.thread_key,
        "private_reply_to": outbound.private_reply_to,
        "messaging_type": outbound.messaging_type,
        "tag": outbound.tag,
    }


def _finding_dict(finding: Finding) -> dict[str, object]:
    return {
        "rule": finding.rule,
        "severity": finding.severity.value,
        "message": finding.message,
        "span": list(finding.span) if finding.span else None,
    }


def review(
    runtime: Runtime,
    outbox_id: int,
    *,
    supervisor_id: int,
    approve: bool,
    comment: str | None = None,
) -> ReplyOutcome:
    """A supervisor approves (the reply is queued and sent) or rejects (back to the agent)."""
    with runtime.db.session() as session:
        supervisor = session.get(Agent, supervisor_id)
        if supervisor is None or Role(supervisor.role).rank < Role.SUPERVISOR.rank:
            raise PermissionDenied("only supervisors and admins review replies")
        item = session.get(OutboxItem, outbox_id)
        if item is None:
            raise NotFoundError(f"no reply with outbox id {outbox_id}")
        if item.status != outbox.PENDING_APPROVAL:
            raise ValueError(f"reply {outbox_id} is {item.status}, not waiting for approval")
        message = session.get(Message, item.message_id)
        assert message is not None
        now = runtime.now()
        item.reviewed_by, item.review_comment = supervisor_id, comment
        if approve:
            item.status, item.next_attempt_at = outbox.QUEUED, now
            message.delivery_state = "queued"
            kind, status = events.REPLY_APPROVED, QUEUED
        else:
            item.status = outbox.REJECTED
            message.delivery_state = "rejected"
            message.delivery_error = f"rejected by {supervisor.name}: {comment or 'no comment'}"
            kind, status = events.REPLY_REJECTED, "rejected"
        session.add_all([item, message])
        events.record(
            session,
            kind,
            at=now,
            conversation_id=item.conversation_id,
            message_id=message.id,
            agent_id=supervisor_id,
            outbox_id=item.id,
            comment=comment,
        )
        outcome = ReplyOutcome(status, comment or status, [], None, message.id, item.id)
    if approve and runtime.settings.core("outbox").send_inline:
        outcome.status = _final_status(outbox.send_now(runtime, outbox_id))
    return outcome


def pending_approvals(runtime: Runtime) -> list[OutboxItem]:
    """Replies waiting for a supervisor, oldest first."""
    with runtime.db.session() as session:
        return list(
            session.exec(
                select(OutboxItem)
                .where(OutboxItem.status == outbox.PENDING_APPROVAL)
                .order_by(col(OutboxItem.id))
            ).all()
        )
