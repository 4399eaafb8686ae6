"""The business-hours variant of the durations, and SLAs that count business hours only.

Open time between two moments depends on the calendar (weekends, holidays, DST), which SQL
cannot express portably. So the ``(start, end)`` pairs are streamed from the same SQL as the
calendar figures (``yield_per``, a batch at a time) and measured with
``BusinessHours.elapsed``. Memory holds one 8-byte integer per measured duration (to take the
median and p90 exactly), never a row object.
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterator, MutableMapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from careline.reporting import ReportParams
from careline.types import Priority
from sqlalchemy.orm import Session

from careline_reports.measures import (
    BUSINESS,
    FIRST_RESPONSE_TIME,
    REPLY_TIME,
    RESOLUTION_TIME,
    CycleKpis,
    SlaCount,
)
from careline_reports.sql.cycles import CycleFacts
from careline_reports.sql.statistics import DurationStats
from careline_reports.targets import FIRST_RESPONSE, RESOLUTION, KpiSettings, WorkingTime

STREAM_BATCH = 2_000


def whole_second(value: datetime) -> datetime:
    """``value`` truncated to the second, like the calendar durations in SQL."""
    return value.replace(microsecond=0)


def open_seconds(hours: WorkingTime, start: datetime, end: datetime) -> int:
    """Whole seconds of open time between two stored times."""
    return int(hours.elapsed(whole_second(start), whole_second(end)).total_seconds())


def _stream(session: Session, statement: Any) -> Iterator[Any]:
    result = session.execute(statement, execution_options={"yield_per": STREAM_BATCH})
    yield from result


def add_business_figures(
    session: Session,
    facts: CycleFacts,
    params: ReportParams,
    kpi_settings: KpiSettings,
    results: MutableMapping[str, CycleKpis],
) -> None:
    """Add business-hours durations (when ``params.business_hours``) and the SLA counts of
    priorities whose SLA counts business hours to ``results``."""
    hours = kpi_settings.working_time
    business_priorities = {str(p) for p, sla in kpi_settings.sla.items() if sla.business_hours}
    durations: defaultdict[tuple[str, str], array[int]] = defaultdict(lambda: array("q"))
    sla: defaultdict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    until = whole_second(params.until)
    f = facts.facts.c
    wanted = [f.priority.in_(business_priorities)] if not params.business_hours else []
    statement = sa.select(
        f.group_key, f.priority, f.start_at, f.first_reply_at, f.resolved_at
    ).where(f.ignored == 0, *wanted)
    for group, priority, start, first_reply, resolved in _stream(session, statement):
        first_s = None if first_reply is None else open_seconds(hours, start, first_reply)
        resolved_s = None if resolved is None else open_seconds(hours, start, resolved)
        if params.business_hours:
            if first_s is not None:
                durations[(group, FIRST_RESPONSE_TIME)].append(first_s)
            if resolved_s is not None:
                durations[(group, RESOLUTION_TIME)].append(resolved_s)
        if priority in business_priorities:
            target = kpi_settings.sla[Priority(priority)]
            waited = None
            if first_s is None and resolved is None:
                waited = open_seconds(hours, start, until)
            _judge(sla[(group, FIRST_RESPONSE)], first_s, waited, target.first_response)
            waited = open_seconds(hours, start, until) if resolved_s is None else None
            _judge(sla[(group, RESOLUTION)], resolved_s, waited, target.resolution)
    if params.business_hours:
        w = facts.waits.c
        waits = sa.select(w.group_key, w.wait_start_at, w.reply_at).where(
            w.ignored == 0, w.reply_at.is_not(None)
        )
        for group, wait_start, reply in _stream(session, waits):
            durations[(group, REPLY_TIME)].append(open_seconds(hours, wait_start, reply))
    for (group, metric), values in durations.items():
        if group in results:
            results[group].durations[(metric, BUSINESS)] = DurationStats.of(values)
    for (group, target_name), (met, breached) in sla.items():
        if group in results:
            kpis = results[group]
            kpis.sla[target_name] = kpis.sla.get(target_name, SlaCount()) + SlaCount(met, breached)
    for kpis in results.values():
        for metric in (FIRST_RESPONSE_TIME, REPLY_TIME, RESOLUTION_TIME):
            if params.business_hours:
                kpis.durations.setdefault((metric, BUSINESS), DurationStats())


def _judge(tally: list[int], answered: int | None, waited: int | None, target: int | None) -> None:
    """Count one cycle as met or breached; ``waited`` is the open time so far when unanswered
    and still waiting (``None``: not judged)."""
    if target is None:
        return
    if answered is not None:
        tally[0 if answered <= target else 1] += 1
    elif waited is not None and waited > target:
        tally[1] += 1
