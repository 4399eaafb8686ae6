"""Everything careline-insights learns about one inbound message, put together."""

from __future__ import annotations

from pathlib import Path

from careline.config import Settings
from careline.types import Direction, Enrichment, InboundMessage, MessageKind

from careline_insights.config import InsightsConfig, load_config
from careline_insights.language import LanguageDetector, normalise_language_tag
from careline_insights.personal_data import PersonalDataDetector
from careline_insights.sentiment import score_sentiment
from careline_insights.topics import TopicClassifier, build_topic_classifier


class Enricher:
    """The detectors built from one ``[insights]`` configuration."""

    def __init__(self, config: InsightsConfig, *, config_path: Path | None = None) -> None:
        self.config = config
        self.topics: TopicClassifier = build_topic_classifier(config, config_path)
        self.personal_data = PersonalDataDetector.from_config(config)
        self.language_detector = (
            LanguageDetector(
                config.languages,
                config.min_language_confidence,
                config.unlisted_language_confidence,
            )
            if config.detect_language
            else None
        )
        self._sentiment_languages = frozenset(config.sentiment_languages)

    def language_of(self, text: str, platform_tag: str | None) -> str | None:
        """The platform's tag when it names a language, else the detector's guess."""
        language = normalise_language_tag(platform_tag)
        if language is None and self.language_detector is not None:
            detected = self.language_detector.detect(text)
            language = detected.language if detected else None
        return language

    def wants_sentiment(self, language: str | None) -> bool:
        """VADER reads English; other languages get a score only when configured."""
        return (
            language is None
            or language in self._sentiment_languages
            or "*" in self._sentiment_languages
        )

    def enrich_text(self, text: str, platform_tag: str | None = None) -> Enrichment:
        """Sentiment, language, topics and personal data of one text."""
        language = self.language_of(text, platform_tag)
        sentiment = None
        if self.wants_sentiment(language):
            sentiment = score_sentiment(
                text,
                positive_threshold=self.config.positive_threshold,
                negative_threshold=self.config.negative_threshold,
            )
        topics = self.topics.classify(text, language)
        return Enrichment(
            sentiment=sentiment.score if sentiment else None,
            sentiment_label=sentiment.label if sentiment else None,
            language=language,
            topics=tuple(name for name, _ in topics),
            topic_scores=dict(topics),
            personal_data=tuple(self.personal_data.find(text)),
        )

    def enrich(self, message: InboundMessage) -> Enrichment | None:
        """The enrichment of a customer message; ``None`` for the brand's own messages and for
        deletions."""
        if message.direction is Direction.OUTBOUND or message.kind is MessageKind.DELETE:
            return None
        return self.enrich_text(message.text, message.language)


def enricher_for(settings: Settings) -> Enricher:
    """The instance's enricher, built (and its rules compiled) once per settings."""
    return settings.plugin_state(
        "insights:enricher",
        lambda: Enricher(load_config(settings), config_path=settings.config_path),
    )


def enrich_message(message: InboundMessage, settings: Settings) -> Enrichment | None:
    """What careline-insights adds to ``message`` (``None`` when switched off or outbound)."""
    if not load_config(settings).enabled:
        return None
    return enricher_for(settings).enrich(message)
