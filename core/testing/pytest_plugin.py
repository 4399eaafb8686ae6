"""careline's pytest plugin: fixtures for plugin authors (enabled by installing careline).

- ``careline_clock``: a :class:`~careline.clock.FrozenClock` to move time by hand.
- ``careline_database_url``: a fresh database, once on SQLite and once on PostgreSQL.
- ``careline_home``: a temporary instance folder initialised like ``careline init``.
- ``careline_settings``: the settings of that instance, on that database, with that clock.
- ``careline_plugin_manager``: a factory for a plugin manager with chosen plugins.
- ``careline_runtime``: a factory for a :class:`~careline.runtime.Runtime` with chosen plugins.
- ``careline_cli``: run ``careline …`` in-process against the temporary instance.
- ``test_platform`` / ``test_channel_plugin``: the in-repo test channel and its platform.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pluggy
import pytest
from careline.clock import FrozenClock
from careline.config import Settings, load_settings
from careline.db import Database
from careline.instance import init_instance
from careline.plugins import get_plugin_manager
from careline.runtime import Runtime
from careline.testing.channel import TestChannelPlugin, TestPlatform
from careline.testing.databases import (
    PostgresUnavailable,
    temporary_postgres_database,
    temporary_sqlite_database,
)
from click.testing import CliRunner, Result

DATABASES = ("sqlite", "postgresql")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "postgres: runs on the PostgreSQL test server")


@pytest.fixture
def careline_clock() -> FrozenClock:
    """A clock that starts on Monday 2026-01-05 09:00 UTC and moves only when told."""
    return FrozenClock()


@pytest.fixture(params=DATABASES)
def careline_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database: the test runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        with temporary_sqlite_database(tmp_path) as url:
            yield url
        return
    try:
        with temporary_postgres_database() as url:
            yield url
    except PostgresUnavailable as exc:
        if os.environ.get("CI") == "true":
            pytest.fail(f"PostgreSQL is required under CI: {exc}")
        pytest.skip(f"PostgreSQL not available: {exc}")


@pytest.fixture
def careline_home(tmp_path: Path) -> Path:
    """A temporary instance folder initialised like ``careline init``."""
    home = tmp_path / "instance"
    init_instance(home, apply_migrations=False)
    return home


@pytest.fixture
def careline_settings(
    careline_home: Path, careline_database_url: str, careline_clock: FrozenClock
) -> Settings:
    """Settings of the temporary instance, on the test database, with the frozen clock."""
    environ = {**os.environ, "CARELINE_DATABASE_URL": careline_database_url}
    return load_settings(careline_home, clock=careline_clock, environ=environ)


@pytest.fixture
def careline_db(careline_settings: Settings) -> Iterator[Database]:
    """The test database with the schema created."""
    database = Database.from_url(careline_settings.database_url)
    database.create_schema()
    yield database
    database.dispose()


@pytest.fixture
def careline_plugin_manager() -> Callable[..., pluggy.PluginManager]:
    """Build a plugin manager: ``factory("careline-routing", extra_plugin_object, ...)``.

    Strings name installed plugins to load (by distribution or entry-point name); other
    arguments are plugin objects to register. With no strings, no installed plugin is loaded.
    """

    def factory(*plugins: Any) -> pluggy.PluginManager:
        names = [p for p in plugins if isinstance(p, str)]
        objects = [p for p in plugins if not isinstance(p, str)]
        environ = {"CARELINE_LOAD_PLUGINS": ",".join(names)}
        return get_plugin_manager(environ=environ, plugins=objects, strict=True)

    return factory


@pytest.fixture
def test_platform() -> TestPlatform:
    """The in-memory platform behind the test channel."""
    return TestPlatform()


@pytest.fixture
def test_channel_plugin(test_platform: TestPlatform) -> TestChannelPlugin:
    """A plugin registering the test channel bound to ``test_platform``."""
    return TestChannelPlugin(test_platform)


@pytest.fixture
def careline_runtime(
    careline_settings: Settings,
    careline_db: Database,
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
    test_channel_plugin: TestChannelPlugin,
) -> Iterator[Callable[..., Runtime]]:
    """Build a runtime on the test database: ``factory("careline-insights", config={...})``.

    The test channel is always registered. ``config`` adds tables to the configuration. The
    runtimes' enrichment processes, if configured, are stopped after the test.
    """
    built: list[Runtime] = []

    def factory(*plugins: Any, config: dict[str, Any] | None = None) -> Runtime:
        if config:
            careline_settings.data.update(config)
            careline_settings._state.clear()
        pm = careline_plugin_manager(test_channel_plugin, *plugins)
        runtime = Runtime.create(careline_settings, pm, careline_db)
        built.append(runtime)
        return runtime

    yield factory
    for runtime in built:
        runtime.stop_enrichment()


@pytest.fixture
def careline_cli(careline_home: Path) -> Callable[..., Result]:
    """Run ``careline ARGS`` in-process on the temporary instance; returns click's result.

    Keyword ``env`` adds environment variables; ``pm`` passes a prepared plugin manager.
    """
    from careline.cli import create_cli

    def run(
        *args: str,
        env: dict[str, str] | None = None,
        pm: pluggy.PluginManager | None = None,
        input: str | None = None,
    ) -> Result:
        environment = {"CARELINE_HOME": str(careline_home), **(env or {})}
        runner = CliRunner()
        cli = create_cli(pm)
        return runner.invoke(cli, list(args), env=environment, input=input, catch_exceptions=False)

    return run


@pytest.fixture
def careline_app(careline_runtime: Callable[..., Runtime]) -> Iterator[Callable[..., Any]]:
    """Build the web app on the test database and return an in-process client.

    ``client = careline_app("careline-guidelines")``; ``client.login_as(agent_name, role)`` creates
    an agent and returns its bearer headers.
    """
    from careline.services import agents
    from careline.types import Role
    from careline.web.app import create_app
    from starlette.testclient import TestClient

    clients: list[TestClient] = []

    def factory(*plugins: Any, config: dict[str, Any] | None = None) -> TestClient:
        runtime = careline_runtime(*plugins, config=config)
        app = create_app(runtime.settings, runtime.pm, runtime=runtime)
        client = TestClient(app)

        def token_for(name: str, role: str = "agent") -> dict[str, str]:
            agent = agents.add_agent(runtime, name, role=Role(role))
            _, clear = agents.create_token(runtime, agent.id or 0)
            return {"Authorization": f"Bearer {clear}"}

        client.runtime = runtime
        client.token_for = token_for
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()
