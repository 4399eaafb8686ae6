"""The ``[twitter]`` table of ``careline.toml``, validated with pydantic.

Secrets (consumer secret, bearer token, OAuth 2.0 tokens) are only ever ``$env:NAME``
references in the file; the core resolves them before the channel sees the table. ``repr`` of
the models never shows a secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from careline.config import ENV_PREFIX, SECRET_KEY_PATTERN, ConfigError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

SECTION = "twitter"
DEFAULT_BASE_URL = "https://api.x.com"
ID_PATTERN = r"^[0-9]{1,19}$"


class AccountConfig(BaseModel):
    """One brand account careline answers for (``[[twitter.accounts]]``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=ID_PATTERN, description="The brand's X user id (digits).")
    username: str | None = Field(default=None, description="The handle, without @.")
    access_token: SecretStr | None = None
    refresh_token: SecretStr | None = None


class SearchConfig(BaseModel):
    """One listening query (``[[twitter.searches]]``): recent posts *about* the brand."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    query: str = Field(min_length=1, max_length=512)
    account: str | None = Field(default=None, pattern=ID_PATTERN)


class TwitterConfig(BaseModel):
    """The whole ``[twitter]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    base_url: str = DEFAULT_BASE_URL
    consumer_secret: SecretStr | None = None
    bearer_token: SecretStr | None = None
    client_id: str | None = None
    client_secret: SecretStr | None = None
    accounts: tuple[AccountConfig, ...] = ()
    searches: tuple[SearchConfig, ...] = ()
    poll_mentions: bool = True
    poll_own_posts: bool = True
    poll_dms: bool = True
    max_results: int = Field(default=100, ge=10, le=100)
    timeout: float = Field(default=10.0, gt=0, le=120)
    length_rules: Literal["v3", "v2"] = "v3"

    @model_validator(mode="after")
    def _searches_name_known_accounts(self) -> TwitterConfig:
        known = {account.id for account in self.accounts}
        for index, search in enumerate(self.searches):
            if search.account is not None and search.account not in known:
                raise ValueError(
                    f"searches[{index}].account {search.account} is not one of the accounts"
                )
        if self.searches and not self.accounts:
            raise ValueError("searches need at least one entry in accounts (the brand they serve)")
        return self

    @property
    def api_base(self) -> str:
        """``base_url`` without a trailing slash."""
        return self.base_url.rstrip("/")

    def account(self, account_id: str) -> AccountConfig | None:
        """The configured account with ``account_id``, if any."""
        return next((a for a in self.accounts if a.id == account_id), None)

    def search_account(self, search: SearchConfig) -> str:
        """The brand account a search result is filed under (default: the first account)."""
        return search.account or self.accounts[0].id


def parse_config(table: Mapping[str, Any], *, path: Path | None = None) -> TwitterConfig:
    """Validate a resolved ``[twitter]`` table; raise :class:`ConfigError` naming the key."""
    try:
        return TwitterConfig.model_validate(dict(table))
    except ValidationError as exc:
        error = exc.errors()[0]
        location = [str(part) for part in error["loc"]]
        key = ".".join([SECTION, *location])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(message, path=path, key=key) from None


def check_no_literal_secrets(raw_table: Any, *, path: Path | None = None) -> None:
    """Refuse secrets written in the file inside ``[[twitter.accounts]]`` lists.

    The core checks nested tables but not arrays of tables, where the per-account tokens live.
    """
    if not isinstance(raw_table, Mapping):
        return
    for list_key in ("accounts", "searches"):
        entries = raw_table.get(list_key)
        if not isinstance(entries, list):
            continue
        for index, entry in enumerate(entries):
            if not isinstance(entry, Mapping):
                continue
            for key, value in entry.items():
                if (
                    SECRET_KEY_PATTERN.search(str(key))
                    and isinstance(value, str)
                    and value
                    and not value.startswith(ENV_PREFIX)
                ):
                    raise ConfigError(
                        f'secrets may not be written in the file; use "{ENV_PREFIX}NAME"',
                        path=path,
                        key=f"{SECTION}.{list_key}.{index}.{key}",
                    )
