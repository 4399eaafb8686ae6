"""``careline demo`` end to end: emulators → signed webhooks and polling → pipeline → routing,
escalation, ignore rules → replies through the API → the right emulator; reports over history.

One demo runs for the whole module (it takes some seconds); each test reads what it did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from careline.models import Conversation, Escalation, RawEvent
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime
from careline.testing.servers import free_port
from careline.types import ConversationStatus
from careline_demo.run import DemoOptions, DemoReport, run_demo
from careline_demo.world import World
from sqlmodel import col, func, select

CHANNELS = ("twitter", "facebook", "instagram")
HISTORY_DAYS = 2


@dataclass
class RunningDemo:
    """A demo running in a background thread, and what it printed."""

    report: DemoReport
    world: World
    runtime: Runtime
    started: datetime
    lines: list[str] = field(default_factory=list)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """Call the demo's API with the supervisor's token."""
        base = self.report.url.removesuffix("/inbox")
        headers = {"Authorization": f"Bearer {self.report.token}"}
        return httpx.request(method, base + path, headers=headers, timeout=30, **kwargs)

    def scalar(self, query: Any) -> Any:
        """One value from the demo's database."""
        with self.runtime.db.read_session() as session:
            return session.exec(query).one()


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``condition`` until it holds, failing with ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.25)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDemo]:
    """``careline demo --days 2 --speed 20`` on free ports, until the module's tests are done."""
    folder: Path = tmp_path_factory.mktemp("demo") / "careline-demo"
    options = DemoOptions(
        folder=folder, port=free_port(), speed=20, seed=11, days=HISTORY_DAYS, duration=120
    )
    stop, ready = threading.Event(), threading.Event()
    lines: list[str] = []
    box: dict[str, Any] = {}

    def on_ready(report: DemoReport, world: World, runtime: Runtime) -> None:
        box["demo"] = RunningDemo(report, world, runtime, runtime.now(), lines)
        ready.set()

    def run() -> None:
        try:
            box["final"] = run_demo(
                options, get_plugin_manager(), lines.append, stop=stop, on_ready=on_ready
            )
        except BaseException as error:  # surfaced by the fixture below
            box["error"] = error
            ready.set()

    thread = threading.Thread(target=run, name="demo-under-test")
    thread.start()
    assert ready.wait(90), "the demo did not start"
    if "error" in box:
        raise box["error"]
    running: RunningDemo = box["demo"]
    yield running
    stop.set()
    thread.join(timeout=60)
    assert not thread.is_alive(), "the demo did not stop"
    assert "error" not in box, box.get("error")


def live_conversations(demo: RunningDemo, channel: str) -> Any:
    return (
        select(func.count())
        .select_from(Conversation)
        .where(Conversation.channel == channel, col(Conversation.created_at) >= demo.started)
    )


def test_messages_flow_from_every_emulator_through_webhooks_into_conversations(
    demo: RunningDemo,
) -> None:
    def every_channel_has_traffic() -> bool:
        return all(demo.scalar(live_conversations(demo, c)) >= 2 for c in CHANNELS)

    wait_for(every_channel_has_traffic, 45, "live conversations on all three channels")
    for channel in CHANNELS:
        processed_webhooks = demo.scalar(
            select(func.count())
            .select_from(RawEvent)
            .where(RawEvent.channel == channel, RawEvent.via == "webhook")
            .where(RawEvent.status == "done")
        )
        assert processed_webhooks > 0, f"no {channel} webhook delivery was processed"


def test_routing_escalation_and_ignore_rules_act_on_live_traffic(demo: RunningDemo) -> None:
    def enough_happened() -> bool:
        queues = demo.scalar(
            select(func.count(func.distinct(Conversation.queue))).where(
                col(Conversation.created_at) >= demo.started
            )
        )
        escalations = demo.scalar(select(func.count()).select_from(Escalation))
        ignored = demo.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.status == ConversationStatus.IGNORED)
            .where(col(Conversation.created_at) >= demo.started)
        )
        return queues >= 3 and escalations >= 1 and ignored >= 1

    wait_for(enough_happened, 45, "several queues, an escalation and an ignored conversation")


@pytest.mark.parametrize("channel", CHANNELS)
def test_a_reply_through_the_api_reaches_the_channels_emulator(
    demo: RunningDemo, channel: str
) -> None:
    def waiting_conversation() -> int | None:
        with demo.runtime.db.read_session() as session:
            return session.exec(
                select(Conversation.id)
                .where(Conversation.channel == channel)
                .where(col(Conversation.created_at) >= demo.started)
                .where(col(Conversation.status).in_(["new", "open", "pending", "escalated"]))
                .order_by(col(Conversation.id).desc())
            ).first()

    wait_for(lambda: waiting_conversation() is not None, 45, f"a {channel} conversation")
    conversation_id = waiting_conversation()
    text = f"Hi, thanks for your patience, this is sorted now (case {conversation_id}). ^ST"

    answer = demo.api("POST", f"/api/conversations/{conversation_id}/reply", json={"text": text})

    assert answer.status_code == 200, answer.text
    assert answer.json()["outcome"] == "sent"
    assert text in demo.world.brand_texts(channel)
    others = [c for c in CHANNELS if c != channel]
    assert all(text not in demo.world.brand_texts(other) for other in others)


def test_reports_show_the_backfilled_days(demo: RunningDemo) -> None:
    answer = demo.api("GET", "/api/reports/overview", params={"format": "json", "since": "3d"})

    assert answer.status_code == 200, answer.text
    report = answer.json()
    figures = report["figures"]
    assert figures["conversations"] >= 10
    assert figures["first_response_time_median_seconds"] is not None
    assert figures["resolution_time_median_seconds"] is not None
    assert figures["csat_responses"] >= 1
    daily = next(s for s in report["series"] if "day" in s["title"].lower())
    days_with_conversations = sum(1 for value in next(iter(daily["values"].values())) if value)
    assert days_with_conversations >= HISTORY_DAYS


def test_the_demo_prints_the_inbox_url_and_a_login_token(demo: RunningDemo) -> None:
    printed = "\n".join(demo.lines)

    assert demo.report.url in printed
    assert demo.report.token in printed
    assert demo.api("GET", "/api/me").json()["name"] == "Sam Taylor"


def test_the_worker_polls_too_and_listening_finds_earned_posts(demo: RunningDemo) -> None:
    def earned_conversation_from_polling() -> bool:
        polled = demo.scalar(
            select(func.count())
            .select_from(RawEvent)
            .where(RawEvent.channel == "twitter", RawEvent.via == "poll")
        )
        earned = demo.scalar(
            select(func.count())
            .select_from(Conversation)
            .where(Conversation.source == "earned", Conversation.queue == "listening")
            .where(col(Conversation.created_at) >= demo.started)
        )
        return polled > 0 and earned > 0

    wait_for(earned_conversation_from_polling, 40, "a listening post found by polling")
