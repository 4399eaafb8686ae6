"""Properties over random sequences of messages and clock ticks on several conversations.

The core opens an escalation the first time a ``(conversation, trigger)`` pair is returned and
ignores it afterwards. So the plugin must (1) never return a trigger whose condition does not
hold, (2) return every trigger whose condition holds, and (3) return the same ids for the same
situation every time, so that uniqueness makes each fire once — whatever the priority (the core
recomputes due times when it changes), and with new ids for a reopened conversation's cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from careline.business_hours import DEFAULT_SLA
from careline.types import Priority, SlaState, Visibility
from careline_escalation.defaults import CATEGORY_PHRASES, MANAGER_PHRASES
from careline_escalation.phrases import PhraseMatcher
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

START = datetime.fromisoformat("2026-01-05T09:00:00+00:00")

# Text fragments with the triggers they stand for; neutral ones must stand for nothing.
FRAGMENTS: dict[str, frozenset[str]] = {
    "Where is my parcel?": frozenset(),
    "The app crashes when I pay.": frozenset(),
    "Thanks for the quick reply yesterday.": frozenset(),
    "My lawyer will hear about this.": frozenset({"content:legal"}),
    "Ich werde Sie verklagen.": frozenset({"content:legal"}),
    "A reporter asked me about it.": frozenset({"content:press"}),
    "The battery exploded in my hand.": frozenset({"content:safety"}),
    "Your staff member laughed at me.": frozenset({"content:hr"}),
    "Let me speak to your manager.": frozenset({"manager_request"}),
    "Je veux parler à un responsable.": frozenset({"manager_request"}),
}
TOPICS = {
    None: frozenset(),
    "billing": frozenset(),
    "legal": frozenset({"content:legal"}),
    "media": frozenset({"content:press"}),
    "safety": frozenset({"content:safety"}),
    "hr": frozenset({"content:hr"}),
}


def test_the_fragments_mean_what_the_oracle_says() -> None:
    for text, meaning in FRAGMENTS.items():
        found = {
            f"content:{name}"
            for name, phrases in CATEGORY_PHRASES.items()
            if PhraseMatcher.compile(phrases).find(text)
        }
        if PhraseMatcher.compile(MANAGER_PHRASES).find(text):
            found.add("manager_request")
        assert found == meaning, text


@dataclass(frozen=True)
class Message:
    conversation: int
    fragments: tuple[str, ...]
    topic: str | None
    sentiment: float | None
    followers: int
    verified: bool
    public: bool
    previous: int


@dataclass(frozen=True)
class Tick:
    """A clock tick ``minutes`` into the cycle; a cycle that is a reopen started
    ``reopened_after`` minutes after the conversation was created."""

    conversation: int
    minutes: int
    priority: Priority
    reopened_after: int | None


sentiments = st.one_of(st.none(), st.floats(min_value=-1, max_value=1).map(lambda x: round(x, 2)))
messages = st.builds(
    Message,
    conversation=st.integers(1, 3),
    fragments=st.lists(st.sampled_from(sorted(FRAGMENTS)), min_size=1, max_size=3).map(tuple),
    topic=st.sampled_from(list(TOPICS)),
    sentiment=sentiments,
    followers=st.sampled_from([0, 150, 9_999, 10_000, 2_000_000]),
    verified=st.booleans(),
    public=st.booleans(),
    previous=st.integers(0, 4),
)
ticks = st.builds(
    Tick,
    conversation=st.integers(1, 3),
    minutes=st.integers(0, 30 * 60),
    priority=st.sampled_from(list(Priority)),
    reopened_after=st.one_of(st.none(), st.integers(1, 5 * 24 * 60)),
)


def expected_on_message(event: Message) -> set[str]:
    """The oracle: which message triggers must fire, from the defaults' documented meaning."""
    expected = set(TOPICS[event.topic])
    for fragment in event.fragments:
        expected |= FRAGMENTS[fragment]
    negative = event.sentiment is not None
    influential = event.followers >= 10_000 or event.verified
    if event.public and influential and negative and event.sentiment <= -0.3:  # type: ignore[operator]
        expected.add("influence")
    if event.public and negative and event.sentiment <= -0.75:  # type: ignore[operator]
        expected.add("sentiment:very_negative")
    if event.previous + 1 >= 3:
        expected.add("repeat_contact")
    return expected


def expected_on_tick(cycle_start: datetime, priority: Priority, now: datetime) -> set[str]:
    """The oracle for the ladder on an unanswered conversation whose cycle started then.

    The breach step raises the priority one step and the core then moves the due time to the
    higher priority's; so once the lower priority's due time has passed, it is the one the
    reassign step counts from.
    """
    cycle = f"@{cycle_start.isoformat()}"
    order = list(Priority)
    lower = order[order.index(priority) - 1] if priority is not Priority.LOW else None
    expected = set()
    for index, target in enumerate(("first_response", "resolution")):
        length = DEFAULT_SLA[priority][index]
        due = cycle_start + length
        missed = due
        if lower is not None and cycle_start + DEFAULT_SLA[lower][index] <= now:
            missed = max(due, cycle_start + DEFAULT_SLA[lower][index])
        if cycle_start + length * 0.8 <= now < due:
            expected.add(f"sla:{target}:warn{cycle}")
        if now >= due:
            expected.add(f"sla:{target}:breach{cycle}")
        if now >= missed + timedelta(minutes=30):
            expected.add(f"sla:{target}:breach+30m{cycle}")
    return expected


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=st.lists(st.one_of(messages, ticks), min_size=1, max_size=25))
def test_triggers_fire_exactly_when_their_condition_holds_and_ids_are_stable(
    escalation_pm: Any, make_settings: Any, views: Any, events: list[Message | Tick]
) -> None:
    settings_ = make_settings({})
    created = {n: START + timedelta(minutes=7 * n) for n in (1, 2, 3)}
    opened: set[tuple[int, str]] = set()
    for event in events:
        conversation_id = event.conversation
        if isinstance(event, Message):
            visibility = Visibility.PUBLIC if event.public else Visibility.PRIVATE
            message = views.message(
                " ".join(event.fragments),
                followers=event.followers,
                verified=event.verified,
                visibility=visibility,
            )
            conversation = views.conversation(
                id=conversation_id,
                created_at=created[conversation_id],
                topic=event.topic,
                sentiment=event.sentiment,
                previous_conversations=event.previous,
                visibility=visibility,
            )
            call = dict(
                conversation=conversation, message=message, settings=settings_, enrichment=None
            )
            answers = [escalation_pm.hook.careline_escalate_on_message(**call) for _ in range(2)]
            expected = expected_on_message(event)
        else:
            cycle_start = created[conversation_id]
            if event.reopened_after is not None:
                cycle_start += timedelta(minutes=event.reopened_after)
            now = cycle_start + timedelta(minutes=event.minutes)
            first_response, resolution = DEFAULT_SLA[event.priority]
            conversation = views.conversation(
                id=conversation_id, created_at=created[conversation_id], priority=event.priority
            )
            # Due times as the core sets them: cycle start + the priority's targets.
            sla = SlaState(
                now=now,
                first_response_due=cycle_start + first_response,
                first_response_at=None,
                resolution_due=cycle_start + resolution,
                resolved_at=None,
            )
            call = dict(conversation=conversation, sla=sla, settings=settings_)
            answers = [escalation_pm.hook.careline_escalate_on_tick(**call) for _ in range(2)]
            expected = expected_on_tick(cycle_start, event.priority, now)
        first, again = ([r for group in answer for r in group or []] for answer in answers)
        assert first == again  # the same situation gives the same ids (and everything else)
        triggers = [request.trigger for request in first]
        assert len(triggers) == len(set(triggers))
        assert set(triggers) == expected
        opened |= {(conversation_id, trigger) for trigger in triggers}
    everything_allowed = set().union(*FRAGMENTS.values(), *TOPICS.values()) | {
        "influence",
        "sentiment:very_negative",
        "repeat_contact",
    }
    for _, trigger in opened:
        assert trigger in everything_allowed or trigger.startswith("sla:")
