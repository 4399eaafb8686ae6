"""The ``[routing]`` table of ``careline.toml``: rules, queues and defaults, validated.

Every problem becomes a :class:`careline.config.ConfigError` that names the exact key, e.g.
``careline.toml: routing.rules[3].sentiment_below: must be a number between -1 and 1``.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Literal

from careline.config import ConfigError, Settings, parse_duration
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

SECTION = "routing"

PriorityName = Literal["low", "normal", "high", "urgent"]
StrategyName = Literal["manual", "round_robin", "least_loaded"]
Scalar = str | int | float | bool

ACTION_FIELDS = ("queue", "priority", "tags", "set_topic", "ignore", "suggest_private")
DEFAULT_IGNORE_REASON = "no reply needed"


class _Table(BaseModel):
    # strict: TOML already has types, so "true" must not quietly become True
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _names(value: str | list[str] | None) -> str | list[str] | None:
    items = [value] if isinstance(value, str) else value
    if items is None:
        return None
    if not items:
        raise ValueError("must list at least one value (or leave the condition out)")
    for item in items:
        _not_blank(item)
    return value


def as_tuple(value: str | list[str] | None) -> tuple[str, ...]:
    """A condition value written as one string or a list of strings, as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


class RuleConfig(_Table):
    """One ``[[routing.rules]]`` table: optional conditions (all must hold) and actions."""

    name: str | None = Field(default=None, description="a text naming the rule")
    # --- conditions
    channel: str | list[str] | None = Field(
        default=None, description="a channel name or a list of channel names"
    )
    source: Literal["owned", "earned"] | None = Field(
        default=None, description='"owned" or "earned"'
    )
    visibility: Literal["public", "private"] | None = Field(
        default=None, description='"public" or "private"'
    )
    language: str | list[str] | None = Field(
        default=None, description='a language code or a list of them, e.g. ["de", "fr"]'
    )
    sentiment_below: float | None = Field(default=None, description="a number between -1 and 1")
    sentiment_above: float | None = Field(default=None, description="a number between -1 and 1")
    topic: str | list[str] | None = Field(default=None, description="a topic or a list of topics")
    keywords: str | list[str] | None = Field(
        default=None, description="a keyword or a list of keywords"
    )
    regex: str | None = Field(default=None, description="a regular expression (Python syntax)")
    followers_at_least: int | None = Field(
        default=None, description="a whole number of followers, 0 or more"
    )
    verified: bool | None = Field(default=None, description="true or false")
    contact: dict[str, Scalar | list[Scalar]] | None = Field(
        default=None,
        description='a table of contact attributes, e.g. { vip = true, tier = ["gold"] }',
    )
    personal_data: bool | None = Field(default=None, description="true or false")
    repeat_contact: int | None = Field(
        default=None, description="a whole number of earlier conversations, 1 or more"
    )
    business_hours: bool | None = Field(default=None, description="true or false")
    # --- actions
    queue: str | None = Field(default=None, description="a queue name")
    priority: PriorityName | None = Field(
        default=None, description='one of "low", "normal", "high", "urgent"'
    )
    tags: list[str] = Field(default_factory=list, description="a list of tags")
    set_topic: str | None = Field(default=None, description="a topic")
    ignore: str | bool | None = Field(
        default=None, description='a reason such as "no reply needed", or true'
    )
    suggest_private: bool = Field(default=False, description="true or false")

    @field_validator("name", "queue", "set_topic", "regex")
    @classmethod
    def _filled(cls, value: str | None) -> str | None:
        return None if value is None else _not_blank(value)

    @field_validator("channel", "language", "topic", "keywords")
    @classmethod
    def _name_lists(cls, value: str | list[str] | None) -> str | list[str] | None:
        return _names(value)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        for tag in value:
            _not_blank(tag)
        return value

    @field_validator("sentiment_below", "sentiment_above")
    @classmethod
    def _sentiment(cls, value: float | None) -> float | None:
        # written so that NaN fails too
        if value is not None and not -1.0 <= value <= 1.0:
            raise ValueError("must be a number between -1 and 1")
        return value

    @field_validator("followers_at_least")
    @classmethod
    def _followers(cls, value: int | None) -> int | None:
        if value is not None and value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("repeat_contact")
    @classmethod
    def _repeat(cls, value: int | None) -> int | None:
        if value is not None and value < 1:
            raise ValueError("must be 1 or more (earlier conversations of the same customer)")
        return value

    @field_validator("regex")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except (re.error, OverflowError, RecursionError) as exc:
                raise ValueError(f"not a valid regular expression: {exc}") from None
        return value

    @field_validator("contact")
    @classmethod
    def _contact(
        cls, value: dict[str, Scalar | list[Scalar]] | None
    ) -> dict[str, Scalar | list[Scalar]] | None:
        if value is not None and not value:
            raise ValueError("must name at least one attribute (or leave the condition out)")
        for expected in (value or {}).values():
            if isinstance(expected, list) and not expected:
                raise ValueError("an attribute's list of accepted values must not be empty")
        return value

    @field_validator("ignore")
    @classmethod
    def _ignore(cls, value: str | bool | None) -> str | bool | None:
        if isinstance(value, str):
            _not_blank(value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> RuleConfig:
        if not any(
            (
                self.queue,
                self.priority,
                self.tags,
                self.set_topic,
                self.ignore,
                self.suggest_private,
            )
        ):
            raise ValueError(f"needs at least one action ({', '.join(ACTION_FIELDS)})")
        below, above = self.sentiment_below, self.sentiment_above
        if below is not None and above is not None and below <= above:
            raise ValueError(
                "sentiment_below must be greater than sentiment_above, else the rule never matches"
            )
        return self

    @property
    def ignore_reason(self) -> str | None:
        """The "no reply needed" reason this rule sets, if any."""
        if self.ignore is True:
            return DEFAULT_IGNORE_REASON
        return self.ignore or None


class QueueConfig(_Table):
    """One ``[routing.queues.<name>]`` table: who works the queue and how work is dealt."""

    title: str | None = Field(default=None, description="a text")
    strategy: StrategyName | None = Field(
        default=None, description='one of "manual", "round_robin", "least_loaded"'
    )
    members: list[str] | None = Field(default=None, description="a list of agent names")
    required_skills: list[str] = Field(default_factory=list, description="a list of skills")
    reassign_after: timedelta | None = Field(
        default=None, description='a duration such as "30m", "2h" or "1d"'
    )

    @field_validator("reassign_after", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> Any:
        if value is None or isinstance(value, timedelta):
            return value
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ValueError('must be a duration such as "30m", "2h" or "1d"')
        try:
            duration = parse_duration(value)
        except (ValueError, OverflowError):
            raise ValueError('must be a duration such as "30m", "2h" or "1d"') from None
        if duration <= timedelta(0):
            raise ValueError("must be longer than zero")
        return duration

    @field_validator("members", "required_skills")
    @classmethod
    def _filled_names(cls, value: list[str] | None) -> list[str] | None:
        for item in value or ():
            _not_blank(item)
        return value


class RoutingConfig(_Table):
    """The whole ``[routing]`` table."""

    enabled: bool = Field(default=True, description="true or false")
    default_queue: str = Field(default="general", description="a queue name")
    earned_queue: str = Field(default="listening", description="a queue name")
    default_strategy: StrategyName = Field(
        default="least_loaded", description='one of "manual", "round_robin", "least_loaded"'
    )
    agents_without_queues_take_all: bool = Field(default=True, description="true or false")
    rules: list[RuleConfig] = Field(
        default_factory=list, description="an array of tables, written [[routing.rules]]"
    )
    queues: dict[str, QueueConfig] = Field(
        default_factory=dict, description="a table of queue tables, written [routing.queues.NAME]"
    )

    @field_validator("default_queue", "earned_queue")
    @classmethod
    def _filled(cls, value: str) -> str:
        return _not_blank(value)

    def queue(self, name: str) -> QueueConfig:
        """The configuration of queue ``name`` (defaults for a queue with no table)."""
        return self.queues.get(name) or QueueConfig()


def parse_config(raw: Mapping[str, Any], settings: Settings) -> RoutingConfig:
    """Validate a ``[routing]`` table; raise :class:`ConfigError` naming the first bad key."""
    try:
        return RoutingConfig.model_validate(dict(raw))
    except ValidationError as exc:
        key, message = describe_error(exc.errors()[0], raw)
        raise ConfigError(message, path=settings.config_path, key=key) from None


def load_config(settings: Settings) -> RoutingConfig:
    """The validated ``[routing]`` table of ``settings``, parsed once per settings object."""
    return settings.plugin_state(
        "routing:config", lambda: parse_config(settings.section(SECTION), settings)
    )


# --- error messages -----------------------------------------------------------------------------
def describe_error(error: Mapping[str, Any], raw: Mapping[str, Any]) -> tuple[str, str]:
    """The dotted key and a one-line message for one pydantic error on the ``[routing]`` table."""
    loc = tuple(error["loc"])
    model, path, field_name, rule_index = _locate(loc)
    key = SECTION + "".join(path)
    kind = error["type"]
    if kind == "extra_forbidden":
        known = sorted(model.model_fields)
        hint = difflib.get_close_matches(str(field_name), known, n=1)
        suggestion = f"did you mean {hint[0]!r}? " if hint else ""
        message = f"unknown key ({suggestion}known: {', '.join(known)})"
    elif kind == "value_error":
        message = str(error["msg"]).removeprefix("Value error, ")
    elif kind == "missing":
        message = "is required"
    elif field_name is not None and field_name in model.model_fields:
        expected = model.model_fields[field_name].description or "a valid value"
        message = f"must be {expected}"
    else:
        message = _table_message(loc)
    if rule_index is not None:
        message += _rule_label(raw, rule_index)
    return key, message


def _locate(
    loc: tuple[Any, ...],
) -> tuple[type[BaseModel], list[str], str | None, int | None]:
    """Which model and field a pydantic error location points at, and its TOML path."""
    if not loc:
        return RoutingConfig, [], None, None
    head = str(loc[0])
    if head == "rules" and len(loc) >= 2 and isinstance(loc[1], int):
        path = [".rules", f"[{loc[1]}]"]
        if len(loc) >= 3:
            path.append(_key_part(loc[2]))
            return RuleConfig, path, str(loc[2]), loc[1]
        return RuleConfig, path, None, loc[1]
    if head == "queues" and len(loc) >= 2:
        path = [".queues", _key_part(loc[1])]
        if len(loc) >= 3:
            path.append(_key_part(loc[2]))
            return QueueConfig, path, str(loc[2]), None
        return QueueConfig, path, None, None
    return RoutingConfig, [_key_part(head)], head, None


_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key_part(name: Any) -> str:
    """``.name``, quoted the way TOML writes a key that is not bare (``."two words"``)."""
    text = str(name)
    return f".{text}" if _BARE_KEY.match(text) else f".{json.dumps(text)}"


def _table_message(loc: tuple[Any, ...]) -> str:
    if len(loc) == 2 and loc[0] == "rules":
        return "must be a table of conditions and actions"
    if len(loc) == 2 and loc[0] == "queues":
        return "must be a table (title, strategy, members, required_skills, reassign_after)"
    return "must be a table"


def _rule_label(raw: Mapping[str, Any], index: int) -> str:
    rules = raw.get("rules")
    if isinstance(rules, list) and 0 <= index < len(rules) and isinstance(rules[index], dict):
        name = rules[index].get("name")
        if isinstance(name, str) and name.strip():
            return f" (rule {name!r})"
    return ""
