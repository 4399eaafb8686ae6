"""Configuration: validation with file and key, secrets by reference only, redaction."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from pathlib import Path

import pytest
from careline.config import ConfigError, format_duration, load_settings, parse_duration
from careline.instance import InstanceExistsError, init_instance
from hypothesis import given
from hypothesis import strategies as st


def write_config(home: Path, text: str) -> None:
    home.mkdir(parents=True, exist_ok=True)
    (home / "careline.toml").write_text(text)


def test_init_writes_a_valid_commented_configuration(tmp_path: Path) -> None:
    path = init_instance(tmp_path / "inst", apply_migrations=False)
    assert path.read_text().startswith("# careline configuration")
    settings = load_settings(tmp_path / "inst", environ={})
    assert settings.core("pipeline").reopen_window == timedelta(days=7)
    assert (tmp_path / "inst" / "secret_key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(InstanceExistsError):
        init_instance(tmp_path / "inst", apply_migrations=False)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[pipeline]\nreopen_window = "soon"\n', "pipeline.reopen_window", "not a duration"),
        ("[web]\nport = 70000\n", "web.port", "less than or equal"),
        ('[instance]\ntimezone = "Mars/Olympus"\n', "instance.timezone", "unknown time zone"),
        ("[outbox]\nmax_atempts = 3\n", "outbox.max_atempts", "unknown key"),
        ('[twitter]\nconsumer_secret = "abc"\n', "twitter.consumer_secret", "$env:"),
    ],
)
def test_invalid_configuration_names_file_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    write_config(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(tmp_path, environ={})
    message = str(caught.value)
    assert str(tmp_path / "careline.toml") in message
    assert key in message
    assert fragment in message


def test_broken_toml_is_a_clear_error(tmp_path: Path) -> None:
    write_config(tmp_path, "[pipeline\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(tmp_path, environ={})


def test_secrets_are_resolved_from_the_environment_and_redacted(tmp_path: Path) -> None:
    write_config(
        tmp_path,
        '[twitter]\nconsumer_secret = "$env:X_SECRET"\nbase_url = "http://x"\n'
        '[instance]\ndatabase_url = "postgresql+psycopg://care:hunter2@db/care"\n',
    )
    settings = load_settings(tmp_path, environ={"X_SECRET": "s3cr3t-value"})
    assert settings.section("twitter")["consumer_secret"] == "s3cr3t-value"
    shown = repr(settings.redacted())
    assert "s3cr3t-value" not in shown
    assert "hunter2" not in shown
    assert "$env:X_SECRET" in shown


def test_environment_database_url_wins(tmp_path: Path) -> None:
    settings = load_settings(tmp_path, environ={"CARELINE_DATABASE_URL": "sqlite:///x.db"})
    assert settings.database_url == "sqlite:///x.db"
    assert load_settings(tmp_path, environ={}).database_url.endswith("careline.db")


@given(st.integers(min_value=1, max_value=10**7))
def test_durations_round_trip(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


@given(st.text(max_size=12))
def test_duration_parser_only_raises_value_errors(text: str) -> None:
    with contextlib.suppress(ValueError):
        parse_duration(text)
