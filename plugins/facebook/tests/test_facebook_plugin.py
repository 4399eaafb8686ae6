"""The plugin's hooks through the plugin manager: start-up validation, channels, commands."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest
from careline.config import ConfigError, Settings
from careline_facebook.channel import FacebookChannel
from careline_facebook.emulator import (
    FacebookEmulatorState,
    LiveEmulator,
)

pytest_plugins = ["careline_facebook.testing"]

PluginManagerFactory = Callable[..., pluggy.PluginManager]


def settings_with(tmp_path: Path, table: dict[str, Any] | None, **environ: str) -> Settings:
    data = {"facebook": table} if table is not None else {}
    return Settings(home=tmp_path, data=data, environ=environ)


@pytest.fixture
def pm(careline_plugin_manager: PluginManagerFactory) -> pluggy.PluginManager:
    return careline_plugin_manager("careline-facebook")


def test_careline_register_channels_provides_the_facebook_channel(
    pm: pluggy.PluginManager,
) -> None:

    registered = [c for classes in pm.hook.careline_register_channels() for c in classes]
    assert FacebookChannel in registered


def test_careline_startup_accepts_a_complete_table(
    pm: pluggy.PluginManager, tmp_path: Path
) -> None:
    table = {
        "page_id": "370873143344730",
        "access_token": "$env:FB_TOKEN",
        "app_secret": "$env:FB_SECRET",
        "backfill_lookback": "3d",
    }
    pm.hook.careline_startup(settings=settings_with(tmp_path, table, FB_TOKEN="t", FB_SECRET="s"))


def test_careline_startup_accepts_no_table(pm: pluggy.PluginManager, tmp_path: Path) -> None:
    pm.hook.careline_startup(settings=settings_with(tmp_path, None))


@pytest.mark.parametrize(
    ("table", "environ", "key", "words"),
    [
        (
            {"page_id": "1", "access_token": "t", "colour": "blue"},
            {},
            "facebook.colour",
            "unknown key",
        ),
        ({"page_id": "my-page", "access_token": "t"}, {}, "facebook.page_id", "pattern"),
        ({"access_token": "t"}, {}, "facebook.page_id", "required"),
        (
            {"page_id": "1", "access_token": "$env:FB_TOKEN"},
            {},
            "facebook.access_token",
            "FB_TOKEN is not set",
        ),
        (
            {"page_id": "1", "access_token": "t", "api_version": "21"},
            {},
            "facebook.api_version",
            "pattern",
        ),
        (
            {"page_id": "1", "access_token": "t", "base_url": "graph.facebook.com"},
            {},
            "facebook.base_url",
            "http",
        ),
        (
            {"page_id": "1", "access_token": "t", "usage_slow_down_at": 96},
            {},
            "facebook.usage_pause_at",
            "usage_slow_down_at",
        ),
        (
            {"page_id": "1", "access_token": "t", "backfill_lookback": "soon"},
            {},
            "facebook.backfill_lookback",
            "duration",
        ),
    ],
    ids=["unknown", "page-id", "missing", "env-unset", "version", "url", "usage", "lookback"],
)
def test_careline_startup_names_the_bad_key(
    pm: pluggy.PluginManager,
    tmp_path: Path,
    table: dict[str, Any],
    environ: dict[str, str],
    key: str,
    words: str,
) -> None:
    with pytest.raises(ConfigError) as caught:
        pm.hook.careline_startup(settings=settings_with(tmp_path, table, **environ))
    assert caught.value.key == key
    assert words in str(caught.value)
    assert caught.value.path == tmp_path / "careline.toml"


def test_a_disabled_table_needs_nothing(pm: pluggy.PluginManager, tmp_path: Path) -> None:
    pm.hook.careline_startup(settings=settings_with(tmp_path, {"enabled": False}))


# --- commands --------------------------------------------------------------------------------


def write_instance_config(home: Path, facebook_live: LiveEmulator) -> dict[str, str]:
    state = facebook_live.state
    assert isinstance(state, FacebookEmulatorState)
    config = facebook_live.channel_config("page_id", state.page_id)
    (home / "careline.toml").write_text(
        "\n".join(
            [
                "[facebook]",
                f'page_id = "{state.page_id}"',
                'access_token = "$env:FB_TOKEN"',
                'app_secret = "$env:FB_SECRET"',
                f'base_url = "{facebook_live.base_url}"',
            ]
        )
    )
    return {"FB_TOKEN": config["access_token"], "FB_SECRET": config["app_secret"]}


def test_careline_register_commands_adds_the_facebook_group(
    pm: pluggy.PluginManager, careline_cli: Callable[..., Any]
) -> None:
    result = careline_cli("facebook", "--help", pm=pm)
    assert result.exit_code == 0
    assert "emulator" in result.output
    assert "check" in result.output
    emulator_help = careline_cli("facebook", "emulator", "--help", pm=pm)
    assert "--webhook-url" in emulator_help.output
    assert "--port" in emulator_help.output


def test_check_reports_a_working_token(
    pm: pluggy.PluginManager,
    careline_cli: Callable[..., Any],
    careline_home: Path,
    facebook_live: LiveEmulator,
) -> None:
    environ = write_instance_config(careline_home, facebook_live)
    result = careline_cli("facebook", "check", pm=pm, env=environ)
    assert result.exit_code == 0, result.output
    assert "connected to Acme Care" in result.output
    assert environ["FB_TOKEN"] not in result.output


def test_check_says_when_the_token_expired(
    pm: pluggy.PluginManager,
    careline_cli: Callable[..., Any],
    careline_home: Path,
    facebook_live: LiveEmulator,
) -> None:
    environ = write_instance_config(careline_home, facebook_live)
    facebook_live.control("tokens/expire", access_token=environ["FB_TOKEN"])
    result = careline_cli("facebook", "check", pm=pm, env=environ)
    assert result.exit_code != 0
    assert "reconnect" in result.output
    assert environ["FB_TOKEN"] not in result.output


def test_the_emulator_banner_tells_how_to_connect() -> None:
    from careline_facebook.commands import configuration_hint, facebook_emulator

    setup = facebook_emulator()
    hint = configuration_hint("facebook", setup, "http://127.0.0.1:8100")
    assert f'page_id = "{setup.account_id}"' in hint
    assert 'access_token = "$env:FACEBOOK_ACCESS_TOKEN"' in hint
    assert 'base_url = "http://127.0.0.1:8100"' in hint


def test_a_runtime_builds_the_configured_channel(
    careline_runtime: Callable[..., Any], facebook_live: LiveEmulator
) -> None:
    state = facebook_live.state
    assert isinstance(state, FacebookEmulatorState)
    runtime = careline_runtime(
        "careline-facebook",
        config={"facebook": facebook_live.channel_config("page_id", state.page_id)},
    )
    channel = runtime.channel("facebook")
    assert isinstance(channel, FacebookChannel)
    assert channel.account_id == state.page_id
    assert channel.check_connection() == "Acme Care"


def test_the_emulator_command_serves_and_delivers_signed_webhooks(tmp_path: Path) -> None:
    """``careline facebook emulator`` as a real process, delivering to a sink on loopback."""
    import os
    import subprocess
    import sys
    import time

    import httpx
    from careline_facebook.emulator import (
        DEFAULT_APP_SECRET,
        WebhookSink,
        free_port,
        serve_in_thread,
    )
    from careline_facebook.webhooks import verify_signature

    sink = WebhookSink()
    port = free_port()
    with serve_in_thread(sink.app) as sink_url:
        command = [
            sys.executable,
            "-m",
            "careline.cli",
            "facebook",
            "emulator",
            "--port",
            str(port),
            "--webhook-url",
            f"{sink_url}/webhooks/facebook",
        ]
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "CARELINE_HOME": str(tmp_path)},
        )
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 20
            while True:
                try:
                    httpx.get(f"{base}/_emulator/clock", timeout=1)
                    break
                except httpx.TransportError:
                    assert process.poll() is None, process.stdout.read() if process.stdout else ""
                    assert time.monotonic() < deadline, "the emulator did not start"
                    time.sleep(0.1)
            answer = httpx.post(
                f"{base}/_emulator/customer/comment",
                data={"customer": "Ann", "message": "Parcel missing"},
                timeout=5,
            )
            assert answer.status_code == 200
            [*_, delivery] = sink.take()
            assert verify_signature(DEFAULT_APP_SECRET, delivery)
            assert json.loads(delivery.body)["entry"][0]["changes"][0]["value"]["message"] == (
                "Parcel missing"
            )
        finally:
            process.terminate()
            output, _ = process.communicate(timeout=10)
    assert 'page_id = "370873143344730"' in output
    assert f'base_url = "http://127.0.0.1:{port}"' in output
