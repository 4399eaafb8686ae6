"""End to end over real loopback HTTP: the emulated website ⇄ careline's web app and API.

The emulator POSTs signed submissions to careline's ``/webhooks/contactform``; the pipeline
makes a private conversation per sender; an agent replies through the JSON API; the emulator
receives ``POST /replies`` and reports the reply back (an echo, never a customer message).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from careline import outbox, pipeline
from careline.clock import FrozenClock
from careline.models import Message
from careline.servers import serve_in_thread
from careline.services import agents
from careline.web.app import create_app
from careline_contact_form.emulator import EmulatorState, create_emulator
from sqlmodel import select

PREFIX = "CONTACTFORM_E2E"


@pytest.fixture
def world(
    careline_runtime: Any, careline_settings: Any, careline_clock: FrozenClock
) -> Iterator[dict[str, Any]]:
    state = EmulatorState(clock=careline_clock)
    with serve_in_thread(create_emulator(state)) as website_url:
        careline_settings.environ.update(state.environment(PREFIX))
        config = {"contactform": state.channel_config(website_url, env_prefix=PREFIX)}
        runtime = careline_runtime("careline-contact-form", config=config)
        agent = agents.add_agent(runtime, "Jo Smith", initials="JS")
        _, token = agents.create_token(runtime, agent.id or 0)
        app = create_app(runtime.settings, runtime.pm, runtime=runtime)
        with serve_in_thread(app) as careline_url:
            state.deliver_to(f"{careline_url}/webhooks/contactform")
            api = httpx.Client(base_url=careline_url, headers={"Authorization": f"Bearer {token}"})
            yield {"state": state, "runtime": runtime, "api": api, "clock": careline_clock}
            api.close()


def settle(world: dict[str, Any]) -> None:
    """Deliver what the website still holds, then run the pipeline as the worker would."""
    assert set(world["state"].flush()) <= {200}
    pipeline.process_pending(world["runtime"])


def stored(world: dict[str, Any]) -> list[tuple[str, str]]:
    with world["runtime"].db.session() as session:
        rows = session.exec(select(Message).order_by(Message.id)).all()
        return [(m.direction, m.text) for m in rows]


def test_signed_submission_to_api_reply_to_website(world: dict[str, Any]) -> None:
    state, api = world["state"], world["api"]
    state.submit("Priya@Example.com", "My invoice shows the wrong address.", name="Priya S.")
    state.submit("priya@example.com", "It's order 1042, by the way.")
    settle(world)
    [conversation] = api.get("/api/conversations").json()["items"]
    assert conversation["channel"] == "contactform"
    assert conversation["visibility"] == "private"
    reply = api.post(
        f"/api/conversations/{conversation['id']}/reply",
        json={"text": "Thanks Priya, a corrected invoice is on its way. ^JS"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "sent"
    [received] = state.replies
    assert received.to_email == "priya@example.com"
    assert received.in_reply_to == "sub_2"
    assert received.text == "Thanks Priya, a corrected invoice is on its way. ^JS"
    settle(world)  # the website reports the reply back: absorbed, not a second message
    assert stored(world) == [
        ("in", "My invoice shows the wrong address."),
        ("in", "It's order 1042, by the way."),
        ("out", "Thanks Priya, a corrected invoice is on its way. ^JS"),
    ]


def test_unsigned_submission_is_refused_and_stores_nothing(world: dict[str, Any]) -> None:
    url = world["state"].webhook_url
    response = httpx.post(url, content=b'{"id":"x"}', headers={"x-signature": "sha256=00"})
    assert response.status_code == 403
    pipeline.process_pending(world["runtime"])
    assert stored(world) == []


def test_rate_limited_reply_waits_then_goes_out_once(world: dict[str, Any]) -> None:
    state, api = world["state"], world["api"]
    state.submit("sam@example.org", "Do you ship to Norway?")
    settle(world)
    [conversation] = api.get("/api/conversations").json()["items"]
    state.fail_next(429, retry_after=60)
    reply = api.post(f"/api/conversations/{conversation['id']}/reply", json={"text": "We do! ^JS"})
    assert reply.status_code == 202, reply.text
    assert reply.json()["outcome"] == "queued"
    assert state.replies == []
    assert outbox.drain(world["runtime"]).sent == 0  # not before Retry-After
    world["clock"].advance(seconds=61)
    assert outbox.drain(world["runtime"]).sent == 1
    assert outbox.drain(world["runtime"]).sent == 0
    assert [r.text for r in state.replies] == ["We do! ^JS"]
