"""Duration statistics: count, mean, median and p90, the same in SQL and in Python.

Percentiles use the **nearest-rank** method: the p-th percentile of ``n`` sorted values is the
value at (1-based) rank ``ceil(p * n / 100)``. The median is the 50th percentile, so for an even
count it is the lower of the two middle values. The rank test is integer arithmetic, so SQLite
and PostgreSQL pick the same row; the mean is ``sum / count`` of whole seconds, divided in Python.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import Select

from careline_reports.sql.dialect import const

MEDIAN = 50
P90 = 90
PERCENTILES = {"median": MEDIAN, "p90": P90}


@dataclass(frozen=True, slots=True)
class DurationStats:
    """Count, mean, median and p90 of durations in seconds (``None`` when there are none)."""

    count: int = 0
    mean: float | None = None
    median: int | None = None
    p90: int | None = None

    @classmethod
    def from_totals(cls, count: int | None, total: Any, median: Any, p90: Any) -> DurationStats:
        """Build from SQL aggregates (``total`` is the sum of the durations)."""
        if not count:
            return cls()
        return cls(
            count=int(count),
            mean=round(int(total) / int(count), 3),
            median=int(median),
            p90=int(p90),
        )

    @classmethod
    def of(cls, durations: Iterable[int]) -> DurationStats:
        """The statistics of ``durations`` computed in Python (business-hours variant)."""
        values = sorted(durations)
        if not values:
            return cls()
        return cls(
            count=len(values),
            mean=round(sum(values) / len(values), 3),
            median=values[nearest_rank(len(values), MEDIAN) - 1],
            p90=values[nearest_rank(len(values), P90) - 1],
        )


def nearest_rank(count: int, percent: int) -> int:
    """The 1-based rank of the ``percent``-th percentile among ``count`` sorted values."""
    return max(1, -(-count * percent // 100))


def is_rank(rank: ColumnElement[int], count: ColumnElement[int], percent: int) -> Any:
    """SQL: ``rank == ceil(percent * count / 100)``, in integer arithmetic only."""
    hundred, share = const(100), const(percent)
    return sa.and_(rank * hundred >= count * share, (rank - const(1)) * hundred < count * share)


def duration_statistics(durations: Any) -> Select[Any]:
    """Per ``(metric, group_key)``: count, total, median and p90 of ``seconds``.

    ``durations`` is a subquery with the columns ``metric``, ``group_key`` and ``seconds``.
    """
    partition = (durations.c.metric, durations.c.group_key)
    ranked = sa.select(
        durations.c.metric,
        durations.c.group_key,
        durations.c.seconds,
        sa.func.row_number()
        .over(partition_by=partition, order_by=durations.c.seconds)
        .label("position"),
        sa.func.count().over(partition_by=partition).label("size"),
    ).subquery("ranked_durations")
    percentile_columns = [
        sa.func.min(
            sa.case((is_rank(ranked.c.position, ranked.c.size, percent), ranked.c.seconds))
        ).label(name)
        for name, percent in PERCENTILES.items()
    ]
    return sa.select(
        ranked.c.metric,
        ranked.c.group_key,
        sa.func.count().label("count"),
        sa.func.sum(ranked.c.seconds).label("total"),
        *percentile_columns,
    ).group_by(ranked.c.metric, ranked.c.group_key)
