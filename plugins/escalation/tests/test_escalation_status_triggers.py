"""Triggers on a status change, called through ``careline_escalate_on_status``."""

from __future__ import annotations

from typing import Any

import pytest
from careline.types import ConversationStatus as Status


def fired(pm: Any, settings: Any, conversation: Any, old: Status, new: Status) -> list[Any]:
    groups = pm.hook.careline_escalate_on_status(
        conversation=conversation, old_status=old, new_status=new, settings=settings
    )
    return [request for group in groups for request in group or []]


def test_reopen_is_off_by_default(escalation_pm: Any, make_settings: Any, views: Any) -> None:
    assert (
        fired(escalation_pm, make_settings({}), views.conversation(), Status.RESOLVED, Status.OPEN)
        == []
    )


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (Status.RESOLVED, Status.OPEN, True),
        (Status.CLOSED, Status.OPEN, True),
        (Status.IGNORED, Status.NEW, True),
        (Status.OPEN, Status.RESOLVED, False),
        (Status.OPEN, Status.PENDING, False),
        (Status.PENDING, Status.OPEN, False),
        (Status.RESOLVED, Status.CLOSED, False),
    ],
)
def test_a_reopen_escalates_once_per_conversation(
    escalation_pm: Any, make_settings: Any, views: Any, old: Status, new: Status, expected: bool
) -> None:
    settings = make_settings({"reopen": {"enabled": True, "target": "team_lead"}})
    requests = fired(escalation_pm, settings, views.conversation(), old, new)
    assert bool(requests) is expected
    if expected:
        (request,) = requests
        assert request.trigger == "status:reopened"
        assert request.target == "team_lead"
        assert f"was {old.value}" in request.reason
