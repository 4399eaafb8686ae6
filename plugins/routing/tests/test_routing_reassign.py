"""``careline_reassign``: take a conversation back after the queue's ``reassign_after``."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

WROTE = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
QUEUES = {"senior": {"reassign_after": "30m"}, "general": {}}


@pytest.fixture
def reassign(routing_pm, routing_settings, make_view):
    settings = routing_settings(queues=QUEUES)

    def ask(minutes: float, **view):
        fields = {"queue": "senior", "assignee_id": 7, "last_inbound_at": WROTE, **view}
        return routing_pm.hook.careline_reassign(
            conversation=make_view(**fields),
            now=WROTE + timedelta(minutes=minutes),
            settings=settings,
        )

    return ask


def test_taken_back_once_the_customer_waited_reassign_after(reassign):
    assert reassign(29) is None
    assert reassign(30) is True


def test_not_for_unassigned_queues_without_the_setting_or_no_customer_message(reassign):
    assert reassign(600, assignee_id=None) is None
    assert reassign(600, queue="general") is None
    assert reassign(600, queue="unconfigured") is None
    assert reassign(600, last_inbound_at=None) is None


def test_the_next_agent_gets_a_full_period_before_another_take_back(reassign):
    assert reassign(31) is True
    # the worker unassigned it and the next agent took it; the customer has not written again
    assert reassign(32, assignee_id=8) is None
    assert reassign(60, assignee_id=8) is None
    assert reassign(61, assignee_id=8) is True


def test_a_new_customer_message_restarts_the_wait(reassign):
    later = WROTE + timedelta(minutes=50)
    assert reassign(55, last_inbound_at=later) is None
    assert reassign(80, last_inbound_at=later) is True


@settings(max_examples=100, deadline=None)
@given(
    ticks=st.lists(st.integers(0, 24 * 60), min_size=1, max_size=30).map(sorted),
    period=st.integers(1, 180),
)
def test_take_backs_are_at_least_a_period_apart(
    routing_pm, routing_settings, make_view, ticks, period
):
    settings = routing_settings(queues={"senior": {"reassign_after": f"{period}m"}})
    view = make_view(queue="senior", assignee_id=1, last_inbound_at=WROTE)
    taken = [
        minute
        for minute in ticks
        if routing_pm.hook.careline_reassign(
            conversation=view, now=WROTE + timedelta(minutes=minute), settings=settings
        )
    ]
    assert all(minute >= period for minute in taken)
    assert all(b - a >= period for a, b in itertools.pairwise(taken))
    # and it is taken back as soon as a tick comes a full period after the previous one
    expected: list[int] = []
    for minute in ticks:
        if minute - (expected[-1] if expected else 0) >= period:
            expected.append(minute)
    assert taken == expected


def test_after_a_take_back_someone_else_gets_it_if_anyone_can(
    routing_pm, routing_settings, make_view, make_agent
):
    settings = routing_settings(queues={"senior": {"reassign_after": "30m"}})
    team = [make_agent(1), make_agent(2)]
    waiting = make_view(id=5, queue="senior", assignee_id=1, last_inbound_at=WROTE)
    assert routing_pm.hook.careline_reassign(
        conversation=waiting, now=WROTE + timedelta(minutes=45), settings=settings
    )
    unassigned = make_view(id=5, queue="senior", last_inbound_at=WROTE)
    assign = routing_pm.hook.careline_assign
    assert assign(conversation=unassigned, candidates=team, settings=settings) == 2
    # agent 2 is full: agent 1 gets it back rather than nobody
    full = [make_agent(1), make_agent(2, open_conversations=10)]
    assert assign(conversation=unassigned, candidates=full, settings=settings) == 1
    # other conversations are not affected
    other = make_view(id=6, queue="senior")
    assert assign(conversation=other, candidates=team, settings=settings) == 1
