"""The demo's history: a plan in time order, played through the real pipeline and services at
historic times (on SQLite and PostgreSQL)."""

from __future__ import annotations

import random
import tomllib
from collections import Counter
from datetime import UTC, datetime, timedelta

from careline.models import CsatResponse, Event
from careline_demo.backfill import (
    BackfillStats,
    HistoryChannels,
    HistoryPlayer,
    author_ids,
    without_notifications,
)
from careline_demo.history import plan_history
from careline_demo.instance import policies_text
from careline_demo.people import CHANNELS
from careline_demo.team import create_team
from careline_demo.world import World
from careline_facebook.channel import FacebookChannel
from careline_instagram.channel import InstagramChannel
from careline_twitter.channel import TwitterChannel
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

END = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
WORLD = World.create()
AUTHORS = author_ids(WORLD)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 2**31), days=st.integers(1, 3))
def test_a_plan_runs_in_time_order_inside_its_window(seed: int, days: int) -> None:
    steps = plan_history(days, end=END, seed=seed, author_id=AUTHORS)

    assert steps
    assert [s.at for s in steps] == sorted(s.at for s in steps)
    assert all(END - timedelta(days=days, hours=1) <= s.at < END for s in steps)
    first_seen: dict[tuple[str, str], datetime] = {}
    for step in steps:
        if step.action == "inbound":
            first_seen.setdefault(step.root, step.at)
        else:
            assert step.root in first_seen, "an action before the customer wrote"
    assert all(1 <= s.score <= 5 for s in steps if s.action == "csat")


def test_most_conversations_get_a_reply_and_old_ones_are_all_closed() -> None:
    steps = plan_history(10, end=END, seed=4, author_id=AUTHORS)
    by_root: dict[tuple[str, str], list[str]] = {}
    for step in steps:
        by_root.setdefault(step.root, []).append(step.action)
    old = {s.root for s in steps if s.action == "inbound" and s.at < END - timedelta(days=2)}

    answered = sum("reply" in actions for actions in by_root.values())
    assert 0.6 < answered / len(by_root) < 0.95
    for root in old:
        actions = by_root[root]
        special = next(s for s in steps if s.root == root).record["text"]
        assert {"resolve", "ignore"} & set(actions) or len(actions) == 1, (root, special)
    assert Counter(s.root[0] for s in steps).keys() == set(CHANNELS)


def test_history_goes_through_pipeline_and_services_at_historic_times(
    careline_runtime, careline_settings, careline_clock
) -> None:
    WORLD.urls = dict.fromkeys(CHANNELS, "http://127.0.0.1:9")
    careline_settings.environ.update(WORLD.environment())
    policies = without_notifications(tomllib.loads(policies_text()))
    channel_plugin = HistoryChannels([TwitterChannel, FacebookChannel, InstagramChannel])
    runtime = careline_runtime(
        channel_plugin,
        "careline-insights",
        "careline-routing",
        "careline-guidelines",
        "careline-escalation",
        config={**policies, **WORLD.channel_tables()},
    )
    team = create_team(runtime)
    end = careline_clock.now()
    steps = plan_history(2, end=end, seed=9, author_id=AUTHORS)
    player, stats = HistoryPlayer(runtime, team, random.Random(9)), BackfillStats()

    for step in steps:
        careline_clock.set(step.at)
        player.play(step, stats)

    assert stats.errors == 0
    assert stats.replies > 10 and stats.refused == 0
    assert stats.resolved > 5 and stats.csat > 0
    with runtime.db.read_session() as session:
        events = session.exec(select(Event).order_by(col(Event.at))).all()
        csat = session.exec(select(CsatResponse)).all()
    kinds = Counter(e.type for e in events)
    assert {"message_received", "routed", "replied", "resolved", "csat"} <= set(kinds)
    assert events[0].at.replace(tzinfo=UTC) < end - timedelta(days=1), "history is in the past"
    replied = [e for e in events if e.type == "replied"]
    assert all(e.agent_id in team.values() for e in replied), "agents answer, by name"
    assert {e.data.get("via") for e in replied} == {"careline"}
    assert len(csat) == stats.csat
