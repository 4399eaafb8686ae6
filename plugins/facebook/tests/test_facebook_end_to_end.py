"""End to end over real loopback HTTP: the Facebook emulator ⇄ careline's web app, worker and API.

The emulator (the Graph API and Meta's webhooks) delivers signed ``feed`` and Messenger webhooks
to careline's ``/webhooks/facebook``; the pipeline runs as the worker would; an agent replies
through the JSON API with a bearer token; the assertions read the emulator's state — what
actually reached "Facebook" — and careline's database. Windows move with ``careline_clock``,
which the emulator shares.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from careline import outbox, pipeline, worker
from careline.clock import FrozenClock
from careline.config import Settings
from careline.models import ChannelHealth, Conversation, Message
from careline.runtime import Runtime
from careline.services import agents
from careline.testing.servers import serve_in_thread
from careline.web.app import create_app
from careline_facebook.emulator import FacebookEmulatorState, LiveEmulator
from sqlmodel import col, select

pytest_plugins = ["careline_facebook.testing"]

ENVIRONMENT = {
    "access_token": "FB_E2E_PAGE_TOKEN",
    "app_secret": "FB_E2E_APP_SECRET",
    "verify_token": "FB_E2E_VERIFY_TOKEN",
}


@dataclass
class World:
    """Both servers running, and what the tests need to drive and inspect them."""

    state: FacebookEmulatorState
    live: LiveEmulator
    runtime: Runtime
    api: httpx.Client
    clock: FrozenClock
    settings: Settings
    config: dict[str, Any]
    careline_url: str
    sends: list[dict[str, Any]]  # every POST /{page-id}/messages body the emulator handled

    def settle(self) -> None:
        """Run the pipeline as the worker would (the emulator delivers synchronously)."""
        assert pipeline.process_pending(self.runtime).failed == 0

    def conversations(self) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = self.api.get("/api/conversations").json()["items"]
        return sorted(items, key=lambda c: c["id"])

    def detail(self, conversation_id: int) -> dict[str, Any]:
        response = self.api.get(f"/api/conversations/{conversation_id}")
        assert response.status_code == 200, response.text
        detail: dict[str, Any] = response.json()
        return detail

    def reply(self, conversation_id: int, text: str, **body: Any) -> httpx.Response:
        return self.api.post(
            f"/api/conversations/{conversation_id}/reply", json={"text": text, **body}
        )

    def messages(self) -> list[Message]:
        with self.runtime.db.session() as session:
            return list(session.exec(select(Message).order_by(col(Message.id))).all())

    def page_comments(self) -> list[Any]:
        return [c for c in self.state.comments.values() if c.author == self.state.page_id]


@pytest.fixture
def world(
    facebook_live: LiveEmulator,
    facebook_state: FacebookEmulatorState,
    careline_runtime: Any,
    careline_settings: Settings,
    careline_clock: FrozenClock,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[World]:
    state = facebook_state
    state.page_post("Summer sale: 20% off everything this week")  # before careline listens
    sends: list[dict[str, Any]] = []
    brand_sends = state.messaging.brand_sends

    def recording_brand_sends(account: str, params: Mapping[str, Any]) -> dict[str, Any]:
        sends.append(dict(params))
        return brand_sends(account, params)

    monkeypatch.setattr(state.messaging, "brand_sends", recording_brand_sends)
    careline_settings.environ.update(
        {
            ENVIRONMENT["access_token"]: state.page_token,
            ENVIRONMENT["app_secret"]: state.app_secret,
            ENVIRONMENT["verify_token"]: state.verify_token,
        }
    )
    config = {
        "facebook": {
            "page_id": state.page_id,
            **{key: f"$env:{name}" for key, name in ENVIRONMENT.items()},
            "base_url": facebook_live.base_url,
        }
    }
    runtime = careline_runtime("careline-facebook", config=config)
    agent = agents.add_agent(runtime, "Jo Smith", initials="JS")
    _, token = agents.create_token(runtime, agent.id or 0)
    app = create_app(runtime.settings, runtime.pm, runtime=runtime)
    with serve_in_thread(app) as careline_url:
        state.deliver_to(f"{careline_url}/webhooks/facebook")
        with httpx.Client(
            base_url=careline_url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        ) as api:
            yield World(
                state=state,
                live=facebook_live,
                runtime=runtime,
                api=api,
                clock=careline_clock,
                settings=careline_settings,
                config=config,
                careline_url=careline_url,
                sends=sends,
            )
        state.deliver_to(None)


def test_comment_public_reply_then_one_private_reply(world: World) -> None:
    state = world.state
    made = world.live.control("customer/comment", customer="Ann", message="My order never came")
    comment_id = made["comment_id"]
    world.settle()
    [conversation] = world.conversations()
    assert (conversation["channel"], conversation["visibility"]) == ("facebook", "public")

    public = world.reply(conversation["id"], "So sorry, Ann — we're checking ^JS")
    assert public.status_code == 200, public.text
    assert public.json()["outcome"] == "sent"
    [answer] = world.page_comments()
    assert answer.parent_id == comment_id  # under Ann's comment, on the same post
    assert answer.post_id == made["post_id"]
    assert answer.message == "So sorry, Ann — we're checking ^JS"
    world.settle()  # the Page's own comment comes back as a feed webhook: an echo
    assert [(m.direction, m.external_id) for m in world.messages()] == [
        ("in", comment_id),
        ("out", answer.id),
    ]

    private = world.reply(
        conversation["id"], "Could you send us your postcode? ^JS", visibility="private"
    )
    assert private.status_code == 200, private.text
    assert private.json()["outcome"] == "sent"
    [sent] = world.sends
    assert sent["recipient"] == {"comment_id": comment_id}
    assert state.comments[comment_id].private_replied
    ann = state.customer("Ann")
    thread = state.messaging.threads[(state.page_id, ann.psid)]
    assert [m.text for m in thread.messages] == ["Could you send us your postcode? ^JS"]
    world.settle()  # Messenger echoes the private reply

    requests_before = len(state.requests)
    again = world.reply(conversation["id"], "And your phone number? ^JS", visibility="private")
    assert again.status_code == 422, again.text
    assert again.json()["outcome"] == "refused"
    assert "private reply was already sent" in again.json()["detail"]
    assert len(world.sends) == 1
    assert len(state.requests) == requests_before  # refused before any Graph call
    assert len(thread.messages) == 1

    [only] = world.conversations()  # the echo did not open a conversation of its own
    detail = world.detail(only["id"])
    assert [(m["direction"], m["visibility"]) for m in detail["messages"]] == [
        ("in", "public"),
        ("out", "public"),
        ("out", "private"),
    ]
    assert [e["type"] for e in detail["events"]].count("replied") == 2
    assert [m.direction for m in world.messages()].count("in") == 1


def test_messenger_windows_response_then_human_agent_then_closed(world: World) -> None:
    state = world.state
    written = world.clock.now()
    world.live.control("customer/message", customer="Bo", text="Hi, my invoice is wrong")
    world.settle()
    [conversation] = world.conversations()
    assert conversation["visibility"] == "private"
    bo = state.customer("Bo")

    inside = world.reply(conversation["id"], "Let me check that for you ^JS")
    assert inside.json()["outcome"] == "sent", inside.text
    assert world.sends[-1]["messaging_type"] == "RESPONSE"
    assert "tag" not in world.sends[-1]
    assert world.sends[-1]["recipient"] == {"id": bo.psid}

    world.clock.advance(hours=30)
    tagged = world.reply(conversation["id"], "Your corrected invoice is on its way ^JS")
    assert tagged.json()["outcome"] == "sent", tagged.text
    assert (world.sends[-1]["messaging_type"], world.sends[-1]["tag"]) == (
        "MESSAGE_TAG",
        "HUMAN_AGENT",
    )

    world.clock.set(written + timedelta(days=8))
    requests_before = len(state.requests)
    closed = world.reply(conversation["id"], "Anything else? ^JS")
    assert closed.status_code == 422, closed.text
    assert "window closed" in closed.json()["detail"]
    assert len(world.sends) == 2
    assert len(state.requests) == requests_before

    thread = state.messaging.threads[(state.page_id, bo.psid)]
    assert [m.text for m in thread.messages] == [
        "Hi, my invoice is wrong",
        "Let me check that for you ^JS",
        "Your corrected invoice is on its way ^JS",
    ]
    world.settle()  # the two echoes
    assert [(m.direction, m.text) for m in world.messages()] == [
        ("in", "Hi, my invoice is wrong"),
        ("out", "Let me check that for you ^JS"),
        ("out", "Your corrected invoice is on its way ^JS"),
    ]


def test_repeated_and_out_of_order_deliveries_give_one_message_each(world: World) -> None:
    state = world.state
    webhook_url = f"{world.careline_url}/webhooks/facebook"
    state.deliver_to(webhook_url, duplicates=1)  # every delivery arrives twice
    comment = world.live.control("customer/comment", customer="Ann", message="Refund?")
    message = world.live.control("customer/message", customer="Ann", text="Refund please")
    assert [d.attempts for d in state.deliveries[-2:]] == [[200, 200], [200, 200]]
    world.settle()
    assert len(world.messages()) == 2

    # Meta repeats both later, newest first and merged into one delivery: other bytes, same ids.
    state.deliver_to(webhook_url)
    state.redeliver(last=2, reverse=True, batched=True)
    assert state.deliveries[-1].attempts == [200]
    world.settle()
    assert len(world.messages()) == 2

    # Cy's comment is delayed; Dee's reply to it arrives (and is processed) first, then Meta
    # repeats both, newest first: the reply again, then the comment at last.
    state.deliver_to(None)
    top = world.live.control("customer/comment", customer="Cy", message="Broken lid")
    state.deliver_to(webhook_url)
    world.clock.advance(minutes=3)
    under = world.live.control(
        "customer/comment", customer="Dee", message="Same here!", reply_to=top["comment_id"]
    )
    world.settle()
    assert len(world.conversations()) == 3  # the reply opened Cy's thread
    state.redeliver(last=2, reverse=True)
    world.settle()

    inbound = [m.external_id for m in world.messages() if m.direction == "in"]
    assert sorted(inbound) == sorted(
        [comment["comment_id"], message["mid"], top["comment_id"], under["comment_id"]]
    )
    texts = sorted(
        [m["text"] for m in world.detail(c["id"])["messages"]] for c in world.conversations()
    )
    assert texts == [["Broken lid", "Same here!"], ["Refund please"], ["Refund?"]]


def test_expired_token_fails_then_reconnect_and_backfill_recover_the_gap(
    world: World, careline_runtime: Any, careline_cli: Any, careline_plugin_manager: Any
) -> None:
    state = world.state
    ann_comment = world.live.control("customer/comment", customer="Ann", message="Order #4411?")
    bo_message = world.live.control("customer/message", customer="Bo", text="Where's my parcel?")
    world.settle()
    ann_conversation, bo_conversation = world.conversations()

    state.expire_token(state.page_token)  # silently, on a Tuesday night
    failed = world.reply(ann_conversation["id"], "We're on it, Ann ^JS")
    assert failed.status_code == 200, failed.text
    assert failed.json()["outcome"] == "failed"
    assert "(Graph error 190/463); reconnect the account" in failed.json()["reason"]
    assert world.page_comments() == []
    [reply] = [
        m for m in world.detail(ann_conversation["id"])["messages"] if m["direction"] == "out"
    ]
    assert reply["delivery"]["state"] == "failed"
    assert "Session has expired" in reply["delivery"]["error"]
    with world.runtime.db.session() as session:
        [health] = session.exec(select(ChannelHealth)).all()
        assert (health.channel, health.account, health.state) == (
            "facebook",
            state.page_id,
            "needs_reconnect",
        )
    requests_before = len(state.requests)
    assert worker.poll_channels(world.runtime).pages == 0  # polling waits for the reconnect
    assert len(state.requests) == requests_before

    # careline misses every webhook of the gap, while the customers keep writing.
    state.deliver_to("http://127.0.0.1:9/unreachable")
    world.clock.advance(minutes=20)
    missed = [
        world.live.control(
            "customer/comment",
            customer="Ann",
            message="Hello?? Still nothing",
            reply_to=ann_comment["comment_id"],
        )["comment_id"],
        world.live.control("customer/comment", customer="Cy", message="Is the sale still on?")[
            "comment_id"
        ],
        world.live.control("customer/message", customer="Bo", text="Any news?")["mid"],
        world.live.control("customer/message", customer="Dee", text="Do you ship to Oslo?")["mid"],
    ]
    assert all(d.attempts == [0] for d in state.deliveries[-4:])
    world.clock.advance(hours=2)

    # The admin sets a new token, restarts careline and runs `careline channels reconnect`.
    world.settings.environ[ENVIRONMENT["access_token"]] = state.issue_token(state.page_id)
    runtime = careline_runtime("careline-facebook", config=world.config)
    result = careline_cli(
        "channels",
        "reconnect",
        "facebook",
        env={"CARELINE_DATABASE_URL": world.settings.database_url},
        pm=careline_plugin_manager("careline-facebook"),
    )
    assert result.exit_code == 0, result.output
    assert "facebook: reconnected (1 account(s))" in result.output
    with runtime.db.session() as session:
        [health] = session.exec(select(ChannelHealth)).all()
        assert health.state == "ok"

    polled = worker.poll_channels(runtime)
    assert polled.errors == []
    assert polled.stored > 0
    assert pipeline.process_pending(runtime).failed == 0
    again = worker.poll_channels(runtime)  # the next poll finds nothing new to store
    assert again.errors == []  # it re-reads a two-minute overlap: the same ids again
    assert pipeline.process_pending(runtime).failed == 0

    stored = world.messages()
    inbound = [m.external_id for m in stored if m.direction == "in"]
    assert sorted(inbound) == sorted([ann_comment["comment_id"], bo_message["mid"], *missed])
    assert len(set(inbound)) == len(inbound)
    with runtime.db.session() as session:
        threads = {
            conversation.id: sorted(
                m.text
                for m in session.exec(
                    select(Message).where(Message.conversation_id == conversation.id)
                ).all()
                if m.direction == "in"
            )
            for conversation in session.exec(select(Conversation)).all()
        }
    assert threads[ann_conversation["id"]] == ["Hello?? Still nothing", "Order #4411?"]
    assert threads[bo_conversation["id"]] == ["Any news?", "Where's my parcel?"]
    assert sorted(threads.values()) == sorted(
        [
            ["Hello?? Still nothing", "Order #4411?"],
            ["Any news?", "Where's my parcel?"],
            ["Is the sale still on?"],
            ["Do you ship to Oslo?"],
        ]
    )
    # The failed reply stays failed: it is not sent behind the agent's back after the reconnect.
    assert outbox.drain(runtime).sent == 0
    assert [m.delivery_state for m in world.messages() if m.direction == "out"] == ["failed"]
    assert world.page_comments() == []
