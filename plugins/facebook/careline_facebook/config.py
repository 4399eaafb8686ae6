"""The ``[facebook]`` table of ``careline.toml``, and the settings every Graph channel shares.

:class:`GraphChannelConfig` holds what Facebook and Instagram have in common (app secret,
verify token, access token, API version, usage back-off, backfill); the Instagram plugin
subclasses it. Secrets are :class:`~pydantic.SecretStr`: their ``repr`` never shows the value.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any, TypeVar

from careline.config import ENV_PREFIX, ConfigError, Settings, parse_duration
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)

DEFAULT_GRAPH_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"

ConfigT = TypeVar("ConfigT", bound="GraphChannelConfig")


class GraphChannelConfig(BaseModel):
    """Settings shared by the channels that speak the Graph API."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    access_token: SecretStr | None = None
    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    base_url: str = DEFAULT_GRAPH_URL
    api_version: str = Field(default=DEFAULT_API_VERSION, pattern=r"^v\d+\.\d+$")
    timeout: float = Field(default=10.0, gt=0, le=120)
    usage_slow_down_at: float = Field(default=75.0, ge=0, le=100)
    usage_pause_at: float = Field(default=95.0, gt=0, le=100, validate_default=True)
    usage_max_delay: float = Field(default=2.0, ge=0, le=60)
    backfill_lookback: timedelta = timedelta(days=2)
    backfill_posts: int = Field(default=25, ge=1, le=100)
    backfill_max_pages: int = Field(default=10, ge=1, le=100)

    @field_validator("backfill_lookback", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must be an http(s) URL, not {value!r}")
        return value.rstrip("/")

    @field_validator("usage_pause_at")
    @classmethod
    def _pause_after_slow_down(cls, value: float, info: ValidationInfo) -> float:
        slow_down_at = info.data.get("usage_slow_down_at")
        if slow_down_at is not None and value < slow_down_at:
            raise ValueError(f"must not be below usage_slow_down_at ({slow_down_at:g})")
        return value

    @property
    def graph_url(self) -> str:
        """The versioned API root, e.g. ``https://graph.facebook.com/v21.0``."""
        return f"{self.base_url}/{self.api_version}"

    def secret(self, name: str) -> str | None:
        """The plain value of a secret field (``None`` when unset); never log it."""
        value = getattr(self, name)
        return value.get_secret_value() if isinstance(value, SecretStr) else None


class FacebookConfig(GraphChannelConfig):
    """``[facebook]``: the Facebook Page careline answers for, and how to reach it."""

    page_id: str | None = Field(default=None, pattern=r"^\d+$")


# The keys that must be present once the table exists (an absent table leaves the channel idle).
FACEBOOK_REQUIRED = ("page_id", "access_token")


def validate_config(
    model: type[ConfigT],
    table: Mapping[str, Any],
    *,
    name: str,
    settings: Settings | None = None,
    required: tuple[str, ...] = (),
) -> ConfigT:
    """Validate a plugin table, turning pydantic errors into a ConfigError naming the key.

    With ``settings``, a secret given as ``$env:NAME`` whose variable is unset is reported by
    the variable's name. ``required`` keys are checked only when the table is not empty.
    """
    path = settings.config_path if settings is not None else None
    try:
        config = model.model_validate(dict(table))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([name, *(str(part) for part in error["loc"])])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(message, path=path, key=key) from None
    if table and config.enabled:
        raw = settings.data.get(name, {}) if settings is not None else {}
        for key in required:
            if getattr(config, key) is None:
                reference = raw.get(key) if isinstance(raw, Mapping) else None
                if isinstance(reference, str) and reference.startswith(ENV_PREFIX):
                    message = f"the environment variable {reference[len(ENV_PREFIX) :]} is not set"
                else:
                    message = "is required"
                raise ConfigError(message, path=path, key=f"{name}.{key}")
    return config
