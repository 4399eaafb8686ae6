"""End to end over real loopback HTTP: the Instagram emulator ⇄ careline's web app, worker and API.

The emulator delivers signed ``comments``, ``mentions`` and Direct webhooks to careline's
``/webhooks/instagram``; the pipeline runs as the worker would (fetching a mention's text from the
emulator's Graph API while parsing); an agent replies through the JSON API with a bearer token;
the assertions read what reached the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from careline import pipeline
from careline.clock import FrozenClock
from careline.config import Settings
from careline.models import Conversation, Message
from careline.runtime import Runtime
from careline.services import agents
from careline.testing.servers import serve_in_thread
from careline.web.app import create_app
from careline_facebook.emulator import LiveEmulator
from careline_instagram.emulator import InstagramEmulatorState
from sqlmodel import col, select

pytest_plugins = ["careline_instagram.testing"]

ENVIRONMENT = {
    "access_token": "IG_E2E_TOKEN",
    "app_secret": "IG_E2E_APP_SECRET",
    "verify_token": "IG_E2E_VERIFY_TOKEN",
}


@dataclass
class World:
    """Both servers running, and what the tests need to drive and inspect them."""

    state: InstagramEmulatorState
    live: LiveEmulator
    runtime: Runtime
    api: httpx.Client
    clock: FrozenClock
    sends: list[dict[str, Any]]  # every POST /{ig-user-id}/messages body the emulator handled

    def settle(self) -> None:
        """Run the pipeline as the worker would (the emulator delivers synchronously)."""
        assert pipeline.process_pending(self.runtime).failed == 0

    def only_conversation(self) -> dict[str, Any]:
        [conversation] = self.api.get("/api/conversations").json()["items"]
        detail = self.api.get(f"/api/conversations/{conversation['id']}")
        assert detail.status_code == 200, detail.text
        found: dict[str, Any] = detail.json()
        return found

    def reply(self, conversation_id: int, text: str) -> httpx.Response:
        return self.api.post(f"/api/conversations/{conversation_id}/reply", json={"text": text})

    def messages(self) -> list[Message]:
        with self.runtime.db.session() as session:
            return list(session.exec(select(Message).order_by(col(Message.id))).all())

    def brand_comments(self) -> list[Any]:
        return [c for c in self.state.comments.values() if c.author == self.state.ig_user_id]


@pytest.fixture
def world(
    instagram_live: LiveEmulator,
    instagram_state: InstagramEmulatorState,
    careline_runtime: Any,
    careline_settings: Settings,
    careline_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    state = instagram_state
    state.publish("The new collection is in!")
    sends: list[dict[str, Any]] = []
    brand_sends = state.messaging.brand_sends

    def recording_brand_sends(account: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sends.append(dict(params))
        return brand_sends(account, params)

    monkeypatch.setattr(state.messaging, "brand_sends", recording_brand_sends)
    careline_settings.environ.update(
        {
            ENVIRONMENT["access_token"]: state.token,
            ENVIRONMENT["app_secret"]: state.app_secret,
            ENVIRONMENT["verify_token"]: state.verify_token,
        }
    )
    config = {
        "instagram": {
            "ig_user_id": state.ig_user_id,
            **{key: f"$env:{name}" for key, name in ENVIRONMENT.items()},
            "base_url": instagram_live.base_url,
        }
    }
    runtime = careline_runtime("careline-instagram", config=config)
    agent = agents.add_agent(runtime, "Jo Smith", initials="JS")
    _, token = agents.create_token(runtime, agent.id or 0)
    app = create_app(runtime.settings, runtime.pm, runtime=runtime)
    with serve_in_thread(app) as careline_url:
        state.deliver_to(f"{careline_url}/webhooks/instagram")
        with httpx.Client(
            base_url=careline_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            yield World(state, instagram_live, runtime, api, careline_clock, sends)
        state.deliver_to(None)


def test_comment_to_public_reply_and_its_echo(world: World) -> None:
    state = world.state
    made = world.live.control(
        "customer/comment", customer="ann.example", text="Is the blue one back in stock?"
    )
    assert state.deliveries[-1].attempts == [200]
    world.settle()
    conversation = world.only_conversation()
    assert (conversation["channel"], conversation["visibility"]) == ("instagram", "public")
    [asked] = conversation["messages"]
    assert (asked["text"], asked["author"]["handle"]) == (
        "Is the blue one back in stock?",
        "ann.example",
    )

    reply = world.reply(conversation["id"], "@ann.example Yes, since this morning! ^JS")
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "sent"
    [answer] = world.brand_comments()
    assert answer.parent_id == made["comment_id"]
    assert answer.media_id == made["media_id"]
    assert answer.text == "@ann.example Yes, since this morning! ^JS"
    assert world.sends == []  # a public reply, not a Direct message

    world.settle()  # the account's own comment comes back as a comments webhook: an echo
    assert [(m.direction, m.external_id) for m in world.messages()] == [
        ("in", made["comment_id"]),
        ("out", answer.id),
    ]
    events = [e["type"] for e in world.only_conversation()["events"]]
    assert events.count("replied") == 1


def test_mention_text_is_fetched_and_threaded(world: World) -> None:
    state = world.state
    mention = world.live.control(
        "customer/mention", customer="cy.example", text="@acme.care my lamp arrived broken"
    )
    delivered = state.deliveries[-1]
    assert delivered.attempts == [200]
    [change] = delivered.document()["entry"][0]["changes"]
    assert change == {"field": "mentions", "value": mention}  # ids only, no text
    fetch = ("GET", f"/v21.0/{state.ig_user_id}")
    assert fetch not in state.requests

    world.settle()
    assert fetch in state.requests  # the worker fetched the text while parsing
    conversation = world.only_conversation()
    assert (conversation["channel"], conversation["visibility"]) == ("instagram", "public")
    [message] = conversation["messages"]
    assert message["text"] == "@acme.care my lamp arrived broken"
    assert message["external_id"] == mention["comment_id"]
    assert message["direction"] == "in"
    with world.runtime.db.session() as session:
        [stored] = session.exec(select(Conversation)).all()
        assert stored.thread_key == f"mention:{mention['media_id']}/{mention['comment_id']}"


def test_direct_message_reply_inside_the_window(world: World) -> None:
    state = world.state
    written = world.live.control(
        "customer/message", customer="bo.example", text="Do you ship to Norway?"
    )
    world.settle()
    conversation = world.only_conversation()
    assert conversation["visibility"] == "private"

    world.clock.advance(hours=3)
    reply = world.reply(conversation["id"], "We do — 3 to 5 days ^JS")
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "sent"
    assert reply.json()["send_decision"]["messaging_type"] == "RESPONSE"
    [sent] = world.sends
    assert sent["recipient"] == {"id": written["igsid"]}
    assert sent["messaging_type"] == "RESPONSE"
    assert "tag" not in sent
    thread = state.messaging.threads[(state.ig_user_id, written["igsid"])]
    assert [m.text for m in thread.messages] == [
        "Do you ship to Norway?",
        "We do — 3 to 5 days ^JS",
    ]

    world.settle()  # the Direct echo
    assert [(m.direction, m.text) for m in world.messages()] == [
        ("in", "Do you ship to Norway?"),
        ("out", "We do — 3 to 5 days ^JS"),
    ]
    assert world.messages()[0].external_id == written["mid"]
