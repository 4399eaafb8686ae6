"""``volume``: how much came in and went out, when, on which channel, owned or earned."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any, ClassVar

from careline.reporting import ReportParams
from careline.types import ReportResult, ReportSeries, ReportTable
from sqlalchemy.orm import Session

from careline_reports.reports.base import CareReport
from careline_reports.sql.activity import ACTIVITY_MEASURES, activity, activity_totals
from careline_reports.sql.buckets import DAY, HOUR_OF_WEEK, bucketed_sums, local_days

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
HOURS = tuple(f"{hour:02d}" for hour in range(24))
# Report column → activity measure (a new conversation is an `opened` event).
VOLUME_COLUMNS = {
    "conversations": "opened",
    "reopened": "reopened",
    "inbound_messages": "inbound_messages",
    "replies": "replies",
    "automated_replies": "automated_replies",
}


class VolumeReport(CareReport):
    """Inbound and outbound volume by day, hour of the week, channel and source."""

    name: ClassVar[str] = "volume"
    title: ClassVar[str] = "Volume"
    description: ClassVar[str] = (
        "Customer messages and replies by day and by hour of the week (heat map), by channel, "
        "and owned vs earned."
    )

    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the volume report for ``params``."""
        per_day = {
            key[0]: values
            for key, values in bucketed_sums(
                session, activity(params), params, DAY, (), ACTIVITY_MEASURES
            ).items()
        }
        totals = {
            measure: int(sum(values[n] for values in per_day.values()))
            for n, measure in enumerate(ACTIVITY_MEASURES)
        }
        by_channel, by_source = _by_channel_and_source(session, params)
        return self.result(
            params,
            figures={column: totals[measure] for column, measure in VOLUME_COLUMNS.items()},
            tables=(
                _table("By channel", "channel", by_channel),
                _table("Owned vs earned", "source", by_source),
            ),
            series=(messages_per_day(per_day, params), hour_of_week(session, params)),
        )


def _by_channel_and_source(
    session: Session, params: ReportParams
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]]]:
    """Activity per channel and per source from one grouped query."""
    by_channel: defaultdict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(ACTIVITY_MEASURES, 0)
    )
    by_source: defaultdict[str, dict[str, int]] = defaultdict(
        lambda: dict.fromkeys(ACTIVITY_MEASURES, 0)
    )
    for (channel, source), values in activity_totals(
        session, params, ("channel", "source")
    ).items():
        for measure, value in values.items():
            by_channel[str(channel)][measure] += value
            by_source[str(source)][measure] += value
    return dict(by_channel), dict(by_source)


def _table(title: str, key: str, groups: dict[str, dict[str, int]]) -> ReportTable:
    ordered = sorted(groups.items(), key=lambda item: (-item[1]["inbound_messages"], item[0]))
    rows = tuple(
        (name, *(values[measure] for measure in VOLUME_COLUMNS.values()))
        for name, values in ordered
    )
    return ReportTable(title=title, columns=(key, *VOLUME_COLUMNS), rows=rows)


def messages_per_day(per_day: dict[date, list[float]], params: ReportParams) -> ReportSeries:
    """Customer messages, human and automated replies and new conversations per local day."""
    days = local_days(params)
    empty = [0.0] * len(ACTIVITY_MEASURES)
    shown = {
        "inbound_messages": "inbound_messages",
        "replies": "replies",
        "automated_replies": "automated_replies",
        "conversations": "opened",
    }
    return ReportSeries(
        title="Messages per day",
        labels=tuple(day.isoformat() for day in days),
        values={
            label: tuple(per_day.get(day, empty)[ACTIVITY_MEASURES.index(measure)] for day in days)
            for label, measure in shown.items()
        },
        kind="line",
    )


def hour_of_week(session: Session, params: ReportParams) -> ReportSeries:
    """Customer messages by local weekday (rows) and hour (columns): a 7×24 heat map."""
    sums: dict[tuple[Any, ...], list[float]] = bucketed_sums(
        session, activity(params), params, HOUR_OF_WEEK, (), ("inbound_messages",)
    )
    return ReportSeries(
        title=f"Customer messages by hour of the week ({params.timezone})",
        labels=HOURS,
        values={
            weekday: tuple(sums.get(((day, hour),), [0.0])[0] for hour in range(24))
            for day, weekday in enumerate(WEEKDAYS)
        },
        kind="heatmap",
    )
