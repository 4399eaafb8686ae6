"""The plugin as careline loads it: hooks through the plugin manager, commands, the runtime."""

from __future__ import annotations

from typing import Any

import click
from careline.channels import Channel
from careline_twitter.channel import TwitterChannel


def test_careline_register_channels_provides_the_x_channel(careline_plugin_manager: Any) -> None:
    pm = careline_plugin_manager("careline-twitter")
    classes = [c for found in pm.hook.careline_register_channels() for c in found]
    assert classes == [TwitterChannel]
    assert issubclass(classes[0], Channel)
    assert TwitterChannel.name == "twitter"
    assert TwitterChannel.manifest.supports_polling and TwitterChannel.manifest.window is None


def test_careline_register_commands_adds_the_twitter_group(careline_plugin_manager: Any) -> None:
    pm = careline_plugin_manager("careline-twitter")
    group = click.Group("careline")
    pm.hook.careline_register_commands(cli=group)
    twitter = group.commands["twitter"]
    assert isinstance(twitter, click.Group)
    assert set(twitter.commands) == {"emulator", "length"}


def test_careline_twitter_length_command(careline_cli: Any, careline_plugin_manager: Any) -> None:
    pm = careline_plugin_manager("careline-twitter")
    result = careline_cli(
        "twitter",
        "length",
        "Sorry about the delay 🙏 track it here: https://acme.com/t/4471",
        pm=pm,
    )
    assert result.exit_code == 0
    assert result.output.strip() == "63/280 — fits in one post"
    too_long = careline_cli("twitter", "length", "a" * 281, pm=pm)
    assert "281/280 — does NOT fit" in too_long.output


def test_careline_twitter_emulator_command_is_documented(
    careline_cli: Any, careline_plugin_manager: Any
) -> None:
    pm = careline_plugin_manager("careline-twitter")
    result = careline_cli("twitter", "emulator", "--help", pm=pm)
    assert result.exit_code == 0
    assert "--port" in result.output and "--webhook-url" in result.output


def test_the_runtime_builds_the_channel_from_the_twitter_table(
    careline_runtime: Any, monkeypatch: Any
) -> None:
    runtime = careline_runtime(
        "careline-twitter",
        config={"twitter": {"accounts": [{"id": "1096512346753417216"}], "poll_dms": False}},
    )
    channel = runtime.channel("twitter")
    assert isinstance(channel, TwitterChannel)
    assert channel.poll_sources() == ["mentions:1096512346753417216", "posts:1096512346753417216"]
    assert channel.clock is runtime.clock
