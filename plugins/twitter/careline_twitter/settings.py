"""Start-up validation of the ``[twitter]`` table against an instance's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from careline.config import ENV_PREFIX, ConfigError, Settings

from careline_twitter.config import SECTION, TwitterConfig, check_no_literal_secrets, parse_config


def validate_settings(settings: Settings) -> TwitterConfig:
    """The validated ``[twitter]`` table (cached per settings); raises ``ConfigError``."""

    def build() -> TwitterConfig:
        check_no_literal_secrets(settings.data.get(SECTION), path=settings.config_path)
        check_environment_references(settings)
        return parse_config(settings.section(SECTION), path=settings.config_path)

    return settings.plugin_state(f"{SECTION}:config", build)


def check_environment_references(settings: Settings) -> None:
    """Refuse ``$env:NAME`` references in ``[twitter]`` whose variable is not set."""
    missing = sorted(_unset_references(settings.data.get(SECTION), settings.environ, SECTION))
    if missing:
        key, name = missing[0]
        raise ConfigError(
            f"the environment variable {name} is not set", path=settings.config_path, key=key
        )


def _unset_references(value: Any, environ: Mapping[str, str], key: str) -> list[tuple[str, str]]:
    if isinstance(value, Mapping):
        return [
            found
            for child, item in value.items()
            for found in _unset_references(item, environ, f"{key}.{child}")
        ]
    if isinstance(value, list):
        return [
            found
            for index, item in enumerate(value)
            for found in _unset_references(item, environ, f"{key}.{index}")
        ]
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        return [] if environ.get(name) else [(key, name)]
    return []
