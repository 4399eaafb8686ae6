"""The traffic generator: what simulated customers write, where, and how often.

:class:`TrafficGenerator` is pure and deterministic for a seed: it decides the persona, the
channel and kind of message (mention, DM, comment, …), the language, topic and mood, and
composes the text from :mod:`careline_demo.texts`. Sending the messages to the emulators is
:mod:`careline_demo.simulation`'s job; the backfill uses the same generator for history.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import timedelta

from careline_twitter.length import weighted_length

from careline_demo import texts
from careline_demo.people import PERSONAS, X_BRAND_HANDLE, Persona

# Public and private kinds of message per channel (what the emulators can simulate).
KINDS: dict[str, tuple[str, ...]] = {
    "twitter": ("mention", "mention", "mention", "dm", "dm"),
    "facebook": ("comment", "comment", "comment", "visitor_post", "message", "message"),
    "instagram": ("comment", "comment", "mention", "direct", "direct"),
}
PRIVATE_KINDS = frozenset({"dm", "message", "direct"})
# The longest text each channel takes for each kind (X counts weighted length).
LENGTH_LIMITS: dict[str, dict[bool, int]] = {
    "twitter": {False: 280, True: 10_000},
    "facebook": {False: 8_000, True: 2_000},
    "instagram": {False: 2_200, True: 1_000},
}
MEAN_SECONDS_BETWEEN_MESSAGES = 4.0


@dataclass(frozen=True, slots=True)
class SimulatedMessage:
    """One message a simulated customer writes.

    ``kind`` is channel specific (``mention``, ``dm``, ``retweet``, ``listening``, ``comment``,
    ``visitor_post``, ``message``, ``direct``, ``follow_up``); ``follow_up`` continues the
    persona's latest conversation on the channel. ``special`` names the case it shows
    (``thanks``, ``spam``, ``legal``, ``press``, ``influencer``, ``manager``, ``listening``,
    ``retweet``) or is ``None`` for an ordinary care question.
    """

    persona: Persona
    channel: str
    kind: str
    language: str
    topic: str
    mood: str
    text: str
    personal_data: tuple[str, ...] = ()
    special: str | None = None

    @property
    def private(self) -> bool:
        """Whether the message is private (a DM) rather than public."""
        return self.kind in PRIVATE_KINDS

    @property
    def length_limit(self) -> int:
        """The channel's limit for this kind of message."""
        return LENGTH_LIMITS[self.channel][self.private]


def text_length(channel: str, text: str) -> int:
    """The length of ``text`` as ``channel`` counts it (X: weighted length)."""
    return weighted_length(text) if channel == "twitter" else len(text)


# Share of each special case among all messages; the rest are ordinary care questions.
SPECIAL_SHARES: tuple[tuple[str, float], ...] = (
    ("thanks", 0.07),
    ("spam", 0.04),
    ("retweet", 0.04),
    ("listening", 0.05),
    ("legal", 0.03),
    ("press", 0.02),
    ("influencer", 0.03),
    ("manager", 0.03),
    ("follow_up", 0.12),
)
SPECIAL_PERSONA_ROLE = {"legal": "lawyer", "press": "journalist", "influencer": "influencer"}
PERSONAL_DATA_SHARE = 0.12


class TrafficGenerator:
    """Simulated customers' messages, deterministic for a seed."""

    def __init__(self, seed: int | None = None, personas: Sequence[Persona] = PERSONAS) -> None:
        self.random = random.Random(seed)
        self.personas = tuple(personas)
        self._spoken: list[tuple[Persona, str]] = []

    def messages(self, count: int) -> list[SimulatedMessage]:
        """The next ``count`` messages."""
        return [self.next_message() for _ in range(count)]

    def __iter__(self) -> Iterator[SimulatedMessage]:
        while True:
            yield self.next_message()

    def next_message(self) -> SimulatedMessage:
        """The next message some simulated customer writes."""
        special = self._pick_special()
        if special == "follow_up" and self._spoken:
            persona, channel = self.random.choice(self._spoken)
            text = self.random.choice(texts.FOLLOW_UPS[persona.language])
            return SimulatedMessage(
                persona, channel, "follow_up", persona.language, "inquiry", "impatient", text,
                special=None,
            )  # fmt: skip
        if special in ("follow_up", None):
            return self._remember(self._ordinary())
        return self._remember(self._special(special))

    def pause(self, speed: float = 1.0) -> timedelta:
        """How long to wait before the next message (exponential, mean a few seconds)."""
        seconds = self.random.expovariate(1 / MEAN_SECONDS_BETWEEN_MESSAGES)
        return timedelta(seconds=min(seconds, 6 * MEAN_SECONDS_BETWEEN_MESSAGES) / speed)

    # --- choosing ---------------------------------------------------------------------------
    def _pick_special(self) -> str | None:
        roll = self.random.random()
        for name, share in SPECIAL_SHARES:
            if roll < share:
                return name
            roll -= share
        return None

    def _remember(self, message: SimulatedMessage) -> SimulatedMessage:
        if message.special not in ("spam", "retweet", "listening", "thanks"):
            self._spoken.append((message.persona, message.channel))
            del self._spoken[:-30]
        return message

    def _customers(self, role: str = "customer") -> list[Persona]:
        return [p for p in self.personas if p.role == role] or list(self.personas)

    def _fill(self, template: str, persona: Persona) -> str:
        return template.format(
            order=f"ACM-{self.random.randint(100000, 999999)}",
            days=self.random.randint(3, 14),
            product=self.random.choice(texts.PRODUCTS),
            email=persona.email or "",
            phone=persona.phone or "",
        )

    def _ordinary(self) -> SimulatedMessage:
        persona = self.random.choice(self._customers())
        channel = self.random.choice(persona.channels)
        kind = self.random.choice(KINDS[channel])
        language = persona.language
        openings = texts.OPENINGS[language]
        topic = self.random.choice([t for t in texts.TOPICS if t in openings])
        mood = self._mood(topic)
        parts = [self.random.choice(texts.GREETINGS[language])]
        opening = self._fill(self.random.choice(openings[topic]), persona)
        parts.append(opening[0].upper() + opening[1:] if not parts[0] else opening)
        personal: tuple[str, ...] = ()
        available = [k for k in ("email", "phone") if getattr(persona, k)]
        if available and not kind_is_private(kind) and self.random.random() < PERSONAL_DATA_SHARE:
            kind_of_data = self.random.choice(available)
            parts.append(self._fill(texts.PERSONAL_DATA[language][kind_of_data], persona))
            personal = (kind_of_data,)
        closer = self.random.choice(texts.MOOD_CLOSERS[language][mood])
        text = self._compose(channel, kind, [*parts, closer], fallback=parts)
        return SimulatedMessage(persona, channel, kind, language, topic, mood, text, personal)

    def _mood(self, topic: str) -> str:
        if topic == "praise":
            return "happy"
        weights = (5, 3, 2, 0) if topic in ("order", "billing", "technical") else (6, 2, 1, 1)
        return self.random.choices(texts.MOODS, weights=weights)[0]

    def _special(self, special: str) -> SimulatedMessage:
        role = SPECIAL_PERSONA_ROLE.get(special, "spammer" if special == "spam" else "customer")
        people = self._customers(role)
        if special in ("retweet", "listening"):
            people = [p for p in people if "twitter" in p.channels] or people
        persona = self.random.choice(people)
        channel = "twitter" if special in ("retweet", "listening") else None
        channel = channel or self.random.choice(persona.channels)
        kind = {"retweet": "retweet", "listening": "listening"}.get(special)
        if kind is None:
            public = [k for k in KINDS[channel] if not kind_is_private(k)]
            kind = self.random.choice(
                public if special in ("influencer", "spam") else KINDS[channel]
            )
        language = persona.language if special == "thanks" else "en"
        topic, mood = SPECIAL_TOPICS.get(special, ("inquiry", "calm"))
        source = {
            "thanks": texts.THANKS[language],
            "spam": texts.SPAM,
            "retweet": texts.RETWEETS,
            "listening": texts.LISTENING,
            "legal": texts.LEGAL_THREATS,
            "press": texts.PRESS,
            "influencer": texts.INFLUENCER,
            "manager": texts.MANAGER,
        }[special]
        body = self._fill(self.random.choice(source), persona)
        if special == "retweet":
            body = f"RT @{X_BRAND_HANDLE}: {body}"
        text = self._compose(channel, kind, [body], fallback=[body], mention=special != "retweet")
        return SimulatedMessage(persona, channel, kind, language, topic, mood, text, (), special)

    def _compose(
        self,
        channel: str,
        kind: str,
        parts: Sequence[str],
        *,
        fallback: Sequence[str],
        mention: bool = True,
    ) -> str:
        """Join the parts (X mentions get the brand's handle); drop the optional ones if long."""
        prefix = f"@{X_BRAND_HANDLE} " if channel == "twitter" and kind == "mention" else ""
        if not mention:
            prefix = ""
        limit = LENGTH_LIMITS[channel][kind_is_private(kind)]
        for candidate in (parts, fallback):
            text = prefix + " ".join(p for p in candidate if p)
            if text_length(channel, text) <= limit:
                return text
        return text[: limit - 1]


SPECIAL_TOPICS: dict[str, tuple[str, str]] = {
    "thanks": ("praise", "happy"),
    "spam": ("spam", "calm"),
    "retweet": ("praise", "happy"),
    "listening": ("technical", "impatient"),
    "legal": ("legal", "angry"),
    "press": ("press", "calm"),
    "influencer": ("complaint", "angry"),
    "manager": ("complaint", "angry"),
}


def kind_is_private(kind: str) -> bool:
    """Whether messages of this kind are private."""
    return kind in PRIVATE_KINDS
