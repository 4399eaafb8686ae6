"""The plan of the demo's history: which customer wrote what and when over the past days, when an
agent answered, when the conversation was resolved and what the customer rated it.

:func:`plan_history` is pure (deterministic for a seed and a moment); :mod:`careline_demo.backfill`
plays the plan through careline's pipeline and services on a clock that moves through it.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from careline_demo import texts
from careline_demo.people import FACEBOOK_PAGE_ID, INSTAGRAM_USER_ID, X_BRAND_ID, Persona
from careline_demo.traffic import SimulatedMessage, TrafficGenerator

ACCOUNTS = {"twitter": X_BRAND_ID, "facebook": FACEBOOK_PAGE_ID, "instagram": INSTAGRAM_USER_ID}
NOT_ANSWERED = frozenset({"thanks", "spam", "retweet"})
# New conversations per hour of the day (UTC), a care team's usual curve.
HOURLY_WEIGHTS = (1, 1, 1, 1, 1, 2, 4, 7, 9, 10, 10, 9, 9, 9, 9, 8, 8, 8, 7, 6, 5, 4, 3, 2)
CSAT_WEIGHTS = {"happy": (0, 1, 2, 8, 14), "calm": (1, 2, 5, 12, 10), "impatient": (2, 4, 7, 9, 5),
                "angry": (6, 6, 6, 5, 2)}  # fmt: skip

AuthorIds = Callable[[Persona, str, bool], str]


@dataclass(frozen=True, slots=True)
class HistoryStep:
    """One thing that happened at ``at``: ``inbound`` (a customer message, ``record`` in the
    import format), ``reply``, ``resolve``, ``ignore`` or ``csat`` on the conversation of
    ``root``."""

    at: datetime
    action: str
    root: tuple[str, str]
    record: dict[str, Any] = field(default_factory=dict)
    language: str | None = None
    name: str | None = None
    score: int = 0


def plan_history(
    days: int,
    *,
    end: datetime,
    seed: int | None,
    author_id: AuthorIds,
    per_day: int = 26,
) -> list[HistoryStep]:
    """The steps of ``days`` days of care before ``end``, in time order."""
    rng = random.Random(seed)
    generator = TrafficGenerator(None if seed is None else seed + 1)
    steps: list[HistoryStep] = []
    start = (end - timedelta(days=days)).replace(minute=0, second=0, microsecond=0)
    number = 0
    for day in range(days + 1):
        midnight = (start + timedelta(days=day)).replace(hour=0)
        weekend = midnight.weekday() >= 5
        count = max(4, round(rng.gauss(per_day * (0.6 if weekend else 1.0), per_day * 0.15)))
        for _ in range(count):
            hour = rng.choices(range(24), weights=HOURLY_WEIGHTS)[0]
            at = midnight + timedelta(hours=hour, seconds=rng.randrange(3600))
            if not start <= at < end - timedelta(minutes=5):
                continue
            message = generator.next_message()
            while message.kind == "follow_up":
                message = generator.next_message()
            number += 1
            steps.extend(_conversation(rng, message, at, end, number, author_id))
    steps.sort(key=lambda step: step.at)
    return steps


def _conversation(
    rng: random.Random,
    message: SimulatedMessage,
    at: datetime,
    end: datetime,
    number: int,
    author_id: AuthorIds,
) -> list[HistoryStep]:
    external_id = f"history-{number}"
    root = (message.channel, external_id)
    record = _record(message, at, external_id, author_id)
    steps = [HistoryStep(at, "inbound", root, record)]
    if message.special in NOT_ANSWERED:
        return steps
    if rng.random() < (0.55 if message.special == "listening" else 0.04):
        # Never answered (it shows in the response rate); set aside after a while, so that
        # history leaves no old backlog for the live SLA clock to escalate.
        set_aside = at + timedelta(hours=rng.uniform(4, 20))
        if not (message.private and message.channel == "twitter"):
            set_aside = min(set_aside, end - timedelta(minutes=5))
        action = "ignore" if message.special == "listening" else "resolve"
        return [*steps, HistoryStep(set_aside, action, root)] if set_aside < end else steps
    name = message.persona.first_name
    reply_at = at + _response_time(rng, at)
    steps.append(HistoryStep(reply_at, "reply", root, language=message.language, name=name))
    last = reply_at
    if rng.random() < 0.3:
        follow_at = reply_at + timedelta(minutes=rng.uniform(5, 180))
        follow = dict(record, external_id=f"{external_id}-2", created_at=_iso(follow_at))
        follow["text"] = rng.choice(texts.FOLLOW_UPS[message.language])
        follow["in_reply_to"] = external_id
        steps.append(HistoryStep(follow_at, "inbound", root, follow))
        last = follow_at + _response_time(rng, follow_at) / 2
        steps.append(HistoryStep(last, "reply", root, language=message.language, name=name))
    resolved_at = last + timedelta(minutes=rng.uniform(10, 8 * 60))
    # The backlog history leaves is recent X DMs only: the emulators, started today, know the
    # customers (an X DM reaches them) but neither a month-old public post to reply under nor
    # a Messenger or Direct thread (Meta lets the brand write only into an existing thread).
    answerable_today = message.private and message.channel == "twitter"
    closes_anyway = at < end - timedelta(days=1) or not answerable_today
    if closes_anyway:
        resolved_at = min(resolved_at, end - timedelta(minutes=5))
    if resolved_at < end - timedelta(hours=2) or closes_anyway:
        steps.append(HistoryStep(resolved_at, "resolve", root))
        if rng.random() < 0.45:
            score = rng.choices(range(1, 6), weights=CSAT_WEIGHTS[message.mood])[0]
            csat_at = resolved_at + timedelta(minutes=rng.uniform(5, 240))
            steps.append(HistoryStep(csat_at, "csat", root, score=score))
    return [step for step in steps if step.at < end - timedelta(minutes=1)]


def _response_time(rng: random.Random, at: datetime) -> timedelta:
    """Lognormal, median about 20 minutes; at night the team answers in the morning."""
    minutes = math.exp(rng.gauss(math.log(20), 1.0))
    if at.hour < 6 or at.hour >= 22:
        minutes += ((6 - at.hour) % 24) * 60 + rng.uniform(0, 90)
    return timedelta(minutes=min(minutes, 18 * 60))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _record(
    message: SimulatedMessage, at: datetime, external_id: str, author_id: AuthorIds
) -> dict[str, Any]:
    """A customer message in the import format (``docs/import-export.md``)."""
    persona, private = message.persona, message.private
    author = author_id(persona, message.channel, private)
    return {
        "channel": message.channel,
        "account": ACCOUNTS[message.channel],
        "external_id": external_id,
        "thread": None if private else external_id,
        "participant": author if private else None,
        "author": {
            "id": author,
            "handle": persona.handle,
            "name": persona.name,
            "followers": persona.followers,
            "verified": persona.verified,
        },
        "text": message.text,
        "created_at": _iso(at),
        "direction": "in",
        "visibility": "private" if private else "public",
        "source": "earned" if message.special == "listening" else "owned",
        "lang": message.language,
    }
