"""``topics``: what customers write about, how they feel, and what was escalated."""

from __future__ import annotations

from typing import Any, ClassVar

from careline.reporting import ReportParams
from careline.types import ReportResult, ReportSeries, ReportTable
from sqlalchemy.orm import Session

from careline_reports.reports.base import CareReport
from careline_reports.sql.activity import escalations
from careline_reports.sql.buckets import DAY, bucketed_sums, local_days
from careline_reports.sql.topics import (
    inbound_sentiment,
    tag_counts,
    topic_counts,
    topic_openings,
)

TRENDED_TOPICS = 5


class TopicsReport(CareReport):
    """Top topics and tags against the previous period, sentiment trend, escalations."""

    name: ClassVar[str] = "topics"
    title: ClassVar[str] = "Topics and sentiment"
    description: ClassVar[str] = (
        "Top topics and tags with their change against the previous period, daily topic and "
        "sentiment trends, and escalations by target and reason."
    )

    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the topics report for ``params``."""
        limit = self.settings_for(session).top_topics
        length = params.until - params.since
        previous = (params.since - length, params.since)
        topic_counts_now = topic_counts(session, params, params.since, params.until)
        topics = _ranked(
            topic_counts_now,
            topic_counts(session, params, *previous),
            limit,
        )
        tags = _ranked(
            tag_counts(session, params, params.since, params.until),
            tag_counts(session, params, *previous),
            limit,
        )
        escalated = escalations(session, params)
        sentiment, mean_sentiment = sentiment_per_day(session, params)
        figures = {
            "conversations_with_topic": sum(topic_counts_now.values()),
            "escalations": sum(count for _, _, count in escalated),
            "mean_sentiment": mean_sentiment,
        }
        columns = ("conversations", "previous_period", "change_rate")
        return self.result(
            params,
            figures=figures,
            tables=(
                ReportTable("Top topics", ("topic", *columns), tuple(topics)),
                ReportTable("Top tags", ("tag", *columns), tuple(tags)),
                ReportTable("Escalations", ("target", "reason", "escalations"), tuple(escalated)),
            ),
            series=(
                topics_per_day(session, params, [row[0] for row in topics[:TRENDED_TOPICS]]),
                sentiment,
            ),
        )


def _ranked(current: dict[str, int], previous: dict[str, int], limit: int) -> list[tuple[Any, ...]]:
    """The ``limit`` most frequent names with their previous count and relative change."""
    ordered = sorted(current.items(), key=lambda item: (-item[1], item[0]))[:limit]
    rows: list[tuple[Any, ...]] = []
    for name, count in ordered:
        before = previous.get(name, 0)
        change = round((count - before) / before, 4) if before else None
        rows.append((name, count, before, change))
    return rows


def topics_per_day(session: Session, params: ReportParams, topics: list[str]) -> ReportSeries:
    """New conversations per local day for each of ``topics``."""
    days = local_days(params)
    sums = (
        bucketed_sums(session, topic_openings(params, topics), params, DAY, ("topic",), ("one",))
        if topics
        else {}
    )
    return ReportSeries(
        title="Top topics per day",
        labels=tuple(day.isoformat() for day in days),
        values={topic: tuple(sums.get((day, topic), [0.0])[0] for day in days) for topic in topics},
        kind="line",
    )


def sentiment_per_day(session: Session, params: ReportParams) -> tuple[ReportSeries, float | None]:
    """Mean sentiment (−1 … 1) of customer messages per local day (``None``: no message), and
    the mean over the whole period."""
    days = local_days(params)
    sums = bucketed_sums(session, inbound_sentiment(params), params, DAY, (), ("sentiment", "one"))
    means: list[float | None] = []
    for day in days:
        total, count = sums.get((day,), [0.0, 0.0])
        means.append(round(total / count, 4) if count else None)
    series = ReportSeries(
        title="Customer sentiment per day",
        labels=tuple(day.isoformat() for day in days),
        values={"mean_sentiment": tuple(means)},
        kind="line",
    )
    total = sum(value[0] for value in sums.values())
    count = sum(value[1] for value in sums.values())
    return series, (round(total / count, 4) if count else None)
