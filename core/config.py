"""The instance folder and its ``careline.toml``.

An instance folder holds the configuration, the SQLite file and the logs. Each plugin reads its
own table (``[routing]``, ``[twitter]``, …); the core's own tables are validated here. Secrets
are never written in the file: a value ``"$env:NAME"`` is read from the environment when it is
used, and :meth:`Settings.redacted` shows only the reference.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from careline.clock import Clock, SystemClock
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

CONFIG_FILE = "careline.toml"
DEFAULT_HOME = "careline-instance"
ENV_PREFIX = "$env:"
SECRET_KEY_PATTERN = re.compile(
    r"(secret|token|password|passwd|api_key|private_key|credential)", re.I
)
REDACTED = "********"

T = TypeVar("T")


class ConfigError(Exception):
    """The configuration is invalid: says which file, which key and what is wrong."""

    def __init__(self, message: str, *, path: Path | None = None, key: str | None = None):
        self.path = path
        self.key = key
        where = ": ".join(str(p) for p in (path, key) if p)
        super().__init__(f"{where}: {message}" if where else message)


_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)?\s*$")
_UNIT_SECONDS = {None: 1, "s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def format_duration(value: timedelta) -> str:
    """The shortest of ``"90s"``, ``"15m"``, ``"4h"``, ``"7d"`` that states ``value`` exactly."""
    seconds = int(value.total_seconds())
    for unit, size in (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    total = value.total_seconds()
    return f"{int(total)}s" if total == int(total) else f"{total}s"


def parse_duration(value: Any) -> timedelta:
    """Parse ``90``, ``"90s"``, ``"15m"``, ``"4h"``, ``"7d"`` or ``"2w"`` into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90s, 15m, 4h, 7d)")
    number, unit = match.groups()
    return timedelta(seconds=float(number) * _UNIT_SECONDS[unit])


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InstanceConfig(_Section):
    """``[instance]``: who this instance is for and where it stores data."""

    name: str = "careline"
    timezone: str = "UTC"
    base_url: str = "http://127.0.0.1:8000"
    database_url: str | None = None
    secret_key: str | None = None
    log_level: str = "INFO"

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class PipelineConfig(_Section):
    """``[pipeline]``: how inbound messages become conversations."""

    reopen_window: timedelta = Field(default=timedelta(days=7))
    keep_deleted_text: bool = False
    batch_size: int = Field(default=200, ge=1, le=10_000)
    enrich_processes: int = Field(default=0, ge=0, le=64)
    enrich_timeout: float = Field(default=60.0, gt=0, le=3600)

    _duration = field_validator("reopen_window", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )


class OutboxConfig(_Section):
    """``[outbox]``: how replies are sent and retried."""

    max_attempts: int = Field(default=8, ge=1, le=100)
    backoff_base: timedelta = Field(default=timedelta(seconds=5))
    backoff_max: timedelta = Field(default=timedelta(minutes=30))
    send_inline: bool = True

    _duration = field_validator("backoff_base", "backoff_max", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )


class WorkerConfig(_Section):
    """``[worker]``: the background loop."""

    poll_interval: timedelta = Field(default=timedelta(seconds=60))
    tick_interval: timedelta = Field(default=timedelta(seconds=30))
    idle_sleep: timedelta = Field(default=timedelta(seconds=1))

    _duration = field_validator("poll_interval", "tick_interval", "idle_sleep", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )


class WebConfig(_Section):
    """``[web]``: the HTTP server."""

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    session_max_age: timedelta = Field(default=timedelta(hours=12))
    login_attempts_per_minute: int = Field(default=10, ge=1)

    _duration = field_validator("session_max_age", mode="before")(
        classmethod(lambda cls, v: parse_duration(v))
    )


CORE_SECTIONS: dict[str, type[_Section]] = {
    "instance": InstanceConfig,
    "pipeline": PipelineConfig,
    "outbox": OutboxConfig,
    "worker": WorkerConfig,
    "web": WebConfig,
}
# Tables the core reads itself but validates in their own modules (SLA, business hours).
CORE_FREEFORM_SECTIONS = ("sla", "business_hours", "plugins")


def resolve_secret(value: Any, *, environ: Mapping[str, str] | None = None) -> Any:
    """Resolve ``"$env:NAME"`` to the environment variable's value (``None`` when unset)."""
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        return (environ if environ is not None else os.environ).get(value[len(ENV_PREFIX) :])
    if isinstance(value, dict):
        return {k: resolve_secret(v, environ=environ) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_secret(v, environ=environ) for v in value]
    return value


def redact(value: Any, key: str = "") -> Any:
    """A copy of a configuration value fit to print: secrets masked, references kept."""
    if isinstance(value, dict):
        return {k: redact(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, str) and value.startswith(ENV_PREFIX):
        name = value[len(ENV_PREFIX) :]
        state = "set" if os.environ.get(name) else "unset"
        return f"{value} ({state})"
    if key and SECRET_KEY_PATTERN.search(key) and value not in (None, ""):
        return REDACTED
    return value


def _check_no_literal_secrets(data: Mapping[str, Any], path: Path, prefix: str = "") -> None:
    for key, value in data.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            _check_no_literal_secrets(value, path, dotted + ".")
        elif (
            SECRET_KEY_PATTERN.search(key)
            and isinstance(value, str)
            and value
            and not value.startswith(ENV_PREFIX)
            and not key.endswith("_env")
        ):
            raise ConfigError(
                f'secrets may not be written in the file; use "{ENV_PREFIX}NAME" and set NAME '
                "in the environment",
                path=path,
                key=dotted,
            )


@dataclass
class Settings:
    """The effective configuration of one instance, plus the things built from it once."""

    home: Path
    data: dict[str, Any] = field(default_factory=dict)
    clock: Clock = field(default_factory=SystemClock)
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    _state: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def config_path(self) -> Path:
        """The instance's ``careline.toml``."""
        return self.home / CONFIG_FILE

    def core(self, name: str) -> Any:
        """The validated core table ``name`` (e.g. ``settings.core("pipeline")``)."""
        return self.plugin_state(
            f"core:{name}",
            lambda: _validate_section(name, self.data.get(name, {}), self.config_path),
        )

    @property
    def instance(self) -> InstanceConfig:
        """The ``[instance]`` table."""
        result: InstanceConfig = self.core("instance")
        return result

    @property
    def database_url(self) -> str:
        """``CARELINE_DATABASE_URL``, else ``[instance] database_url``, else SQLite in home."""
        from_env = self.environ.get("CARELINE_DATABASE_URL")
        if from_env:
            return from_env
        configured = resolve_secret(self.instance.database_url, environ=self.environ)
        if configured:
            return str(configured)
        return f"sqlite:///{(self.home / 'careline.db').resolve()}"

    @property
    def secret_key(self) -> str:
        """The key that signs session cookies: the configured one or the instance's own file."""
        configured = resolve_secret(self.instance.secret_key, environ=self.environ)
        if configured:
            return str(configured)
        key_file = self.home / "secret_key"
        if key_file.exists():
            return key_file.read_text().strip()
        raise ConfigError(
            "no secret key: run `careline init` or set [instance] secret_key", path=self.config_path
        )

    def section(self, name: str) -> dict[str, Any]:
        """A plugin's table with ``$env:`` references resolved (empty when absent)."""
        raw = self.data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError("must be a table", path=self.config_path, key=name)
        resolved: dict[str, Any] = resolve_secret(raw, environ=self.environ)
        return resolved

    def plugin_enabled(self, name: str) -> bool:
        """False when the configuration says ``enabled = false`` in the plugin's table."""
        table = self.data.get(name)
        return not (isinstance(table, dict) and table.get("enabled") is False)

    def plugin_state(self, key: str, factory: Callable[[], T]) -> T:
        """Build something from the configuration once per settings object (e.g. parsed rules)."""
        if key not in self._state:
            self._state[key] = factory()
        value: T = self._state[key]
        return value

    def redacted(self) -> dict[str, Any]:
        """The effective configuration with every secret masked."""
        effective: dict[str, Any] = {}
        for name in CORE_SECTIONS:
            effective[name] = {
                key: format_duration(value) if isinstance(value, timedelta) else value
                for key, value in self.core(name).model_dump().items()
            }
        for name, value in self.data.items():
            if name not in effective:
                effective[name] = value
        effective["instance"]["database_url"] = _redact_url(self.database_url)
        result: dict[str, Any] = redact(effective)
        return result

    def validate(self) -> None:
        """Validate every core table now, so that bad configuration fails at start-up."""
        for name in CORE_SECTIONS:
            self.core(name)


def _redact_url(url: str) -> str:
    return re.sub(r"(://[^:/@]+:)[^@]*@", r"\1" + REDACTED + "@", url)


def _validate_section(name: str, raw: Any, path: Path) -> _Section:
    model = CORE_SECTIONS[name]
    if not isinstance(raw, dict):
        raise ConfigError("must be a table", path=path, key=name)
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([name, *(str(p) for p in error["loc"])])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(message, path=path, key=key) from None


def load_settings(
    home: str | Path | None = None,
    *,
    clock: Clock | None = None,
    environ: Mapping[str, str] | None = None,
    require: bool = False,
) -> Settings:
    """Read an instance folder (``--home``, ``CARELINE_HOME`` or ``./careline-instance``).

    A missing folder gives default settings unless ``require`` is true.
    """
    env = dict(os.environ if environ is None else environ)
    folder = Path(home or env.get("CARELINE_HOME") or DEFAULT_HOME).expanduser()
    path = folder / CONFIG_FILE
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"not valid TOML: {exc}", path=path) from None
        except UnicodeDecodeError:
            raise ConfigError("not UTF-8 text", path=path) from None
        _check_no_literal_secrets(data, path)
    elif require:
        raise ConfigError(f"no instance here: run `careline init --home {folder}` first", path=path)
    settings = Settings(home=folder, data=data, clock=clock or SystemClock(), environ=env)
    settings.validate()
    return settings
