"""Simulated agents who answer some live conversations through the core's services, so the
inbox moves on its own while leaving plenty for the person trying the demo.

They answer only customers who wrote after the demo started (the emulators know nothing
older), reply with the guidelines' checks like anyone else, and resolve some of them later.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from careline.models import Agent, Contact, Conversation
from careline.services import conversations, replies
from careline.types import ConversationStatus, Visibility
from sqlalchemy.exc import OperationalError
from sqlmodel import col, select

from careline_demo.answers import reply_text

if TYPE_CHECKING:
    from careline.runtime import Runtime

log = logging.getLogger("careline.demo")
ACTIVE = (ConversationStatus.NEW, ConversationStatus.OPEN)


class CareTeamLoop(threading.Thread):
    """Every few seconds: answer one waiting conversation, resolve one answered a while ago."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        since: datetime,
        speed: float,
        answer_share: float,
        seed: int | None = None,
    ) -> None:
        super().__init__(name="careline-demo-agents", daemon=True)
        self.runtime = runtime
        self.since = since
        self.speed = speed
        self.answer_share = answer_share
        self.random = random.Random(seed)
        self.stopping = threading.Event()
        self.replied = 0
        self.resolved = 0
        self.refused = 0
        self._tried: set[int] = set()

    def run(self) -> None:
        """Work until :meth:`stop`."""
        while not self.stopping.wait(max(0.2, 6.0 / self.speed)):
            try:
                self.step()
            except Exception:  # a simulated agent's mistake must not end the demo
                log.warning("a simulated agent failed", exc_info=True)

    def stop(self) -> None:
        """Stop after the current step."""
        self.stopping.set()

    def _should_answer(self, conversation_id: int) -> bool:
        # Decided per conversation (not per step), so the rest stays for the human.
        return random.Random(conversation_id).random() < self.answer_share

    def step(self) -> None:
        """Answer the oldest waiting conversation we take, and resolve an old answered one."""
        now = self.runtime.now()
        waited = timedelta(seconds=20 / self.speed)
        with self.runtime.db.session() as session:
            waiting = session.exec(
                select(Conversation, Contact)
                .join(Contact, col(Contact.id) == col(Conversation.contact_id))
                .where(col(Conversation.status).in_(ACTIVE))
                .where(col(Conversation.last_inbound_at) >= self.since)
                .where(col(Conversation.awaiting_reply_since) <= now - waited)
                .order_by(col(Conversation.id))
                .limit(20)
            ).all()
            candidates = [(c, contact.name) for c, contact in waiting if c.id is not None]
            agents = {a.id: a for a in session.exec(select(Agent)).all()}
            answered = session.exec(
                select(Conversation.id)
                .where(col(Conversation.status) == ConversationStatus.OPEN)
                .where(col(Conversation.created_at) >= self.since)
                .where(col(Conversation.last_outbound_at) <= now - 3 * waited)
                .order_by(col(Conversation.id))
                .limit(1)
            ).first()
        for conversation, name in candidates:
            assert conversation.id is not None
            if conversation.id in self._tried or not self._should_answer(conversation.id):
                continue
            self._tried.add(conversation.id)
            agent = agents.get(conversation.assignee_id) or self._someone(agents)
            if agent is None or agent.id is None:
                return
            public = conversation.visibility == Visibility.PUBLIC
            text = reply_text(
                conversation.language,
                (name or "").split(" ")[0] or None,
                f"^{agent.initials}",
                self.random,
                public=public,
            )
            try:
                outcome = replies.reply(self.runtime, conversation.id, text, agent_id=agent.id)
            except OperationalError:
                # SQLite was busy with the worker: try this conversation again next time.
                self._tried.discard(conversation.id)
                return
            if outcome.accepted:
                self.replied += 1
            else:
                self.refused += 1
            break
        if answered is not None and self.random.random() < 0.5:
            conversations.resolve(self.runtime, answered, agent_id=None)
            self.resolved += 1

    def _someone(self, agents: dict[int | None, Agent]) -> Agent | None:
        working = [a for a in agents.values() if a.role == "agent" and not a.disabled]
        return self.random.choice(working) if working else None
