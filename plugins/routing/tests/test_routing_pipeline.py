"""End to end through the core: messages arrive, get routed and assigned, and are taken back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careline import clockwork, events
from careline.models import Agent, Conversation, Event
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver_and_process
from careline.types import ConversationStatus, Priority
from sqlmodel import col, select

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)

CONFIG = {
    "routing": {
        "rules": [
            {"name": "retweets", "regex": "^RT @", "ignore": "no reply needed"},
            {
                "name": "outage from a big account",
                "visibility": "public",
                "keywords": ["outage", "down again"],
                "followers_at_least": 10_000,
                "queue": "senior",
                "priority": "urgent",
                "tags": ["pr-risk"],
            },
        ],
        "queues": {
            "senior": {
                "strategy": "round_robin",
                "members": ["ana", "ben"],
                "reassign_after": "20m",
            },
            "general": {"strategy": "least_loaded"},
        },
    }
}


def post(message_id: str, text: str, *, author: str, followers: int, minutes: int = 0):
    item = message(message_id, author=author, thread=f"t-{message_id}", text=text)
    item["created_at"] = (T0 + timedelta(minutes=minutes)).isoformat()
    item["author"]["followers"] = followers
    return item


def conversations(runtime) -> dict[str, Conversation]:
    with runtime.db.session() as session:
        rows = session.exec(select(Conversation).order_by(col(Conversation.id))).all()
        return {row.thread_key.rsplit("t-", 1)[-1]: row for row in rows}


def test_routed_assigned_and_taken_back_through_the_pipeline(careline_runtime, careline_clock):
    runtime = careline_runtime("careline-routing", config=CONFIG)
    with runtime.db.session() as session:
        session.add_all(
            [Agent(name="ana"), Agent(name="ben"), Agent(name="cy", queues=["general"])]
        )
    careline_clock.set(T0 + timedelta(minutes=1))
    deliver_and_process(
        runtime,
        "testchannel",
        delivery(
            post("m1", "Site down again?! Third outage this week", author="big1", followers=48_000),
            post("m2", "outage in Berlin, nothing loads", author="big2", followers=250_000),
            post("m3", "RT @brand: winter sale", author="fan", followers=12),
            post("m4", "where is my parcel?", author="kim", followers=40),
        ),
    )
    found = conversations(runtime)
    ids = {agent.name: agent.id for agent in _agents(runtime)}
    assert (found["m1"].queue, found["m1"].priority) == ("senior", Priority.URGENT)
    assert found["m1"].tags == ["pr-risk"]
    # round robin between the senior members, in id order
    assert [found["m1"].assignee_id, found["m2"].assignee_id] == [ids["ana"], ids["ben"]]
    assert found["m3"].status == ConversationStatus.IGNORED
    assert found["m3"].ignore_reason == "no reply needed"
    assert found["m3"].assignee_id is None
    # general: the least loaded who works it (ana and ben list no queues, so they work it too)
    assert (found["m4"].queue, found["m4"].assignee_id) == ("general", ids["cy"])

    with runtime.db.session() as session:
        routed = session.exec(select(Event).where(Event.type == events.ROUTED)).all()
    assert sorted(event.data["rule"] for event in routed) == [
        "default_queue",
        "outage from a big account",
        "outage from a big account",
        "retweets",
    ]

    # nobody answered the senior conversations for 25 minutes: the tick takes them back and
    # deals them again, each to the other senior member
    careline_clock.set(T0 + timedelta(minutes=25))
    clockwork.tick(runtime)
    found = conversations(runtime)
    assert [found["m1"].assignee_id, found["m2"].assignee_id] == [ids["ben"], ids["ana"]]
    assert found["m4"].assignee_id == ids["cy"]  # general has no reassign_after
    with runtime.db.session() as session:
        taken_back = session.exec(select(Event).where(Event.type == events.UNASSIGNED)).all()
    assert sorted(event.conversation_id for event in taken_back) == sorted(
        [found["m1"].id, found["m2"].id]
    )
    assert all(event.data["by"] == "reassign" for event in taken_back)

    # the next tick, a minute later, leaves the new assignees alone
    careline_clock.set(T0 + timedelta(minutes=26))
    clockwork.tick(runtime)
    found = conversations(runtime)
    assert [found["m1"].assignee_id, found["m2"].assignee_id] == [ids["ben"], ids["ana"]]


def _agents(runtime) -> list[Agent]:
    with runtime.db.session() as session:
        return list(session.exec(select(Agent)).all())
