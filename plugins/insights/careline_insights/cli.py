"""``careline insights analyse``: what the detectors make of one text, to tune the rules."""

from __future__ import annotations

import json
from typing import Any

import click
from careline.cli.context import CliState, pass_state

from careline_insights.enrich import enricher_for
from careline_insights.language import normalise_language_tag


def mask_personal_data(text: str, spans: list[tuple[str, int, int]]) -> str:
    """``text`` with every personal-data span replaced by ``[kind]``."""
    masked = text
    for kind, start, end in sorted(spans, key=lambda span: span[1], reverse=True):
        masked = masked[:start] + f"[{kind}]" + masked[end:]
    return masked


def analysis(state: CliState, text: str, language: str | None) -> dict[str, Any]:
    """The insights of ``text`` as plain data (no personal-data values)."""
    settings = state.settings(require=False)
    enricher = enricher_for(settings)
    tagged = normalise_language_tag(language)
    enrichment = enricher.enrich_text(text, language)
    spans = [(m.kind, m.start, m.end) for m in enrichment.personal_data]
    reasons = enricher.topics.explain(text, enrichment.language)
    return {
        "language": enrichment.language,
        "language_source": "platform" if tagged else ("detected" if enrichment.language else None),
        "sentiment": enrichment.sentiment,
        "sentiment_label": enrichment.sentiment_label,
        "topics": [
            {"topic": topic, "score": enrichment.topic_scores[topic], "matched": reasons[topic]}
            for topic in enrichment.topics
        ],
        "personal_data": [{"kind": kind, "start": start, "end": end} for kind, start, end in spans],
        "masked_text": mask_personal_data(text, spans),
    }


def _print_text(result: dict[str, Any]) -> None:
    source = f" ({result['language_source']})" if result["language_source"] else ""
    click.echo(f"language:      {result['language'] or 'unknown'}{source}")
    if result["sentiment"] is None:
        click.echo("sentiment:     not scored for this language")
    else:
        click.echo(f"sentiment:     {result['sentiment']:+.3f} {result['sentiment_label']}")
    if not result["topics"]:
        click.echo("topics:        none")
    for number, topic in enumerate(result["topics"]):
        label = "topics:" if number == 0 else ""
        matched = ", ".join(topic["matched"])
        click.echo(f"{label:<14} {topic['topic']} {topic['score']:.3f} ← {matched}")
    kinds = [f"{item['kind']} {item['start']}–{item['end']}" for item in result["personal_data"]]
    click.echo(f"personal data: {', '.join(kinds) or 'none'}")
    if result["personal_data"]:
        click.echo(f"masked:        {result['masked_text']}")


def register(cli: click.Group) -> None:
    """Add the ``insights`` command group to ``cli``."""

    @cli.group(name="insights")
    def insights() -> None:
        """Sentiment, language, topics and personal data (careline-insights)."""

    @insights.command(name="analyse")
    @click.argument("text")
    @click.option("--language", help="The platform's language tag, e.g. en or pt-BR.")
    @click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
    @pass_state
    def analyse(state: CliState, text: str, language: str | None, as_json: bool) -> None:
        """Show what careline-insights finds in TEXT and which rules matched.

        Personal data is shown as kinds and positions only, and masked in the text.
        """
        result = analysis(state, text, language)
        if as_json:
            click.echo(json.dumps(result, ensure_ascii=False, indent=2))
        else:
            _print_text(result)
