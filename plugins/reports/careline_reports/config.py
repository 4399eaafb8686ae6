"""The ``[reports]`` table of ``careline.toml``."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from careline.config import ConfigError, Settings, parse_duration
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SECTION = "reports"


class ReportsConfig(BaseModel):
    """How reports are computed and shown unless a command line option says otherwise."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    default_period: str = "30d"
    timezone: str | None = None
    top_topics: int = Field(default=10, ge=1, le=100)
    business_hours: bool = False

    @field_validator("default_period")
    @classmethod
    def _duration(cls, value: str) -> str:
        if parse_duration(value).total_seconds() <= 0:
            raise ValueError("must be a positive duration such as 7d or 30d")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError(f"unknown time zone {value!r}") from exc
        return value


def load_config(settings: Settings) -> ReportsConfig:
    """The validated ``[reports]`` table (built once per settings object)."""
    return settings.plugin_state("reports:config", lambda: _validate(settings))


def _validate(settings: Settings) -> ReportsConfig:
    try:
        return ReportsConfig.model_validate(settings.section(SECTION))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([SECTION, *(str(part) for part in error["loc"])])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(message, path=settings.config_path, key=key) from None
