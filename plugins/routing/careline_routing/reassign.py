"""Taking a conversation back from an agent who left the customer waiting too long.

A conversation is taken back when its queue has ``reassign_after`` and that much time has passed
since the customer's last message (``last_inbound_at``) while it is assigned. The view carries no
time of assignment, so after taking a conversation back this plugin remembers when, and waits a
full ``reassign_after`` again before the next take-back: without that the next agent would lose
it on the very next worker tick. It also remembers whom it took the conversation from, so that
assignment can give it to someone else when anyone else can take it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from careline.types import ConversationView

_PRUNE_ABOVE = 10_000


@dataclass
class TakeBackLog:
    """When this process last took each conversation back (per process, in memory).

    ``forget_after`` is the longest ``reassign_after`` of any queue: older entries can no longer
    delay a take-back and are dropped once the log grows large.
    """

    forget_after: timedelta = timedelta(days=1)
    taken_at: dict[int, datetime] = field(default_factory=dict)
    taken_from: dict[int, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def should_take_back(
        self, conversation: ConversationView, now: datetime, reassign_after: timedelta | None
    ) -> bool:
        """True when the conversation has waited ``reassign_after`` on its assignee; records it."""
        if reassign_after is None or conversation.assignee_id is None:
            return False
        if conversation.last_inbound_at is None:
            return False
        with self._lock:
            waiting_since = conversation.last_inbound_at
            previous = self.taken_at.get(conversation.id)
            if previous is not None and previous > waiting_since:
                waiting_since = previous
            if now - waiting_since < reassign_after:
                return False
            self.taken_at[conversation.id] = now
            self.taken_from[conversation.id] = conversation.assignee_id
            if len(self.taken_at) > _PRUNE_ABOVE:
                self._prune(now - self.forget_after)
            return True

    def previous_assignee(self, conversation_id: int) -> int | None:
        """The agent this process last took the conversation from, if any."""
        return self.taken_from.get(conversation_id)

    def _prune(self, before: datetime) -> None:
        for conversation_id in [c for c, at in self.taken_at.items() if at < before]:
            del self.taken_at[conversation_id]
            self.taken_from.pop(conversation_id, None)
