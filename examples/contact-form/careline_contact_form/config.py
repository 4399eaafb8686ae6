"""The ``[contactform]`` table of ``careline.toml``, validated with pydantic.

The signing secret and the reply token are only ever ``$env:NAME`` references in the file; the
core resolves them before the channel sees the table, and ``repr`` never shows them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from careline.config import ConfigError
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

SECTION = "contactform"


class ContactFormConfig(BaseModel):
    """The whole ``[contactform]`` table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    account: str = Field(default="website", min_length=1, max_length=80)
    base_url: str = Field(default="http://127.0.0.1:8025", pattern=r"^https?://")
    secret: SecretStr | None = None
    api_token: SecretStr | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)

    @property
    def replies_url(self) -> str:
        """Where replies are POSTed: ``{base_url}/replies``."""
        return self.base_url.rstrip("/") + "/replies"


def parse_config(table: Mapping[str, Any], *, path: Path | None = None) -> ContactFormConfig:
    """Validate a resolved ``[contactform]`` table; raise :class:`ConfigError` naming the key."""
    try:
        return ContactFormConfig.model_validate(dict(table))
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([SECTION, *(str(part) for part in error["loc"])])
        message = "unknown key" if error["type"] == "extra_forbidden" else str(error["msg"])
        raise ConfigError(message, path=path, key=key) from None
