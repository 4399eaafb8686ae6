"""The ``[twitter]`` table: validated at start-up through the hook, secrets kept out of sight."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from careline.config import ConfigError, Settings
from careline_twitter.channel import TwitterChannel
from careline_twitter.config import TwitterConfig, parse_config
from hypothesis import given
from hypothesis import strategies as st

BRAND = "1096512346753417216"
ENVIRON = {
    "X_SECRET": "s3cret-consumer",
    "X_BEARER": "app-bearer-xyz",
    "X_ACME_ACCESS": "user-access-abc",
    "X_ACME_REFRESH": "user-refresh-def",
}
GOOD = {
    "base_url": "http://127.0.0.1:8700",
    "consumer_secret": "$env:X_SECRET",
    "bearer_token": "$env:X_BEARER",
    "client_id": "abc123",
    "accounts": [
        {
            "id": BRAND,
            "username": "acmecare",
            "access_token": "$env:X_ACME_ACCESS",
            "refresh_token": "$env:X_ACME_REFRESH",
        }
    ],
    "searches": [{"query": '("acme" OR #acmefail) -from:acmecare -is:retweet'}],
}


def _settings(tmp_path: Path, table: Any, environ: dict[str, str] | None = None) -> Settings:
    return Settings(
        home=tmp_path, data={"twitter": table}, environ=ENVIRON if environ is None else environ
    )


def _startup(careline_plugin_manager: Any, settings: Settings) -> None:
    careline_plugin_manager("careline-twitter").hook.careline_startup(settings=settings)


def test_a_good_table_starts(careline_plugin_manager: Any, tmp_path: Path) -> None:
    _startup(careline_plugin_manager, _settings(tmp_path, GOOD))


def test_no_table_starts_with_defaults(careline_plugin_manager: Any, tmp_path: Path) -> None:
    careline_plugin_manager("careline-twitter").hook.careline_startup(
        settings=Settings(home=tmp_path)
    )
    assert parse_config({}).base_url == "https://api.x.com"


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"colour": "blue"}, "twitter.colour", "unknown key"),
        ({"max_results": 500}, "twitter.max_results", "less than or equal to 100"),
        ({"length_rules": "v9"}, "twitter.length_rules", "'v3' or 'v2'"),
        ({"accounts": [{"id": "@acmecare"}]}, "twitter.accounts.0.id", "pattern"),
        ({"accounts": [{"id": BRAND, "password": "x"}]}, "twitter.accounts.0.password", ""),
        ({"searches": [{"query": ""}]}, "twitter.searches.0.query", "at least 1"),
        ({"searches": [{"query": "acme", "account": "42"}]}, "twitter", "not one of the accounts"),
        (
            {"accounts": [], "searches": [{"query": "acme"}]},
            "twitter",
            "at least one entry in accounts",
        ),
    ],
)
def test_bad_tables_fail_at_start_up_naming_the_key(
    careline_plugin_manager: Any, tmp_path: Path, change: dict[str, Any], key: str, message: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        _startup(careline_plugin_manager, _settings(tmp_path, {**GOOD, **change}))
    assert caught.value.key == key
    assert message in str(caught.value)
    assert caught.value.path == tmp_path / "careline.toml"


def test_tokens_written_in_the_file_are_refused(
    careline_plugin_manager: Any, tmp_path: Path
) -> None:
    table = {**GOOD, "accounts": [{"id": BRAND, "access_token": "user-access-abc"}]}
    with pytest.raises(ConfigError, match="secrets may not be written") as caught:
        _startup(careline_plugin_manager, _settings(tmp_path, table))
    assert caught.value.key == "twitter.accounts.0.access_token"


def test_an_unset_environment_variable_is_named(
    careline_plugin_manager: Any, tmp_path: Path
) -> None:
    environ = {k: v for k, v in ENVIRON.items() if k != "X_ACME_REFRESH"}
    with pytest.raises(ConfigError, match="X_ACME_REFRESH is not set") as caught:
        _startup(careline_plugin_manager, _settings(tmp_path, GOOD, environ))
    assert caught.value.key == "twitter.accounts.0.refresh_token"


def test_secrets_never_show_in_reprs(tmp_path: Path) -> None:
    resolved = _settings(tmp_path, GOOD).section("twitter")
    channel = TwitterChannel(resolved)
    shown = " ".join(
        [repr(channel), repr(channel.settings), repr(channel.client), str(channel.settings)]
    )
    for secret in ENVIRON.values():
        assert secret not in shown


def test_the_config_model_is_frozen_and_complete() -> None:
    config = parse_config(_resolved())
    assert isinstance(config, TwitterConfig)
    assert config.search_account(config.searches[0]) == BRAND
    assert config.account(BRAND) is not None and config.account("1") is None
    assert set(TwitterConfig.model_fields) >= {"enabled", "base_url", "accounts", "searches"}


def _resolved() -> dict[str, Any]:
    return Settings(home=Path("."), data={"twitter": GOOD}, environ=ENVIRON).section("twitter")


@given(
    st.dictionaries(
        st.text(max_size=12), st.integers() | st.text(max_size=8) | st.booleans(), max_size=4
    )
)
def test_any_table_is_accepted_or_refused_with_a_config_error(table: dict[str, Any]) -> None:
    try:
        parse_config(table)
    except ConfigError as error:
        key = error.key
    else:
        return
    assert key is not None and key.startswith("twitter")


def test_every_configuration_key_is_documented() -> None:
    from careline_twitter.config import AccountConfig, SearchConfig

    docs = (Path(__file__).resolve().parents[3] / "docs" / "plugins" / "twitter.md").read_text(
        encoding="utf-8"
    )
    for model in (TwitterConfig, AccountConfig, SearchConfig):
        for field in model.model_fields:
            assert f"| `{field}` |" in docs, f"{model.__name__}.{field} is not documented"
