"""The demo plugin's hooks, its ``[demo]`` table, its folder rules and ``careline demo``."""

from __future__ import annotations

import os
import signal
import threading
import time
import tomllib
from pathlib import Path

import click
import pytest
from careline.cli import create_cli
from careline.config import ConfigError, load_settings
from careline.plugins import get_plugin_manager
from careline.testing.servers import free_port
from careline_demo.instance import (
    MARKER,
    NotADemoFolderError,
    prepare_folder,
    read_marker,
    to_toml,
    write_config,
)
from careline_demo.people import CHANNELS
from careline_demo.run import DemoOptions, run_demo
from careline_demo.world import World
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st


def test_demo_command_is_registered_through_the_hook(careline_plugin_manager) -> None:
    pm = careline_plugin_manager("careline-demo")
    group = click.Group("careline")

    pm.hook.careline_register_commands(cli=group)

    assert "demo" in group.commands
    assert {"--folder", "--port", "--speed", "--duration", "--days", "--reset"} <= {
        option for param in group.commands["demo"].params for option in param.opts
    }


def test_startup_refuses_a_wrong_demo_table_naming_the_key(
    careline_plugin_manager, careline_settings
) -> None:
    pm = careline_plugin_manager("careline-demo")
    careline_settings.data["demo"] = {"speed": 0}

    with pytest.raises(ConfigError, match=r"demo\.speed"):
        pm.hook.careline_startup(settings=careline_settings)


def test_startup_refuses_an_unknown_demo_key(careline_plugin_manager, careline_settings) -> None:
    pm = careline_plugin_manager("careline-demo")
    careline_settings.data["demo"] = {"sped": 2}

    with pytest.raises(ConfigError, match=r"demo\.sped: unknown key"):
        pm.hook.careline_startup(settings=careline_settings)


def test_startup_accepts_the_table_the_demo_writes(
    careline_plugin_manager, careline_settings
) -> None:
    pm = careline_plugin_manager("careline-demo")
    careline_settings.data["demo"] = {"speed": 2.5, "seed": 7, "answer_share": 0.4}

    pm.hook.careline_startup(settings=careline_settings)


def test_a_folder_that_is_not_a_demo_is_never_touched(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine")

    with pytest.raises(NotADemoFolderError):
        prepare_folder(tmp_path, reset=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_new_folder_becomes_a_demo_instance_and_reset_starts_over(tmp_path: Path) -> None:
    folder = tmp_path / "careline-demo"

    assert prepare_folder(folder, reset=False) is True
    assert (folder / MARKER).exists() and (folder / "careline.db").exists()
    (folder / MARKER).write_text('{"history_days": 30}')
    assert prepare_folder(folder, reset=False) is False, "history is written only once"
    assert prepare_folder(folder, reset=True) is True
    assert read_marker(folder) == {}


def test_the_written_configuration_loads_with_secrets_only_as_references(tmp_path: Path) -> None:
    folder = tmp_path / "careline-demo"
    prepare_folder(folder, reset=False)
    world = World.create()
    world.urls = {name: f"http://127.0.0.1:{9000 + i}" for i, name in enumerate(CHANNELS)}

    path = write_config(folder, world.channel_tables())

    text = path.read_text(encoding="utf-8")
    for secret in world.environment().values():
        assert secret not in text
    loaded = load_settings(folder, environ=world.environment())
    assert (
        loaded.section("twitter")["accounts"][0]["access_token"]
        == (world.environment()["CARELINE_DEMO_X_ACMECARE_ACCESS_TOKEN"])
    )
    assert loaded.section("facebook")["base_url"] == "http://127.0.0.1:9001"
    assert loaded.data["routing"]["earned_queue"] == "listening"


scalars = st.one_of(
    st.booleans(),
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
)
keys = st.from_regex(r"[a-z][a-z0-9_-]{0,10}", fullmatch=True)
leaf_tables = st.dictionaries(keys, st.one_of(scalars, st.lists(scalars, max_size=3)), max_size=4)


@settings(max_examples=60)
@given(
    st.dictionaries(
        keys,
        st.dictionaries(
            keys, st.one_of(scalars, leaf_tables, st.lists(leaf_tables, min_size=1, max_size=2))
        ),
        min_size=1,
        max_size=3,
    )
)
def test_the_toml_writer_round_trips(tables: dict) -> None:
    assert tomllib.loads(to_toml(tables)) == tables


def test_careline_demo_runs_from_the_command_line_and_stops_by_itself(tmp_path: Path) -> None:
    folder = tmp_path / "careline-demo"
    args = ["demo", "--folder", str(folder), "--port", str(free_port()), "--days", "1"]
    runner = CliRunner()

    result = runner.invoke(
        create_cli(get_plugin_manager()), [*args, "--duration", "1", "--seed", "3"]
    )

    assert result.exit_code == 0, result.output
    assert "careline demo is running: http://127.0.0.1:" in result.output
    assert "log in with this token" in result.output
    assert "history written:" in result.output
    assert read_marker(folder)["history_days"] == 1


def test_careline_demo_refuses_a_folder_that_is_not_a_demo(tmp_path: Path) -> None:
    (tmp_path / "careline.toml").write_text("[instance]\nname = 'production'\n")

    result = CliRunner().invoke(
        create_cli(get_plugin_manager()), ["demo", "--folder", str(tmp_path), "--duration", "0"]
    )

    assert result.exit_code != 0
    assert "is not a careline demo folder" in result.output


@pytest.mark.parametrize("signal_number", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_demo_cleanly(tmp_path: Path, signal_number: int) -> None:
    options = DemoOptions(
        folder=tmp_path / "careline-demo", port=free_port(), traffic=False, days=0, duration=30
    )
    lines: list[str] = []

    def interrupt_soon(*_: object) -> None:
        threading.Timer(0.5, os.kill, (os.getpid(), signal_number)).start()

    started = time.monotonic()
    report = run_demo(options, get_plugin_manager(), lines.append, on_ready=interrupt_soon)

    assert time.monotonic() - started < 20
    assert report.url and lines[-1].startswith("careline demo stopped:")
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler, "handler restored"
