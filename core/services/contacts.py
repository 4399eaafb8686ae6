"""Contacts: the customer 360 across channels, and merging two contacts (with undo)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from careline import events
from careline.models import Contact, Conversation, Event, Identity
from careline.services.views import NotFoundError
from sqlmodel import col, select

if TYPE_CHECKING:
    from careline.runtime import Runtime


def contact_summary(runtime: Runtime, contact_id: int) -> dict[str, Any]:
    """A contact with identities on every channel and their conversations."""
    with runtime.db.session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            raise NotFoundError(f"no contact with id {contact_id}")
        identities = session.exec(select(Identity).where(Identity.contact_id == contact_id)).all()
        conversations = session.exec(
            select(Conversation)
            .where(Conversation.contact_id == contact_id)
            .order_by(col(Conversation.id).desc())
            .limit(100)
        ).all()
        return {
            "id": contact.id,
            "name": contact.name,
            "attributes": contact.attributes,
            "merged_into": contact.merged_into_id,
            "identities": [
                {
                    "channel": i.channel,
                    "external_id": i.external_id,
                    "handle": i.handle,
                    "name": i.display_name,
                    "followers": i.followers,
                    "verified": i.verified,
                }
                for i in identities
            ],
            "conversations": [
                {
                    "id": c.id,
                    "channel": c.channel,
                    "status": c.status,
                    "created_at": c.created_at.isoformat(),
                    "topic": c.topic,
                }
                for c in conversations
            ],
        }


def merge(runtime: Runtime, source_id: int, into_id: int, *, agent_id: int | None) -> int:
    """Merge contact ``source_id`` into ``into_id``; returns the event id that undoes it."""
    if source_id == into_id:
        raise ValueError("a contact cannot be merged into itself")
    with runtime.db.session() as session:
        source = session.get(Contact, source_id)
        target = session.get(Contact, into_id)
        if source is None or target is None:
            raise NotFoundError(f"no contact with id {source_id if source is None else into_id}")
        if source.merged_into_id is not None or target.merged_into_id is not None:
            raise ValueError("one of these contacts was already merged; undo that first")
        identities = session.exec(select(Identity).where(Identity.contact_id == source_id)).all()
        conversations = session.exec(
            select(Conversation).where(Conversation.contact_id == source_id)
        ).all()
        for row in [*identities, *conversations]:
            row.contact_id = into_id
            session.add(row)
        source.merged_into_id = into_id
        target.attributes = {**source.attributes, **target.attributes}
        session.add_all([source, target])
        event = events.record(
            session,
            events.CONTACTS_MERGED,
            at=runtime.now(),
            agent_id=agent_id,
            source=source_id,
            into=into_id,
            identities=[i.id for i in identities],
            conversations=[c.id for c in conversations],
        )
        session.flush()
        assert event.id is not None
        return event.id


def undo_merge(runtime: Runtime, source_id: int, *, agent_id: int | None) -> None:
    """Undo the last merge of ``source_id``: its identities and conversations move back."""
    with runtime.db.session() as session:
        source = session.get(Contact, source_id)
        if source is None or source.merged_into_id is None:
            raise ValueError(f"contact {source_id} is not merged")
        merged = session.exec(
            select(Event).where(Event.type == events.CONTACTS_MERGED).order_by(col(Event.id).desc())
        ).all()
        record = next((e for e in merged if e.data.get("source") == source_id), None)
        if record is None:
            raise ValueError(f"no merge of contact {source_id} is recorded")
        for identity_id in record.data.get("identities", []):
            identity = session.get(Identity, identity_id)
            if identity is not None:
                identity.contact_id = source_id
                session.add(identity)
        for conversation_id in record.data.get("conversations", []):
            conversation = session.get(Conversation, conversation_id)
            if conversation is not None:
                conversation.contact_id = source_id
                session.add(conversation)
        source.merged_into_id = None
        session.add(source)
        events.record(
            session,
            events.CONTACTS_MERGED,
            at=runtime.now(),
            agent_id=agent_id,
            undone=record.id,
            source=source_id,
        )
