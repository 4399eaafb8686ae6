"""The agent inbox in real headless Chromium, served over loopback.

Needs Debian's chromium (`make test` and `.ci/run` install it); skipped loudly elsewhere, and a
failure under CI=true.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from careline import hookimpl, pipeline
from careline.services import agents
from careline.testing.channel import delivery, message
from careline.testing.flow import deliver
from careline.testing.servers import serve_in_thread
from careline.types import Finding, Role, Severity
from careline.web.app import create_app

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]
HOSTILE = [
    "<script>window.__pwned = 1</script> where is my order?",
    '"><img src=x onerror="window.__pwned = 2"> refund please',
    'click javascript:window.__pwned=3 or <a href="javascript:window.__pwned=4">here</a>',
]

pytestmark = pytest.mark.browser


class ToneCheck:
    @hookimpl
    def careline_check_reply(self, draft):
        if "guarantee" in draft.text.lower():
            start = draft.text.lower().index("guarantee")
            return [
                Finding(
                    "banned_phrases",
                    Severity.WARN,
                    "avoid promising guarantees",
                    (start, start + 9),
                )
            ]
        return []


@pytest.fixture
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail("Chromium is required under CI (.ci/chromium.sh installs it)")
        pytest.skip("Chromium is not installed (run .ci/chromium.sh)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def inbox(careline_runtime, careline_database_url: str):
    if not careline_database_url.startswith("sqlite"):
        pytest.skip("the browser tests run on the embedded default (SQLite)")
    runtime = careline_runtime(ToneCheck())
    for number, text in enumerate(HOSTILE):
        deliver(
            runtime,
            "testchannel",
            delivery(message(f"h{number}", author=f"u{number}", thread=f"t{number}", text=text)),
        )
    pipeline.process_pending(runtime)
    agent = agents.add_agent(runtime, "Jo Smith", role=Role.SUPERVISOR)
    _, token = agents.create_token(runtime, agent.id)
    app = create_app(runtime.settings, runtime.pm, runtime=runtime)
    with serve_in_thread(app) as base_url:
        yield base_url, token, runtime


def log_in(page: Any, base_url: str, token: str) -> None:
    page.goto(f"{base_url}/inbox")
    assert "/login" in page.url
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base_url}/inbox")


def test_agent_logs_in_replies_and_resolves(browser, inbox, test_platform) -> None:
    base_url, token, _runtime = inbox
    page = browser.new_page(viewport={"width": 1366, "height": 800})
    log_in(page, base_url, token)
    assert page.locator("tbody tr").count() == len(HOSTILE)
    if os.environ.get("CARELINE_SCREENSHOT"):
        page.screenshot(path=os.environ["CARELINE_SCREENSHOT"], full_page=True)
    page.click("text=where is my order?")
    page.fill("#reply-text", "We guarantee it arrives tomorrow ^JS")
    page.click("button[value=preview]")
    assert "avoid promising guarantees" in page.inner_text(".flash")
    assert page.input_value("#reply-text") == "We guarantee it arrives tomorrow ^JS"
    assert test_platform.sent == []
    page.fill("#reply-text", "So sorry! It ships today ^JS")
    page.click("#send-reply")
    assert "sent" in page.inner_text(".flash")
    assert [m.text for m in test_platform.sent] == ["So sorry! It ships today ^JS"]
    page.click("#resolve")
    assert "Resolved." in page.inner_text(".flash")
    assert "resolved" in page.inner_text("h1")


def test_customer_html_renders_as_inert_text(browser, inbox) -> None:
    base_url, token, _runtime = inbox
    page = browser.new_page()
    log_in(page, base_url, token)
    for number in range(len(HOSTILE)):
        page.goto(f"{base_url}/inbox/conversations/{number + 1}")
        thread = page.inner_text(".thread")
        assert HOSTILE[number].split(">")[-1].strip()[:10] in thread
        assert page.evaluate("window.__pwned") is None
        assert page.locator(".thread img").count() == 0
        assert page.locator(".thread script").count() == 0
        assert page.locator(".thread a").count() == 0
    page.goto(f"{base_url}/inbox")
    assert page.evaluate("window.__pwned") is None
    assert page.locator("tbody img").count() == 0


def test_forms_without_csrf_token_are_refused(inbox) -> None:
    import httpx

    base_url, token, _runtime = inbox
    with httpx.Client(base_url=base_url) as client:
        login = client.post("/login", data={"token": token, "csrf": "forged"})
        assert login.status_code == 403
        redirected = client.get("/inbox")
        assert redirected.status_code == 303
        assert redirected.headers["location"].startswith("/login")
