"""The cycle KPIs of DESIGN §7, per group (all, channel or first responder).

Everything except business-hours durations is aggregated by one SQL statement; see
:mod:`careline_reports.business_time` for the business-hours variant.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from careline.reporting import ReportParams
from sqlalchemy.orm import Session

from careline_reports.business_time import add_business_figures
from careline_reports.measures import (
    CALENDAR,
    COUNT_COLUMNS,
    DURATION_METRICS,
    FIRST_RESPONSE_TIME,
    REPLY_TIME,
    RESOLUTION_TIME,
    CycleKpis,
    SlaCount,
    whole_seconds,
)
from careline_reports.sql.cycles import CycleFacts, cycle_facts, flag
from careline_reports.sql.dialect import const, dialect_of
from careline_reports.sql.statistics import DurationStats, duration_statistics
from careline_reports.targets import FIRST_RESPONSE, RESOLUTION, KpiSettings


def compute_cycle_kpis(
    session: Session, params: ReportParams, kpi_settings: KpiSettings, group_key: str = "all"
) -> dict[str, CycleKpis]:
    """The cycle KPIs of the period by group, business-hours figures included when asked."""
    dialect = dialect_of(session)
    facts = cycle_facts(params, dialect, group_key)
    statement = _kpi_statement(facts, params, kpi_settings)
    results: dict[str, CycleKpis] = {}
    for row in session.execute(statement).mappings():
        counts = {name: int(row[name] or 0) for name in COUNT_COLUMNS}
        durations = {
            (metric, CALENDAR): DurationStats.from_totals(
                row[f"{metric}_count"],
                row[f"{metric}_total"],
                row[f"{metric}_median"],
                row[f"{metric}_p90"],
            )
            for metric in DURATION_METRICS
        }
        sla = {
            FIRST_RESPONSE: SlaCount(
                counts["first_response_sla_met"], counts["first_response_sla_breached"]
            ),
            RESOLUTION: SlaCount(counts["resolution_sla_met"], counts["resolution_sla_breached"]),
        }
        results[row["group_key"]] = CycleKpis(row["group_key"], counts, durations, sla)
    if params.business_hours or kpi_settings.business_hours_sla:
        add_business_figures(session, facts, params, kpi_settings, results)
    return results


def _target_seconds(kpi_settings: KpiSettings, priority: Any, target: str) -> Any:
    """SQL: the calendar target in seconds of a conversation's priority (NULL when the target
    is missing or counts business hours, which Python judges instead)."""
    whens = [
        (priority == const(str(p)), const(seconds))
        for p, sla in kpi_settings.sla.items()
        if not sla.business_hours and (seconds := sla.seconds(target)) is not None
    ]
    if not whens:
        return sa.literal(None, sa.BigInteger)
    return sa.case(*whens, else_=sa.null())


def sla_conditions(answered_s: Any, start_s: Any, until_s: int, target: Any) -> tuple[Any, Any]:
    """SQL (met, breached) for one target: the answer came in time / late, or none came and
    the target had passed at ``until``."""
    met = sa.and_(target.is_not(None), answered_s.is_not(None), answered_s - start_s <= target)
    breached = sa.and_(
        target.is_not(None),
        sa.or_(
            sa.and_(answered_s.is_not(None), answered_s - start_s > target),
            sa.and_(answered_s.is_(None), const(until_s) - start_s > target),
        ),
    )
    return met, breached


def _kpi_statement(facts: CycleFacts, params: ReportParams, kpi_settings: KpiSettings) -> Any:
    f = facts.facts.c
    until_s = whole_seconds(params.until)
    counted = f.ignored == const(0)
    first_target = _target_seconds(kpi_settings, f.priority, FIRST_RESPONSE)
    resolution_target = _target_seconds(kpi_settings, f.priority, RESOLUTION)
    # A cycle resolved without any reply needed no first response: it is not judged.
    first_met, first_breached = sla_conditions(f.first_reply_s, f.start_s, until_s, first_target)
    first_breached = sa.and_(
        first_breached, sa.or_(f.first_reply_s.is_not(None), f.resolved_s.is_(None))
    )
    resolution_met, resolution_breached = sla_conditions(
        f.resolved_s, f.start_s, until_s, resolution_target
    )
    first_contact_base = sa.and_(counted, f.reopened == const(0), f.resolved_at.is_not(None))
    counts = (
        sa.select(
            f.group_key,
            sa.func.count().label("cycles"),
            sa.func.sum(const(1) - f.reopened).label("opened"),
            sa.func.sum(f.reopened).label("reopened"),
            sa.func.sum(f.ignored).label("ignored"),
            sa.func.sum(flag(sa.and_(counted, f.first_reply_at.is_not(None)))).label("answered"),
            sa.func.sum(flag(sa.and_(counted, first_met))).label("first_response_sla_met"),
            sa.func.sum(flag(sa.and_(counted, first_breached))).label(
                "first_response_sla_breached"
            ),
            sa.func.sum(flag(sa.and_(counted, resolution_met))).label("resolution_sla_met"),
            sa.func.sum(flag(sa.and_(counted, resolution_breached))).label(
                "resolution_sla_breached"
            ),
            sa.func.sum(flag(sa.and_(counted, f.resolved_at.is_not(None)))).label("resolved"),
            sa.func.sum(
                flag(
                    sa.and_(
                        first_contact_base, f.next_cycle_at.is_(None), f.human_replies == const(1)
                    )
                )
            ).label("first_contact_resolved"),
            sa.func.sum(flag(first_contact_base)).label("first_contact_base"),
            sa.func.sum(f.csat_responses).label("csat_responses"),
            sa.func.sum(f.csat_score_sum).label("csat_score_sum"),
            sa.func.sum(f.csat_satisfied).label("csat_satisfied"),
            sa.func.sum(f.csat_very_satisfied).label("csat_very_satisfied"),
            sa.func.sum(f.csat_requested).label("csat_requested"),
        )
        .group_by(f.group_key)
        .subquery("cycle_counts")
    )

    w = facts.waits.c
    durations = sa.union_all(
        sa.select(
            const(FIRST_RESPONSE_TIME).label("metric"),
            f.group_key,
            (f.first_reply_s - f.start_s).label("seconds"),
        ).where(counted, f.first_reply_s.is_not(None)),
        sa.select(
            const(RESOLUTION_TIME).label("metric"),
            f.group_key,
            (f.resolved_s - f.start_s).label("seconds"),
        ).where(counted, f.resolved_s.is_not(None)),
        sa.select(
            const(REPLY_TIME).label("metric"),
            w.group_key,
            (w.reply_s - w.wait_start_s).label("seconds"),
        ).where(w.ignored == const(0), w.reply_s.is_not(None)),
    ).subquery("durations")
    stats = duration_statistics(durations).subquery("duration_stats")
    pivot = []
    for metric in DURATION_METRICS:
        for column in ("count", "total", "median", "p90"):
            pivot.append(
                sa.func.max(sa.case((stats.c.metric == const(metric), stats.c[column]))).label(
                    f"{metric}_{column}"
                )
            )
    pivoted = sa.select(stats.c.group_key, *pivot).group_by(stats.c.group_key).subquery("pivoted")
    return (
        sa.select(counts, *[column for column in pivoted.c if column.name != "group_key"])
        .outerjoin(pivoted, pivoted.c.group_key == counts.c.group_key)
        .order_by(counts.c.group_key)
    )
