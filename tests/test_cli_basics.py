"""The command line: version, init, plugins, config show, errors as one line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from careline import __version__


def run_careline(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    import os

    environment = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "careline.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        check=False,
    )


def test_version(careline_cli) -> None:
    result = careline_cli("--version")
    assert result.exit_code == 0
    assert __version__ in result.output


def test_plugins_lists_every_plugin_and_none_when_asked(careline_cli) -> None:
    result = careline_cli("plugins", "--json")
    assert result.exit_code == 0
    names = {entry["name"] for entry in json.loads(result.output)}
    assert {"twitter", "facebook", "instagram", "routing", "reports"} <= names
    listed = run_careline("plugins", env={"CARELINE_LOAD_PLUGINS": ""})
    assert listed.returncode == 0
    assert "No plugins loaded." in listed.stdout


def test_config_show_hides_secrets(careline_cli, careline_home: Path) -> None:
    config = careline_home / "careline.toml"
    config.write_text(config.read_text() + '\n[twitter]\nconsumer_secret = "$env:X_SECRET"\n')
    result = careline_cli("config", "show", "--json", env={"X_SECRET": "very-secret"})
    assert result.exit_code == 0
    assert "very-secret" not in result.output
    assert json.loads(result.output)["twitter"]["consumer_secret"] == "$env:X_SECRET (set)"


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    (tmp_path / "careline.toml").write_text("[web]\nport = 'eighty'\n")
    result = run_careline("--home", str(tmp_path), "config", "show")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1
    assert "web.port" in lines[0]


def test_init_then_db_upgrade(tmp_path: Path) -> None:
    home = tmp_path / "brand"
    created = run_careline("--home", str(home), "init", "--name", "Acme Care")
    assert created.returncode == 0, created.stderr
    assert (home / "careline.db").exists()
    upgraded = run_careline("--home", str(home), "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert "revision" in upgraded.stdout
    again = run_careline("--home", str(home), "init")
    assert again.returncode != 0
    assert "already exists" in again.stderr
