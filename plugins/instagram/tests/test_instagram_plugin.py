"""The Instagram plugin's hooks through the plugin manager."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pluggy
import pytest
from careline.config import ConfigError, Settings
from careline_instagram.channel import InstagramChannel

PluginManagerFactory = Callable[..., pluggy.PluginManager]


@pytest.fixture
def pm(careline_plugin_manager: PluginManagerFactory) -> pluggy.PluginManager:
    return careline_plugin_manager("careline-instagram")


def settings_with(tmp_path: Path, table: dict[str, Any], **environ: str) -> Settings:
    return Settings(home=tmp_path, data={"instagram": table}, environ=environ)


def test_careline_register_channels_provides_the_instagram_channel(
    pm: pluggy.PluginManager,
) -> None:
    registered = [c for classes in pm.hook.careline_register_channels() for c in classes]
    assert InstagramChannel in registered


def test_loading_instagram_does_not_register_the_facebook_channel(
    pm: pluggy.PluginManager,
) -> None:
    registered = {c.name for classes in pm.hook.careline_register_channels() for c in classes}
    assert registered == {"instagram"}


def test_careline_startup_accepts_a_complete_table(
    pm: pluggy.PluginManager, tmp_path: Path
) -> None:
    table = {
        "ig_user_id": "17841400008460056",
        "access_token": "$env:IG_TOKEN",
        "base_url": "https://graph.facebook.com",
    }
    pm.hook.careline_startup(settings=settings_with(tmp_path, table, IG_TOKEN="t"))


@pytest.mark.parametrize(
    ("table", "key", "words"),
    [
        ({"access_token": "t"}, "instagram.ig_user_id", "required"),
        ({"ig_user_id": "@acme", "access_token": "t"}, "instagram.ig_user_id", "pattern"),
        (
            {"ig_user_id": "1", "access_token": "$env:IG_TOKEN"},
            "instagram.access_token",
            "IG_TOKEN is not set",
        ),
        (
            {"ig_user_id": "1", "access_token": "t", "page_id": "2"},
            "instagram.page_id",
            "unknown key",
        ),
        (
            {"ig_user_id": "1", "access_token": "t", "backfill_posts": 0},
            "instagram.backfill_posts",
            "greater than or equal to 1",
        ),
    ],
    ids=["missing", "id", "env-unset", "facebook-key", "posts"],
)
def test_careline_startup_names_the_bad_key(
    pm: pluggy.PluginManager, tmp_path: Path, table: dict[str, Any], key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        pm.hook.careline_startup(settings=settings_with(tmp_path, table))
    assert caught.value.key == key
    assert words in str(caught.value)


def test_careline_register_commands_adds_the_instagram_group(
    pm: pluggy.PluginManager, careline_cli: Callable[..., Any]
) -> None:
    result = careline_cli("instagram", "--help", pm=pm)
    assert result.exit_code == 0
    assert "emulator" in result.output
    assert "check" in result.output


def test_the_emulator_banner_names_the_instagram_account() -> None:
    from careline_facebook.commands import configuration_hint
    from careline_instagram.emulator import instagram_emulator

    setup = instagram_emulator()
    hint = configuration_hint("instagram", setup, "http://127.0.0.1:8101")
    assert f'ig_user_id = "{setup.account_id}"' in hint
    assert "INSTAGRAM_ACCESS_TOKEN" in hint
