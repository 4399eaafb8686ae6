"""The ``[insights]`` table of ``careline.toml``, validated with pydantic.

Example::

    [insights]
    languages = ["en", "de", "fr"]
    phone_region = "GB"

    [insights.patterns]
    order_number = 'ORD-\\d{6}'

    [insights.topics.billing]
    keywords_by_language = { en = ["direct debit"] }

    [insights.topics.recall]
    keywords = ["product recall", "recalled"]
    weight = 1.4
"""

from __future__ import annotations

import re
from typing import Any

import phonenumbers
from careline.config import ConfigError, Settings
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

SECTION = "insights"
BUILT_IN_PERSONAL_DATA_KINDS = ("email", "phone", "card")
DEFAULT_LANGUAGES = ("en", "de", "fr", "es", "nl", "it", "pt", "pl")

_NAME = re.compile(r"^[a-z][a-z0-9_-]*$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"invalid regular expression {pattern!r}: {exc}") from None
    if re.fullmatch(pattern, ""):
        raise ValueError(f"regular expression {pattern!r} matches the empty text")
    return pattern


def _check_keywords(keywords: list[str]) -> list[str]:
    for keyword in keywords:
        if not keyword.strip(" *"):
            raise ValueError("keywords may not be empty")
    return keywords


class TopicConfig(BaseModel):
    """``[insights.topics.<name>]``: a topic rule, or changes to the default rule of that name."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    keywords: list[str] = Field(default_factory=list)
    keywords_by_language: dict[str, list[str]] = Field(default_factory=dict)
    patterns: list[str] = Field(default_factory=list)
    weight: float = Field(default=1.0, gt=0, le=10)
    replace: bool = False
    enabled: bool = True

    @field_validator("keywords")
    @classmethod
    def _keywords_not_empty(cls, value: list[str]) -> list[str]:
        return _check_keywords(value)

    @field_validator("keywords_by_language")
    @classmethod
    def _language_keywords(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for language, keywords in value.items():
            if not _LANGUAGE_CODE.match(language):
                raise ValueError(f"{language!r} is not an ISO 639 language code (e.g. 'de')")
            _check_keywords(keywords)
        return value

    @field_validator("patterns")
    @classmethod
    def _patterns_compile(cls, value: list[str]) -> list[str]:
        return [_check_regex(pattern) for pattern in value]


class InsightsConfig(BaseModel):
    """``[insights]``: sentiment, language, topic and personal-data detection."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = True
    positive_threshold: float = Field(default=0.05, ge=-1, le=1)
    negative_threshold: float = Field(default=-0.05, ge=-1, le=1)
    sentiment_languages: list[str] = Field(default_factory=lambda: ["en"])
    detect_language: bool = True
    languages: list[str] = Field(default_factory=lambda: list(DEFAULT_LANGUAGES))
    min_language_confidence: float = Field(default=0.5, ge=0, le=1)
    unlisted_language_confidence: float = Field(default=0.7, gt=0, le=1)
    default_topics: bool = True
    topics: dict[str, TopicConfig] = Field(default_factory=dict)
    max_topics: int = Field(default=5, ge=1, le=50)
    personal_data: list[str] = Field(default_factory=lambda: list(BUILT_IN_PERSONAL_DATA_KINDS))
    phone_region: str = "US"
    patterns: dict[str, str] = Field(default_factory=dict)

    @field_validator("sentiment_languages", "languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        for language in value:
            if language != "*" and not _LANGUAGE_CODE.match(language):
                raise ValueError(f"{language!r} is not an ISO 639 language code (e.g. 'de')")
        return value

    @field_validator("languages")
    @classmethod
    def _known_to_detector(cls, value: list[str]) -> list[str]:
        from careline_insights.language import SUPPORTED_LANGUAGES

        if not value:
            raise ValueError("list at least one language (or set detect_language = false)")
        unknown = sorted(set(value) - SUPPORTED_LANGUAGES)
        if unknown:
            raise ValueError(f"the language detector does not know {', '.join(unknown)}")
        return value

    @field_validator("topics")
    @classmethod
    def _topic_names(cls, value: dict[str, TopicConfig]) -> dict[str, TopicConfig]:
        for name in value:
            if not _NAME.match(name):
                raise ValueError(f"topic name {name!r}: use lower-case letters, digits, _ and -")
        return value

    @field_validator("personal_data")
    @classmethod
    def _known_kinds(cls, value: list[str]) -> list[str]:
        unknown = sorted(set(value) - set(BUILT_IN_PERSONAL_DATA_KINDS))
        if unknown:
            raise ValueError(
                f"unknown kind {', '.join(unknown)} (built in: "
                f"{', '.join(BUILT_IN_PERSONAL_DATA_KINDS)}; add others under [insights.patterns])"
            )
        return value

    @field_validator("phone_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        region = value.upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows (e.g. 'US', 'GB')")
        return region

    @field_validator("patterns")
    @classmethod
    def _named_patterns(cls, value: dict[str, str]) -> dict[str, str]:
        for name, pattern in value.items():
            if not _NAME.match(name):
                raise ValueError(f"pattern name {name!r}: use lower-case letters, digits, _ and -")
            if name in BUILT_IN_PERSONAL_DATA_KINDS:
                raise ValueError(f"pattern name {name!r} is a built-in kind; choose another")
            _check_regex(pattern)
        return value

    @field_validator("negative_threshold")
    @classmethod
    def _thresholds_ordered(cls, value: float, info: ValidationInfo) -> float:
        positive = info.data.get("positive_threshold")
        if positive is not None and value > positive:
            raise ValueError(f"must not be above positive_threshold ({positive})")
        return value


def parse_config(raw: dict[str, Any], settings: Settings | None = None) -> InsightsConfig:
    """Validate a raw ``[insights]`` table; errors become a ConfigError naming the key."""
    try:
        return InsightsConfig.model_validate(raw)
    except ValidationError as exc:
        error = exc.errors()[0]
        key = ".".join([SECTION, *(str(part) for part in error["loc"])])
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown key"
        raise ConfigError(
            message, path=settings.config_path if settings else None, key=key
        ) from None


def load_config(settings: Settings) -> InsightsConfig:
    """The validated ``[insights]`` table of ``settings`` (validated once per settings)."""
    return settings.plugin_state(
        "insights:config", lambda: parse_config(settings.section(SECTION), settings)
    )
