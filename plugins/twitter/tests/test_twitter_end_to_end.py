"""End to end over real loopback HTTP: the X emulator ⇄ careline's web app, worker and API.

The emulator delivers signed Account Activity webhooks to careline's `/webhooks/twitter`
(after X's CRC check); an agent replies through the JSON API; the emulator receives X's real
`POST /2/tweets` / DM calls and echoes the brand's post back, which must not become a customer
message.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from careline import outbox, pipeline
from careline.clock import FrozenClock
from careline.models import Message
from careline.services import agents
from careline.testing.servers import serve_in_thread
from careline.web.app import create_app
from careline_twitter.emulator import EmulatorState, create_emulator
from careline_twitter.emulator import serve_in_thread as serve_emulator
from sqlmodel import select

PREFIX = "X_E2E"


@pytest.fixture
def world(
    careline_runtime: Any, careline_settings: Any, careline_clock: FrozenClock
) -> Iterator[dict[str, Any]]:
    state = EmulatorState(clock=careline_clock)
    state.add_brand("acmecare", "Acme Care")
    state.add_customer("priya_s", "Priya S.", followers=1432)
    with serve_emulator(create_emulator(state)) as emulator_url:
        careline_settings.environ.update(state.environment(PREFIX))
        config = {"twitter": state.channel_config(emulator_url, env_prefix=PREFIX)}
        runtime = careline_runtime("careline-twitter", config=config)
        agent = agents.add_agent(runtime, "Jo Smith", initials="JS")
        _, token = agents.create_token(runtime, agent.id or 0)
        app = create_app(runtime.settings, runtime.pm, runtime=runtime)
        with serve_in_thread(app) as careline_url:
            state.deliver_to(f"{careline_url}/webhooks/twitter")
            api = httpx.Client(base_url=careline_url, headers={"Authorization": f"Bearer {token}"})
            yield {"state": state, "runtime": runtime, "api": api, "clock": careline_clock}
            api.close()
            state.close()


def settle(world: dict[str, Any]) -> None:
    """Wait for the emulator's deliveries, then run the pipeline as the worker would."""
    assert world["state"].flush_deliveries()
    pipeline.process_pending(world["runtime"])


def messages(world: dict[str, Any]) -> list[Message]:
    with world["runtime"].db.session() as session:
        return list(session.exec(select(Message).order_by(Message.id)).all())


def only_conversation(world: dict[str, Any]) -> dict[str, Any]:
    [conversation] = world["api"].get("/api/conversations").json()["items"]
    return conversation


def test_signed_mention_to_api_reply_to_echo(world: dict[str, Any]) -> None:
    state = world["state"]
    mention = state.customer_posts("priya_s", "@acmecare my router keeps dropping the line")
    settle(world)
    conversation = only_conversation(world)
    assert conversation["channel"] == "twitter"
    assert conversation["visibility"] == "public"
    reply = world["api"].post(
        f"/api/conversations/{conversation['id']}/reply",
        json={"text": "@priya_s So sorry! Could you DM us? ^JS"},
    )
    assert reply.status_code == 200, reply.text
    assert reply.json()["outcome"] == "sent"
    brand = state.user("acmecare").id
    [sent] = [p for p in state.posts.values() if p.author_id == brand]
    assert sent.in_reply_to_id == mention.id
    assert sent.text == "@priya_s So sorry! Could you DM us? ^JS"
    settle(world)  # the brand's own post comes back as an echo
    stored = messages(world)
    assert [(m.direction, m.external_id) for m in stored] == [("in", mention.id), ("out", sent.id)]
    detail = world["api"].get(f"/api/conversations/{conversation['id']}").json()
    assert [e["type"] for e in detail["events"]].count("replied") == 1


def test_customer_answering_the_brands_reply_stays_in_the_conversation(
    world: dict[str, Any],
) -> None:
    # Account Activity posts carry no conversation_id: only the post each one answers.
    state = world["state"]
    state.customer_posts("priya_s", "@acmecare my router keeps dropping the line")
    settle(world)
    conversation = only_conversation(world)
    reply = world["api"].post(
        f"/api/conversations/{conversation['id']}/reply",
        json={"text": "@priya_s Have you tried restarting it? ^JS"},
    )
    assert reply.json()["outcome"] == "sent", reply.text
    brand = state.user("acmecare").id
    [sent] = [p for p in state.posts.values() if p.author_id == brand]
    state.customer_posts("priya_s", "@acmecare yes, twice. Still dropping", in_reply_to=sent.id)
    settle(world)
    assert only_conversation(world)["id"] == conversation["id"]
    detail = world["api"].get(f"/api/conversations/{conversation['id']}").json()
    assert [m["text"] for m in detail["messages"]][-1] == "@acmecare yes, twice. Still dropping"


def test_dm_reply_goes_back_as_a_dm(world: dict[str, Any]) -> None:
    state = world["state"]
    state.customer_sends_dm("priya_s", "acmecare", "Hi, my account number is 4411")
    settle(world)
    conversation = only_conversation(world)
    assert conversation["visibility"] == "private"
    reply = world["api"].post(
        f"/api/conversations/{conversation['id']}/reply", json={"text": "Thanks, we're on it ^JS"}
    )
    assert reply.json()["outcome"] == "sent", reply.text
    settle(world)
    texts = [(m.direction, m.text) for m in messages(world)]
    assert texts == [("in", "Hi, my account number is 4411"), ("out", "Thanks, we're on it ^JS")]


def test_rate_limited_reply_waits_then_goes_out_once(world: dict[str, Any]) -> None:
    state = world["state"]
    state.customer_posts("priya_s", "@acmecare is the app down?")
    settle(world)
    conversation = only_conversation(world)
    state.fail_next("POST /2/tweets", 429, reset_in=120)
    reply = world["api"].post(
        f"/api/conversations/{conversation['id']}/reply",
        json={"text": "@priya_s Looking into it ^JS"},
    )
    assert reply.status_code == 202
    assert reply.json()["outcome"] == "queued"
    brand = state.user("acmecare").id
    assert [p for p in state.posts.values() if p.author_id == brand] == []
    assert outbox.drain(world["runtime"]).sent == 0  # not before x-rate-limit-reset
    world["clock"].advance(seconds=121)
    assert outbox.drain(world["runtime"]).sent == 1
    assert len([p for p in state.posts.values() if p.author_id == brand]) == 1


def test_expired_token_is_refreshed_and_the_reply_sent(world: dict[str, Any]) -> None:
    state = world["state"]
    state.customer_posts("priya_s", "@acmecare where is my refund?")
    settle(world)
    conversation = only_conversation(world)
    state.expire_tokens("acmecare")
    reply = world["api"].post(
        f"/api/conversations/{conversation['id']}/reply",
        json={"text": "@priya_s Refunds take 3 days ^JS"},
    )
    assert reply.json()["outcome"] == "sent", reply.text
