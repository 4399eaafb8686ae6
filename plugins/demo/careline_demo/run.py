"""``careline demo`` end to end: the folder, the emulators, careline (web + worker), the care
team, history, live traffic, and a clean stop on Ctrl-C, SIGTERM or after ``--duration``.
"""

from __future__ import annotations

import logging
import os
import secrets
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

import pluggy
from careline.config import load_settings
from careline.runtime import Runtime
from careline.servers import serve_in_thread
from careline.web.app import create_app

from careline_demo.backfill import BackfillStats, backfill
from careline_demo.care_team import CareTeamLoop
from careline_demo.config import demo_config
from careline_demo.customers import Customers, TrafficLoop
from careline_demo.instance import prepare_folder, read_marker, write_config, write_marker
from careline_demo.receiver import NotificationReceiver
from careline_demo.team import create_team, login_token
from careline_demo.traffic import TrafficGenerator
from careline_demo.world import ENV_PREFIX, World

RECEIVER_SECRET_ENV = f"{ENV_PREFIX}_NOTIFY_SECRET"
Echo = Callable[[str], None]


@dataclass(frozen=True)
class DemoOptions:
    """What ``careline demo`` was asked to do."""

    folder: Path
    port: int = 8000
    speed: float | None = None
    seed: int | None = None
    traffic: bool = True
    backfill: bool = True
    days: int = 30
    duration: float | None = None
    reset: bool = False


@dataclass
class DemoReport:
    """What a demo run did, for the summary line and for tests."""

    url: str = ""
    token: str = ""
    history: BackfillStats | None = None
    customer_messages: dict[str, int] = field(default_factory=dict)
    agent_replies: int = 0
    notifications: int = 0


def demo_environment() -> dict[str, str]:
    """The process environment without ``CARELINE_DATABASE_URL``: the demo is always SQLite in
    its own folder, even in a shell set up for another instance."""
    return {k: v for k, v in os.environ.items() if k != "CARELINE_DATABASE_URL"}


def generated_tables(
    options: DemoOptions, world: World, receiver_url: str, *, seed: int | None
) -> dict[str, Any]:
    """The tables the demo writes before its policies: instance, worker, channels, webhooks."""
    base_url = f"http://127.0.0.1:{options.port}"
    return {
        "instance": {
            "name": "Acme care (demo)",
            "timezone": "Europe/Amsterdam",
            "base_url": base_url,
        },
        "web": {"host": "127.0.0.1", "port": options.port},
        "worker": {"poll_interval": "15s", "tick_interval": "10s", "idle_sleep": "0.2s"},
        "demo": {"speed": options.speed or 1.0, "seed": seed},
        **world.channel_tables(),
        "escalation": {
            "webhooks": {
                "care-leads": {
                    "url": f"{receiver_url}/notifications",
                    "secret": f"$env:{RECEIVER_SECRET_ENV}",
                    "recipients": ["target:*", "role:supervisor"],
                }
            }
        },
    }


@contextmanager
def log_to_file(path: Path) -> Iterator[None]:
    """Send log records to ``path`` instead of the console, for the length of the block."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        handler.close()


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (in the main thread; elsewhere nothing is installed)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_demo(
    options: DemoOptions,
    pm: pluggy.PluginManager,
    echo: Echo,
    *,
    stop: threading.Event | None = None,
    on_ready: Callable[[DemoReport, World, Runtime], None] | None = None,
) -> DemoReport:
    """Run the demo until ``stop`` is set, a signal arrives or ``duration`` has passed."""
    stop = stop or threading.Event()
    is_new = prepare_folder(options.folder, reset=options.reset)
    # The handlers stay until everything has stopped: a second Ctrl-C (or a signal sent to the
    # whole process group) must not interrupt the orderly shutdown.
    with log_to_file(options.folder / "logs" / "demo.log"), stop_on_signals(stop):
        return _run(options, pm, echo, stop, on_ready, is_new=is_new)


def _run(
    options: DemoOptions,
    pm: pluggy.PluginManager,
    echo: Echo,
    stop: threading.Event,
    on_ready: Callable[[DemoReport, World, Runtime], None] | None,
    *,
    is_new: bool,
) -> DemoReport:
    report = DemoReport()
    world = World.create()
    receiver = NotificationReceiver(secret=secrets.token_urlsafe(24))
    os.environ.update(world.environment())
    os.environ[RECEIVER_SECRET_ENV] = receiver.secret
    seed = options.seed
    with world.serve(), serve_in_thread(receiver.app()) as receiver_url:
        write_config(
            options.folder, generated_tables(options, world, receiver_url, seed=options.seed)
        )
        settings = load_settings(options.folder, require=True, environ=demo_environment())
        config = demo_config(settings)
        speed = options.speed or config.speed
        seed = seed if seed is not None else config.seed
        runtime = Runtime.create(settings, pm)
        team = create_team(runtime)
        if is_new and options.backfill and options.days > 0:
            report.history = backfill(
                options.folder, pm, world, team, days=options.days, seed=seed, echo=echo, stop=stop
            )
            write_marker(
                options.folder, {**read_marker(options.folder), "history_days": options.days}
            )
        if stop.is_set():
            echo("careline demo: stopped while writing history.")
            return report
        report.token = login_token(runtime)
        app = create_app(settings, pm, runtime=runtime, run_worker=True)
        with serve_in_thread(app, port=options.port, timeout=30) as careline_url:
            world.deliver_webhooks_to(careline_url)
            report.url = f"{careline_url}/inbox"
            started = runtime.now()
            customers = Customers(world)
            loops: list[TrafficLoop | CareTeamLoop] = []
            if options.traffic:
                loops.append(TrafficLoop(customers, TrafficGenerator(seed), speed))
                if config.simulated_agents:
                    loops.append(
                        CareTeamLoop(
                            runtime,
                            since=started,
                            speed=speed,
                            answer_share=config.answer_share,
                            seed=seed,
                        )
                    )
            for loop in loops:
                loop.start()
            _welcome(echo, report, options, world)
            if on_ready is not None:
                on_ready(report, world, runtime)
            stop.wait(options.duration)
            echo("careline demo: stopping (traffic, agents, worker, servers)…")
            for loop in loops:
                loop.stop()
            for loop in loops:
                loop.join(timeout=10)
                if isinstance(loop, CareTeamLoop):
                    report.agent_replies = loop.replied
            world.stop_deliveries()
            report.customer_messages = dict(customers.sent)
    report.notifications = len(receiver.received)
    echo(
        f"careline demo stopped: {sum(report.customer_messages.values())} customer messages, "
        f"{report.agent_replies} simulated agent replies, {report.notifications} notifications. "
        f"The instance stays in {options.folder} (run again to continue, --reset to start over)."
    )
    return report


def _welcome(echo: Echo, report: DemoReport, options: DemoOptions, world: World) -> None:
    echo("")
    echo(f"careline demo is running: {report.url}")
    echo(f"  log in with this token (supervisor Sam Taylor): {report.token}")
    echo(f"  reports: {report.url}/reports")
    echo("  emulators: " + ", ".join(f"{name} {url}" for name, url in world.urls.items()))
    echo(f"  instance folder: {options.folder} (log: {options.folder / 'logs' / 'demo.log'})")
    if options.duration:
        echo(f"  running for {options.duration:g} seconds")
    else:
        echo("  Ctrl-C stops it")
    echo("")
