"""The ``[demo]`` table of the demo instance's ``careline.toml``, validated.

The demo writes this table itself; the command line options (``--speed``, ``--seed``) win over
it for one run.
"""

from __future__ import annotations

from careline.config import ConfigError, Settings
from pydantic import BaseModel, ConfigDict, Field, ValidationError

SECTION = "demo"


class DemoConfig(BaseModel):
    """``[demo]``: how lively the simulated customers and agents are."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    speed: float = Field(default=1.0, gt=0, le=1000)
    seed: int | None = None
    simulated_agents: bool = True
    answer_share: float = Field(default=0.6, ge=0, le=1)


def demo_config(settings: Settings) -> DemoConfig:
    """The validated ``[demo]`` table (built once per settings object)."""
    return settings.plugin_state("demo:config", lambda: parse_demo_config(settings))


def parse_demo_config(settings: Settings) -> DemoConfig:
    """Validate ``[demo]``; a wrong value becomes a :class:`ConfigError` naming the key."""
    try:
        return DemoConfig.model_validate(settings.section(SECTION))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([SECTION, *(str(part) for part in error["loc"])])
        message = "unknown key" if error["type"] == "extra_forbidden" else str(error["msg"])
        raise ConfigError(message, path=settings.config_path, key=key) from None
