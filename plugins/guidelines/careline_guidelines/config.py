"""The ``[guidelines]`` table of ``careline.toml``, validated with pydantic.

Every rule has its own table ``[guidelines.rules.<rule>]`` with ``enabled`` and ``severity``
plus the keys it needs; templates live in ``[guidelines.templates.<id>]``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from careline.config import ConfigError, Settings, parse_duration
from careline.types import Severity, Visibility
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

SECTION = "guidelines"
STATE_KEY = "guidelines:config"

BOTH_VISIBILITIES = [Visibility.PUBLIC, Visibility.PRIVATE]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class LengthRule(_Table):
    """``[guidelines.rules.length]``: the draft must fit the channel's limit."""

    enabled: bool = True
    severity: Severity = Severity.BLOCK


class PersonalDataPublicRule(_Table):
    """``[guidelines.rules.personal_data_public]``: no personal data in a public reply."""

    enabled: bool = True
    severity: Severity = Severity.BLOCK


class CustomerSharedPersonalDataRule(_Table):
    """``[guidelines.rules.customer_shared_personal_data]``: the customer posted personal data
    in public; move to a private message and never quote it."""

    enabled: bool = True
    severity: Severity = Severity.WARN
    quote_severity: Severity = Severity.BLOCK
    move_to_private_phrases: list[str] = Field(
        default_factory=lambda: [
            "DM",
            "DMs",
            "direct message",
            "private message",
            "privately",
            "Direktnachricht",
            "private Nachricht",
            "message privé",
            "mensaje privado",
        ]
    )

    @field_validator("move_to_private_phrases")
    @classmethod
    def _no_blank_phrase(cls, value: list[str]) -> list[str]:
        return _check_phrases(value)


class BannedPhrasesRule(_Table):
    """``[guidelines.rules.banned_phrases]``: words and phrases a reply must not use."""

    enabled: bool = True
    severity: Severity = Severity.WARN
    phrases: list[str] = Field(default_factory=list)
    phrases_by_language: dict[str, list[str]] = Field(default_factory=dict)
    legal_severity: Severity = Severity.APPROVAL
    legal_phrases: list[str] = Field(default_factory=list)
    legal_phrases_by_language: dict[str, list[str]] = Field(default_factory=dict)
    use_defaults: bool = True

    @field_validator("phrases", "legal_phrases")
    @classmethod
    def _no_blank_phrase(cls, value: list[str]) -> list[str]:
        return _check_phrases(value)

    @field_validator("phrases_by_language", "legal_phrases_by_language")
    @classmethod
    def _no_blank_phrase_by_language(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {language.lower(): _check_phrases(items) for language, items in value.items()}


class RequiredElementsRule(_Table):
    """``[guidelines.rules.required_elements]``: signature and greeting a reply must carry."""

    enabled: bool = True
    severity: Severity = Severity.WARN
    require_signature: bool = False
    signature_channels: list[str] = Field(default_factory=list)
    signature_visibilities: list[Visibility] = Field(default_factory=lambda: BOTH_VISIBILITIES)
    require_greeting_name: bool = False
    greeting_channels: list[str] = Field(default_factory=list)
    greeting_visibilities: list[Visibility] = Field(default_factory=lambda: BOTH_VISIBILITIES)
    greeting_within: int = Field(default=80, ge=1)


class LinksRule(_Table):
    """``[guidelines.rules.links]``: links only to the brand's own domains."""

    enabled: bool = True
    severity: Severity = Severity.BLOCK
    allowed_domains: list[str] = Field(default_factory=list)
    blocked_domains: list[str] = Field(
        default_factory=lambda: [
            "bit.ly",
            "tinyurl.com",
            "goo.gl",
            "ow.ly",
            "is.gd",
            "buff.ly",
            "cutt.ly",
            "rebrand.ly",
        ]
    )

    @field_validator("allowed_domains", "blocked_domains")
    @classmethod
    def _plain_domains(cls, value: list[str]) -> list[str]:
        domains = []
        for domain in value:
            cleaned = domain.strip().lower().rstrip(".")
            if not cleaned or "/" in cleaned or " " in cleaned or "." not in cleaned:
                raise ValueError(f"not a domain name: {domain!r} (write e.g. help.acme.com)")
            domains.append(cleaned)
        return domains


class DuplicateRule(_Table):
    """``[guidelines.rules.duplicate]``: the same text already sent on the channel recently."""

    enabled: bool = True
    severity: Severity = Severity.BLOCK
    window: timedelta = timedelta(hours=24)
    visibilities: list[Visibility] = Field(default_factory=lambda: BOTH_VISIBILITIES)

    @field_validator("window", mode="before")
    @classmethod
    def _duration(cls, value: Any) -> timedelta:
        return parse_duration(value)


class ToneRule(_Table):
    """``[guidelines.rules.tone]``: shouting, exclamation marks, unpersonalised templates."""

    enabled: bool = True
    severity: Severity = Severity.WARN
    caps_ratio: float = Field(default=0.7, gt=0, le=1)
    caps_min_letters: int = Field(default=12, ge=1)
    max_exclamations: int = Field(default=2, ge=0)
    check_robotic: bool = True


class WindowRule(_Table):
    """``[guidelines.rules.window]``: private messages only while the channel allows them."""

    enabled: bool = True
    severity: Severity = Severity.BLOCK
    tag_severity: Severity = Severity.WARN


class RulesConfig(_Table):
    """``[guidelines.rules]``: one table per rule."""

    length: LengthRule = LengthRule()
    personal_data_public: PersonalDataPublicRule = PersonalDataPublicRule()
    customer_shared_personal_data: CustomerSharedPersonalDataRule = CustomerSharedPersonalDataRule()
    banned_phrases: BannedPhrasesRule = BannedPhrasesRule()
    required_elements: RequiredElementsRule = RequiredElementsRule()
    links: LinksRule = LinksRule()
    duplicate: DuplicateRule = DuplicateRule()
    tone: ToneRule = ToneRule()
    window: WindowRule = WindowRule()


class TemplateConfig(_Table):
    """``[guidelines.templates.<id>]``: one canned reply (a Jinja2 body)."""

    title: str = Field(min_length=1)
    body: str = Field(min_length=1)
    topics: list[str] = Field(default_factory=list)
    language: str | None = None
    channels: list[str] = Field(default_factory=list)


class GuidelinesConfig(_Table):
    """The whole ``[guidelines]`` table."""

    enabled: bool = True
    builtin_templates: bool = True
    rules: RulesConfig = RulesConfig()
    templates: dict[str, TemplateConfig] = Field(default_factory=dict)


def _check_phrases(value: list[str]) -> list[str]:
    cleaned = [phrase.strip() for phrase in value]
    if any(not phrase for phrase in cleaned):
        raise ValueError("a phrase may not be empty")
    return cleaned


def parse_config(raw: Any, settings: Settings) -> GuidelinesConfig:
    """Validate a raw ``[guidelines]`` table; raise :class:`ConfigError` naming the key."""
    if not isinstance(raw, dict):
        raise ConfigError("must be a table", path=settings.config_path, key=SECTION)
    try:
        return GuidelinesConfig.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([SECTION, *(str(part) for part in error["loc"])])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(message, path=settings.config_path, key=key) from None


def guidelines_config(settings: Settings) -> GuidelinesConfig:
    """The validated ``[guidelines]`` table, built once per settings object."""
    return settings.plugin_state(
        STATE_KEY, lambda: parse_config(settings.section(SECTION), settings)
    )
