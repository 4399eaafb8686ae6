"""What the message triggers ask about a new customer message.

The message itself says what it says; the core's view of its conversation carries the stored
copy of the message (with the insights plugin's topics and sentiment), the conversation's
strongest topic and rolling sentiment, and what it knows about the author.
"""

from __future__ import annotations

from careline.types import ConversationView, InboundMessage, MessageView, Visibility

from careline_escalation.phrase_sets import PhraseSets


class MessageFacts:
    """What the triggers ask about one message, gathered from the message and the view.

    The stored message, its topics and the phrases the text says are worked out on first use
    only, so that what no enabled trigger asks about costs nothing.
    """

    __slots__ = (
        "_conversation",
        "_looked_up",
        "_message",
        "_phrases",
        "_said",
        "_stored",
        "_topics",
        "public",
    )

    def __init__(
        self,
        conversation: ConversationView,
        message: InboundMessage,
        phrases: PhraseSets[str],
        *,
        said: dict[str, str] | None = None,
    ) -> None:
        """``said``: :attr:`said`, when it was worked out already (while enriching)."""
        self.public = message.visibility is Visibility.PUBLIC
        self._conversation = conversation
        self._message = message
        self._phrases = phrases
        self._looked_up = False
        self._stored: MessageView | None = None
        self._topics: frozenset[str] | None = None
        self._said = said

    @property
    def stored(self) -> MessageView | None:
        """The message as stored, with its own enrichment, when the view carries it."""
        if not self._looked_up:
            message = self._message
            for candidate in self._conversation.messages:
                if (
                    candidate.external_id == message.external_id
                    and candidate.channel == message.channel
                ):
                    self._stored = candidate
                    break
            self._looked_up = True
        return self._stored

    @property
    def topics(self) -> frozenset[str]:
        """The stored message's topics and the conversation's strongest one, case-folded."""
        if self._topics is None:
            stored = self.stored
            topics = list(stored.topics) if stored else []
            if self._conversation.topic:
                topics.append(self._conversation.topic)
            self._topics = frozenset(map(str.casefold, topics))
        return self._topics

    @property
    def said(self) -> dict[str, str]:
        """The first phrase of each phrase trigger's set that the text contains, by trigger id
        (``content:<category>``, ``manager_request``)."""
        if self._said is None:
            self._said = self._phrases.find(self._message.text)
        return self._said

    @property
    def sentiment(self) -> float | None:
        """The stored message's own sentiment, else the conversation's rolling one."""
        stored = self.stored
        if stored and stored.sentiment is not None:
            return stored.sentiment
        return self._conversation.sentiment

    @property
    def followers(self) -> int | None:
        """The author's followers as the message says, else as the core knows them."""
        followers = self._message.author.followers
        return followers if followers is not None else self._conversation.author_followers

    @property
    def verified(self) -> bool:
        """Whether the message or the core says the author is verified."""
        return self._message.author.verified or self._conversation.author_verified

    @property
    def handle(self) -> str | None:
        """The author's handle, from the message or the core."""
        return self._message.author.handle or self._conversation.contact_handle
