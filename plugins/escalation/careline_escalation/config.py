"""The ``[escalation]`` table of ``careline.toml``, validated with pydantic.

Triggers have one table each (``[escalation.content.<category>]``, ``[escalation.influence]``,
``[escalation.sentiment]``, ``[escalation.repeat_contact]``, ``[escalation.manager_request]``,
``[escalation.reopen]``, ``[escalation.sla.*]``); escalation targets are
``[escalation.targets.<name>]``; notification senders are ``[escalation.webhooks.<name>]`` and
``[escalation.email]``. ``docs/plugins/escalation.md`` documents every key.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any, Literal

from careline.config import ENV_PREFIX, ConfigError, Settings, parse_duration
from careline.types import Priority
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from careline_escalation.defaults import BUILTIN_CATEGORIES
from careline_escalation.phrases import validate_phrase

SECTION = "escalation"
STATE_KEY = "escalation:config"

SlaTarget = Literal["first_response", "next_response", "resolution"]
SLA_TARGETS: tuple[SlaTarget, ...] = ("first_response", "next_response", "resolution")

RECIPIENT_KINDS = ("target", "agent", "role", "queue", "webhook", "email")
ASSIGNEE = "assignee"
EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def check_recipient(value: str, *, allow_assignee: bool = False) -> str:
    """Validate a recipient string such as ``target:legal``, ``agent:3`` or ``role:supervisor``."""
    value = value.strip()
    if allow_assignee and value == ASSIGNEE:
        return value
    kind, _, rest = value.partition(":")
    if kind not in RECIPIENT_KINDS or not rest or any(c.isspace() for c in rest):
        kinds = ", ".join(f"{k}:…" for k in RECIPIENT_KINDS)
        extra = ' or "assignee"' if allow_assignee else ""
        raise ValueError(f"not a recipient: {value!r} (use {kinds}{extra})")
    if kind == "agent" and not rest.isdigit():
        raise ValueError(f"not a recipient: {value!r} (agent ids are numbers: agent:3)")
    if kind == "email" and not EMAIL_ADDRESS.match(rest):
        raise ValueError(f"not an e-mail address: {rest!r}")
    return value


def check_pattern(value: str) -> str:
    """Validate a recipient pattern: ``*``, ``target:*``, ``role:supervisor``, a bare target name."""
    value = value.strip()
    if value == "*" or NAME.match(value):
        return value
    kind, _, rest = value.partition(":")
    if kind not in RECIPIENT_KINDS or not rest or any(c.isspace() for c in rest):
        raise ValueError(f"not a recipient pattern: {value!r} (use e.g. *, target:legal, role:*)")
    return value


def _duration(value: Any) -> timedelta:
    return parse_duration(value)


def _phrases(value: list[str]) -> list[str]:
    return [validate_phrase(phrase) for phrase in value]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TargetConfig(_Table):
    """``[escalation.targets.<name>]``: who hears of escalations to a target, and what follows."""

    notify: list[str] = Field(default_factory=list)
    raise_priority: Priority | None = None
    reassign_queue: str | None = None
    reassign_agent_id: int | None = Field(default=None, ge=1)

    @field_validator("notify")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [check_recipient(v) for v in value]


class ContentCategory(_Table):
    """``[escalation.content.<category>]``: a topic (legal, press, safety, HR, …) to escalate."""

    enabled: bool = True
    topics: list[str] = Field(default_factory=list)
    keywords: list[str] = Field(default_factory=list)
    use_default_keywords: bool = True
    target: str
    raise_priority: Priority | None = None
    public_only: bool = False

    _clean_keywords = field_validator("keywords")(classmethod(lambda cls, v: _phrases(v)))


class InfluenceTrigger(_Table):
    """``[escalation.influence]``: an influential author posts something negative in public."""

    enabled: bool = True
    min_followers: int = Field(default=10_000, ge=1)
    verified: bool = True
    max_sentiment: float = Field(default=-0.3, ge=-1.0, le=1.0)
    public_only: bool = True
    target: str = "pr"
    raise_priority: Priority | None = Priority.HIGH


class SentimentTrigger(_Table):
    """``[escalation.sentiment]``: a very negative message."""

    enabled: bool = True
    threshold: float = Field(default=-0.75, ge=-1.0, le=1.0)
    public_only: bool = True
    target: str = "supervisor"
    raise_priority: Priority | None = None


class RepeatContactTrigger(_Table):
    """``[escalation.repeat_contact]``: the customer's Nth conversation within the lookback."""

    enabled: bool = True
    min_conversations: int = Field(default=3, ge=2)
    target: str = "supervisor"
    raise_priority: Priority | None = None


class ManagerRequestTrigger(_Table):
    """``[escalation.manager_request]``: the customer asks for a manager or supervisor."""

    enabled: bool = True
    phrases: list[str] = Field(default_factory=list)
    use_default_phrases: bool = True
    target: str = "supervisor"
    raise_priority: Priority | None = None

    _clean_phrases = field_validator("phrases")(classmethod(lambda cls, v: _phrases(v)))


class ReopenTrigger(_Table):
    """``[escalation.reopen]``: a resolved conversation is reopened (once per conversation)."""

    enabled: bool = False
    target: str = "supervisor"
    raise_priority: Priority | None = None


class SlaWarnStep(_Table):
    """``[escalation.sla.warn]``: most of the time is used: tell the assignee."""

    enabled: bool = True
    at_percent: float = Field(default=80.0, gt=0.0, lt=100.0)
    target: str = "assignee"
    notify: list[str] = Field(default_factory=lambda: [ASSIGNEE])

    @field_validator("notify")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [check_recipient(v, allow_assignee=True) for v in value]


class SlaBreachStep(_Table):
    """``[escalation.sla.breach]``: the target was missed: tell the supervisor, raise priority."""

    enabled: bool = True
    target: str = "supervisor"
    notify: list[str] = Field(default_factory=lambda: ["role:supervisor"])
    raise_priority: bool = True

    @field_validator("notify")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [check_recipient(v, allow_assignee=True) for v in value]


class SlaReassignStep(_Table):
    """``[escalation.sla.reassign]``: still missed some time after the breach: move it."""

    enabled: bool = True
    after: timedelta = Field(default=timedelta(minutes=30))
    queue: str = "team-leads"
    target: str = "team_lead"
    notify: list[str] = Field(default_factory=lambda: ["role:supervisor"])

    _after = field_validator("after", mode="before")(classmethod(lambda cls, v: _duration(v)))

    @field_validator("after")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration (e.g. 30m)")
        return value

    @field_validator("notify")
    @classmethod
    def _recipients(cls, value: list[str]) -> list[str]:
        return [check_recipient(v, allow_assignee=True) for v in value]


class SlaLadder(_Table):
    """``[escalation.sla]``: the warn → breach → reassign ladder for each SLA target."""

    enabled: bool = True
    targets: list[SlaTarget] = Field(default_factory=lambda: list(SLA_TARGETS))
    warn: SlaWarnStep = Field(default_factory=SlaWarnStep)
    breach: SlaBreachStep = Field(default_factory=SlaBreachStep)
    reassign: SlaReassignStep = Field(default_factory=SlaReassignStep)


class WebhookConfig(_Table):
    """``[escalation.webhooks.<name>]``: an outgoing webhook (JSON or Slack-compatible)."""

    enabled: bool = True
    url: str
    secret: str | None = None
    format: Literal["json", "slack"] = "json"
    timeout: timedelta = Field(default=timedelta(seconds=10))
    recipients: list[str] = Field(default_factory=list)

    _timeout = field_validator("timeout", mode="before")(classmethod(lambda cls, v: _duration(v)))

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("timeout")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be a positive duration (e.g. 10s)")
        return value

    @field_validator("recipients")
    @classmethod
    def _patterns(cls, value: list[str]) -> list[str]:
        return [check_pattern(v) for v in value]


class EmailConfig(_Table):
    """``[escalation.email]``: e-mail over SMTP."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    enabled: bool = True
    host: str
    port: int | None = Field(default=None, ge=1, le=65535)
    security: Literal["starttls", "ssl", "none"] = "starttls"
    username: str | None = None
    password: str | None = None
    from_address: str = Field(alias="from")
    timeout: timedelta = Field(default=timedelta(seconds=10))
    subject_prefix: str = "[careline]"
    recipients: dict[str, list[str]] = Field(default_factory=dict)

    _timeout = field_validator("timeout", mode="before")(classmethod(lambda cls, v: _duration(v)))

    @field_validator("from_address")
    @classmethod
    def _address(cls, value: str) -> str:
        if not EMAIL_ADDRESS.match(value):
            raise ValueError(f"not an e-mail address: {value!r}")
        return value

    @field_validator("recipients")
    @classmethod
    def _addresses(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for pattern, addresses in value.items():
            check_pattern(pattern)
            for address in addresses:
                if not EMAIL_ADDRESS.match(address):
                    raise ValueError(f"not an e-mail address: {address!r}")
        return value

    @property
    def effective_port(self) -> int:
        """The configured port, or the usual one for the security mode."""
        if self.port is not None:
            return self.port
        return {"starttls": 587, "ssl": 465, "none": 25}[self.security]


class EscalationConfig(_Table):
    """The whole ``[escalation]`` table."""

    enabled: bool = True
    content: dict[str, ContentCategory] = Field(default_factory=dict, validate_default=True)
    influence: InfluenceTrigger = Field(default_factory=InfluenceTrigger)
    sentiment: SentimentTrigger = Field(default_factory=SentimentTrigger)
    repeat_contact: RepeatContactTrigger = Field(default_factory=RepeatContactTrigger)
    manager_request: ManagerRequestTrigger = Field(default_factory=ManagerRequestTrigger)
    reopen: ReopenTrigger = Field(default_factory=ReopenTrigger)
    sla: SlaLadder = Field(default_factory=SlaLadder)
    targets: dict[str, TargetConfig] = Field(default_factory=dict)
    webhooks: dict[str, WebhookConfig] = Field(default_factory=dict)
    email: EmailConfig | None = None

    @field_validator("content", mode="before")
    @classmethod
    def _with_builtin_categories(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        merged: dict[str, Any] = {name: dict(table) for name, table in BUILTIN_CATEGORIES.items()}
        for name, table in value.items():
            base = merged.get(name, {"topics": [name], "target": name})
            merged[name] = {**base, **table} if isinstance(table, dict) else table
        return merged


def load_config(settings: Settings) -> EscalationConfig:
    """The validated ``[escalation]`` table (parsed once per settings object)."""
    return settings.plugin_state(STATE_KEY, lambda: parse_config(settings))


def parse_config(settings: Settings) -> EscalationConfig:
    """Validate the ``[escalation]`` table; raise :class:`ConfigError` naming the bad key."""
    path = settings.config_path
    raw = settings.data.get(SECTION, {})
    resolved = settings.section(SECTION)
    for key, variable in _unset_references(raw, resolved, SECTION):
        raise ConfigError(f"the environment variable {variable} is not set", path=path, key=key)
    try:
        config = EscalationConfig.model_validate(resolved)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([SECTION, *(str(part) for part in error["loc"])])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(message, path=path, key=key) from None
    _check_references(config, settings)
    return config


def _unset_references(raw: Any, resolved: Any, prefix: str) -> list[tuple[str, str]]:
    """``(key, variable)`` for every ``"$env:NAME"`` value whose variable is not set."""
    if isinstance(raw, str) and raw.startswith(ENV_PREFIX) and resolved is None:
        return [(prefix, raw[len(ENV_PREFIX) :])]
    if isinstance(raw, dict) and isinstance(resolved, dict):
        found = []
        for key, value in raw.items():
            found.extend(_unset_references(value, resolved.get(key), f"{prefix}.{key}"))
        return found
    if isinstance(raw, list) and isinstance(resolved, list):
        return [
            hit
            for index, (value, got) in enumerate(zip(raw, resolved, strict=False))
            for hit in _unset_references(value, got, f"{prefix}.{index}")
        ]
    return []


def _check_references(config: EscalationConfig, settings: Settings) -> None:
    """Every ``webhook:<name>`` and ``email:`` recipient must have a configured sender."""
    path = settings.config_path
    lists: list[tuple[str, list[str]]] = [
        (f"{SECTION}.targets.{name}.notify", target.notify)
        for name, target in config.targets.items()
    ]
    for step in ("warn", "breach", "reassign"):
        lists.append((f"{SECTION}.sla.{step}.notify", getattr(config.sla, step).notify))
    for key, recipients in lists:
        for recipient in recipients:
            kind, _, name = recipient.partition(":")
            if kind == "webhook" and name not in config.webhooks:
                known = ", ".join(sorted(config.webhooks)) or "none configured"
                raise ConfigError(
                    f"no webhook named {name!r} in [escalation.webhooks] (known: {known})",
                    path=path,
                    key=key,
                )
            if kind == "email" and config.email is None:
                raise ConfigError(
                    f"{recipient!r} needs an [escalation.email] table", path=path, key=key
                )
    if config.email is not None and config.email.username and not config.email.password:
        raise ConfigError(
            'a username needs a password (password = "$env:NAME")',
            path=path,
            key=f"{SECTION}.email.password",
        )
    for name in config.webhooks:
        if not NAME.match(name):
            raise ConfigError(
                "webhook names may use letters, digits, '_', '-' and '.'",
                path=path,
                key=f"{SECTION}.webhooks.{name}",
            )
