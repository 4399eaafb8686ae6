"""``careline serve`` as a real process: several web processes need PostgreSQL and share work."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from careline.db import Database
from careline.servers import free_port
from careline.services import agents
from careline.types import Role

CARELINE = Path(sys.executable).parent / "careline"


def test_several_web_processes_are_refused_on_sqlite(careline_cli, tmp_path: Path) -> None:
    result = careline_cli(
        "serve", "--workers", "2", env={"CARELINE_DATABASE_URL": f"sqlite:///{tmp_path}/x.db"}
    )
    assert result.exit_code != 0
    assert "several web processes need PostgreSQL" in result.output


@pytest.fixture
def served(careline_home: Path, careline_database_url: str) -> Iterator[str]:
    """``careline serve --workers 2`` on PostgreSQL, its base URL."""
    if careline_database_url.startswith("sqlite"):
        pytest.skip("several web processes need PostgreSQL")
    database = Database.from_url(careline_database_url)
    database.create_schema()
    database.dispose()
    port = free_port()
    log = careline_home / "serve.log"
    process = subprocess.Popen(
        [CARELINE, "serve", "--workers", "2", "--no-worker", "--port", str(port)],
        env={
            **os.environ,
            "CARELINE_HOME": str(careline_home),
            "CARELINE_DATABASE_URL": careline_database_url,
            "CARELINE_LOAD_PLUGINS": "",
        },
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),  # a file: a pipe nobody reads could fill and block the server
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/api/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"careline serve did not come up: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_several_web_processes_on_postgresql_share_one_database(
    served: str, careline_runtime
) -> None:
    runtime = careline_runtime()
    supervisor = agents.add_agent(runtime, "Sam Lead", role=Role.ADMIN)
    _, token = agents.create_token(runtime, supervisor.id or 0)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=served, timeout=10, headers=headers) as client:
        for n in range(12):
            created = client.post("/api/agents", json={"name": f"Agent {n}"})
            assert created.status_code in (200, 201), created.text
        listed = client.get("/api/agents").json()
    names = {agent["name"] for agent in listed["items"]}
    assert names == {"Sam Lead", *(f"Agent {n}" for n in range(12))}
    assert {a.name for a in agents.list_agents(runtime)} == names
