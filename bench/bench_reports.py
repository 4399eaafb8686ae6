"""Benchmark: the ``overview`` report on a SQLite event log of 1,000,000 messages.

A synthetic log (fixed seed) of 200,000 conversations / 1,000,000 messages is bulk-inserted with
SQLAlchemy Core (``careline_reports.eventlog``). The overview report (``compute`` through
SQLAlchemy, every calendar KPI plus the per-day series) is timed against the floor: one
hand-written SQL statement computing the same aggregates on the same database in the same run.
Peak Python memory (tracemalloc) of the report is compared for 100,000 and 1,000,000 messages:
reports aggregate in SQL, so it should not grow with the data. ``--quick`` uses 10,000/2,000
(and 1,000/200 for the small memory point).
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from careline import events
from careline.db import Database
from careline.reporting import ReportParams
from careline_reports.eventlog import LoggedConversation, LoggedEvent, write_agents, write_event_log
from careline_reports.reports.overview import OverviewReport
from careline_reports.targets import KpiSettings
from sqlmodel import Session

SEED = 20260105
START = datetime(2026, 1, 1, tzinfo=UTC)
DAYS = 90
AGENTS = 40
CHANNELS = ("x", "facebook", "instagram")
PRIORITIES = ("low", "normal", "normal", "normal", "high", "urgent")
TARGET_RATIO = 1.5
REPEATS = 3


def synthetic_log(
    conversations: int, messages: int, seed: int = SEED
) -> Iterator[LoggedConversation]:
    """``conversations`` plausible care conversations with exactly ``messages`` messages."""
    rng = random.Random(seed)
    base, extra = divmod(messages, conversations)
    for conversation_id in range(1, conversations + 1):
        count = base + (conversation_id <= extra)
        at = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        log = [
            LoggedEvent(events.CONVERSATION_OPENED, at),
            LoggedEvent(events.MESSAGE_RECEIVED, at),
        ]
        reopen_at = rng.randrange(2, count) if count >= 3 and rng.random() < 0.1 else None
        for n in range(1, count):
            at += timedelta(seconds=rng.randrange(60, 4 * 3600))
            if n == reopen_at:
                log.append(LoggedEvent(events.RESOLVED, at, {}, rng.randrange(1, AGENTS + 1)))
                at += timedelta(hours=rng.randrange(1, 48))
                log.append(
                    LoggedEvent(events.CONVERSATION_REOPENED, at, {"previous_status": "resolved"})
                )
                log.append(LoggedEvent(events.MESSAGE_RECEIVED, at, sentiment=rng.uniform(-1, 1)))
            elif rng.random() < 0.55:
                automated = rng.random() < 0.1
                agent = None if automated else rng.randrange(1, AGENTS + 1)
                log.append(
                    LoggedEvent(
                        events.REPLIED, at, {"automated": automated, "via": "careline"}, agent
                    )
                )
            else:
                log.append(LoggedEvent(events.MESSAGE_RECEIVED, at, sentiment=rng.uniform(-1, 1)))
        at += timedelta(seconds=rng.randrange(60, 86400))
        if rng.random() < 0.05:
            log.append(LoggedEvent(events.IGNORED, at, {"reason": "spam"}))
        elif rng.random() < 0.85:
            log.append(LoggedEvent(events.RESOLVED, at, {}, rng.randrange(1, AGENTS + 1)))
            if rng.random() < 0.3:
                log.append(LoggedEvent(events.CSAT_REQUESTED, at + timedelta(seconds=5)))
                if rng.random() < 0.4:
                    score = rng.choice((1, 2, 3, 4, 4, 5, 5, 5))
                    log.append(
                        LoggedEvent(events.CSAT_RECEIVED, at + timedelta(hours=2), {"score": score})
                    )
        yield LoggedConversation(
            id=conversation_id,
            channel=rng.choice(CHANNELS),
            events=tuple(log),
            source="earned" if rng.random() < 0.15 else "owned",
            priority=rng.choice(PRIORITIES),
            assignee_id=rng.randrange(1, AGENTS + 1),
        )


def build(folder: Path, conversations: int, messages: int) -> tuple[Database, int, float]:
    """A SQLite database holding the synthetic log; returns it, the message count and seconds."""
    database = Database.from_url(f"sqlite:///{folder / f'reports-{messages}.db'}")
    database.create_schema()
    started = time.perf_counter()
    with database.engine.begin() as connection:
        write_agents(connection, {n: f"agent{n:02d}" for n in range(1, AGENTS + 1)})
        write_event_log(connection, synthetic_log(conversations, messages))
    with database.engine.begin() as connection:
        connection.exec_driver_sql("ANALYZE")
        stored = connection.execute(sa.text("SELECT count(*) FROM message")).scalar_one()
    return database, int(stored), time.perf_counter() - started


def params() -> ReportParams:
    """The whole synthetic period."""
    return ReportParams(since=START, until=START + timedelta(days=DAYS + 2))


def run_report(database: Database) -> dict[str, Any]:
    """Compute the overview once; return its figures."""
    with Session(database.engine) as session:
        return dict(OverviewReport(KpiSettings()).compute(session, params()).figures)


FLOOR_SQL = """
WITH marks AS MATERIALIZED (
  SELECT cid, id, at, kind, score,
         sum(kind <= 1) OVER (w ROWS UNBOUNDED PRECEDING) AS cyc,
         sum(kind <= 1 OR kind = 3) OVER (w ROWS UNBOUNDED PRECEDING) AS wg,
         min(CASE WHEN kind = 3 THEN at END) OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS nr,
         min(CASE WHEN kind <= 1 THEN at END) OVER (w ROWS BETWEEN 1 FOLLOWING AND UNBOUNDED FOLLOWING) AS ns
  FROM (SELECT conversation_id AS cid, id, at,
               CASE type WHEN 'conversation_opened' THEN 0 WHEN 'conversation_reopened' THEN 1
                 WHEN 'message_received' THEN 2
                 WHEN 'replied' THEN CASE WHEN json_extract(data, '$.automated') THEN 4 ELSE 3 END
                 WHEN 'resolved' THEN 5 WHEN 'ignored' THEN 6 WHEN 'csat' THEN 7 ELSE 8 END AS kind,
               CASE WHEN type = 'csat' THEN json_extract(data, '$.score') END AS score
        FROM event
        WHERE type IN ('conversation_opened', 'conversation_reopened', 'message_received',
                       'replied', 'resolved', 'ignored', 'csat', 'csat_requested')
          AND at >= :since
          AND conversation_id IN (SELECT conversation_id FROM event
                                  WHERE type IN ('conversation_opened', 'conversation_reopened')
                                    AND at >= :since AND at < :until))
  WINDOW w AS (PARTITION BY cid ORDER BY at, kind > 1, id)
), facts AS MATERIALIZED (
  SELECT cycles.*, CASE c.priority WHEN 'urgent' THEN 900 WHEN 'high' THEN 1800
           WHEN 'normal' THEN 3600 WHEN 'low' THEN 14400 END AS frt_target,
         CASE c.priority WHEN 'urgent' THEN 14400 WHEN 'high' THEN 28800
           WHEN 'normal' THEN 86400 WHEN 'low' THEN 259200 END AS res_target
  FROM (SELECT cid, cyc, min(CASE WHEN kind <= 1 THEN at END) AS start,
               max(kind = 1) AS ro, min(CASE WHEN kind <= 1 THEN ns END) AS next_cycle,
               strftime('%s', substr(min(CASE WHEN kind <= 1 THEN at END), 1, 19)) AS start_s,
               strftime('%s', substr(min(CASE WHEN kind = 3 THEN at END), 1, 19)) AS reply_s,
               strftime('%s', substr(min(CASE WHEN kind = 5 THEN at END), 1, 19)) AS resolved_s,
               sum(kind = 3) AS replies, max(kind = 6) AS ignored,
               count(score) AS csat_n, coalesce(sum(score), 0) AS csat_sum,
               sum(score >= 4) AS csat_ok, sum(score = 5) AS csat_top, sum(kind = 8) AS csat_asked
        FROM marks WHERE cyc > 0 GROUP BY cid, cyc) AS cycles
  JOIN conversation c ON c.id = cycles.cid
  WHERE cycles.start >= :since AND cycles.start < :until
), durations AS (
  SELECT 'frt' AS m, reply_s - start_s AS d FROM facts WHERE NOT ignored AND reply_s IS NOT NULL
  UNION ALL SELECT 'res', resolved_s - start_s FROM facts WHERE NOT ignored AND resolved_s IS NOT NULL
  UNION ALL SELECT 'reply', strftime('%s', substr(w.nr, 1, 19)) - strftime('%s', substr(w.first_in, 1, 19))
    FROM (SELECT cid, max(cyc) AS cyc, min(at) AS first_in, min(nr) AS nr, min(ns) AS ns
          FROM marks WHERE kind = 2 AND cyc > 0 GROUP BY cid, wg) AS w
    JOIN facts ON facts.cid = w.cid AND facts.cyc = w.cyc
    WHERE NOT facts.ignored AND w.nr IS NOT NULL AND (w.ns IS NULL OR w.nr < w.ns)
), ranked AS (
  SELECT m, d, row_number() OVER (PARTITION BY m ORDER BY d) AS k, count(*) OVER (PARTITION BY m) AS n
  FROM durations
)
SELECT
  (SELECT json_group_object(m, json_array(n, total, median, p90)) FROM (
     SELECT m, max(n) AS n, sum(d) AS total,
            min(CASE WHEN k * 100 >= n * 50 AND (k - 1) * 100 < n * 50 THEN d END) AS median,
            min(CASE WHEN k * 100 >= n * 90 AND (k - 1) * 100 < n * 90 THEN d END) AS p90
     FROM ranked GROUP BY m)) AS durations,
  (SELECT json_array(count(*), sum(ro), sum(ignored),
                     sum(NOT ignored AND reply_s IS NOT NULL),
                     sum(NOT ignored AND reply_s - start_s <= frt_target),
                     sum(NOT ignored AND (reply_s - start_s > frt_target OR (reply_s IS NULL
                         AND resolved_s IS NULL AND :until_s - start_s > frt_target))),
                     sum(NOT ignored AND resolved_s - start_s <= res_target),
                     sum(NOT ignored AND (resolved_s - start_s > res_target OR (resolved_s IS NULL
                         AND :until_s - start_s > res_target))),
                     sum(NOT ignored AND NOT ro AND resolved_s IS NOT NULL AND next_cycle IS NULL
                         AND replies = 1),
                     sum(NOT ignored AND NOT ro AND resolved_s IS NOT NULL),
                     sum(csat_n), sum(csat_sum), sum(csat_ok), sum(csat_top), sum(csat_asked))
   FROM facts) AS cycles,
  (SELECT json_array(sum(type = 'message_received'),
                     sum(type = 'replied' AND NOT coalesce(json_extract(data, '$.automated'), 0)),
                     sum(type = 'replied' AND coalesce(json_extract(data, '$.automated'), 0)),
                     sum(type = 'conversation_opened'), sum(type = 'conversation_reopened'))
   FROM event WHERE type IN ('message_received', 'replied', 'conversation_opened',
                             'conversation_reopened') AND at >= :since AND at < :until) AS activity,
  (SELECT count(*) FROM (
     SELECT max(CASE WHEN type IN ('conversation_opened', 'conversation_reopened') THEN at END) AS ls,
            max(CASE WHEN type IN ('resolved', 'ignored', 'closed') THEN at END) AS le
     FROM event WHERE type IN ('conversation_opened', 'conversation_reopened', 'resolved',
                               'ignored', 'closed') AND at < :until
     GROUP BY conversation_id) WHERE ls IS NOT NULL AND (le IS NULL OR ls > le)) AS backlog,
  (SELECT json_group_object(day, json_array(opened, reopened)) FROM (
     SELECT substr(at, 1, 10) AS day, sum(type = 'conversation_opened') AS opened,
            sum(type = 'conversation_reopened') AS reopened
     FROM event WHERE type IN ('conversation_opened', 'conversation_reopened')
       AND at >= :since AND at < :until GROUP BY day)) AS per_day
"""


def run_floor(database: Database) -> tuple[Any, ...]:
    """The hand-written statement: the same aggregates, one round trip, no ORM."""
    p = params()
    fmt = "%Y-%m-%d %H:%M:%S.%f"
    values = {
        "since": p.since.strftime(fmt),
        "until": p.until.strftime(fmt),
        "until_s": int(p.until.timestamp()),
    }
    with database.engine.connect() as connection:
        return tuple(connection.execute(sa.text(FLOOR_SQL), values).one())


def best_of(function: Any, database: Database) -> tuple[float, Any]:
    """The fastest of :data:`REPEATS` runs (seconds) and the last answer."""
    timings, answer = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        answer = function(database)
        timings.append(time.perf_counter() - started)
    return min(timings), answer


def peak_memory(database: Database) -> float:
    """Peak traced Python memory (MiB) while computing the overview."""
    tracemalloc.start()
    try:
        run_report(database)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def check_same_answer(figures: dict[str, Any], floor: tuple[Any, ...]) -> None:
    """The floor must compute what the report computes, or the ratio means nothing."""
    durations = json.loads(floor[0])
    cycles = json.loads(floor[1])
    activity = json.loads(floor[2])
    n, total, median, p90 = durations["frt"]
    assert figures["first_response_time_median_seconds"] == median
    assert figures["first_response_time_p90_seconds"] == p90
    assert figures["first_response_time_mean_seconds"] == round(total / n, 3)
    assert figures["reply_time_median_seconds"] == durations["reply"][2]
    assert figures["resolution_time_p90_seconds"] == durations["res"][3]
    assert figures["cycles"] == cycles[0] and figures["ignored"] == cycles[2]
    assert figures["first_response_sla"] == round(cycles[4] / (cycles[4] + cycles[5]), 4)
    assert figures["resolution_sla"] == round(cycles[6] / (cycles[6] + cycles[7]), 4)
    assert figures["csat_responses"] == cycles[10]
    assert figures["inbound_messages"] == activity[0] and figures["replies"] == activity[1]
    assert figures["backlog"] == floor[3]


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Build the databases, time report and floor, measure memory; one row per figure."""
    large = (2_000, 10_000) if quick else (200_000, 1_000_000)
    small = (200, 1_000) if quick else (20_000, 100_000)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="careline-bench-reports-") as folder:
        big_db, big_messages, build_seconds = build(Path(folder), *large)
        rows.append(
            {
                "benchmark": "reports: bulk insert of the synthetic log",
                "value": big_messages / build_seconds,
                "unit": "messages/s",
                "target": "",
                "note": f"{big_messages:,} messages, {large[0]:,} conversations, events too, "
                f"{build_seconds:.1f} s (SQLAlchemy Core executemany, SQLite)",
            }
        )
        report_seconds, figures = best_of(run_report, big_db)
        floor_seconds, floor = best_of(run_floor, big_db)
        check_same_answer(figures, floor)
        rows.append(
            {
                "benchmark": "reports: overview report",
                "value": round(report_seconds, 3),
                "unit": "s",
                "target": "",
                "note": f"{big_messages:,} messages, whole period, SQLite, best of {REPEATS}",
            }
        )
        rows.append(
            {
                "benchmark": "reports: hand-written SQL floor (same aggregates)",
                "value": round(floor_seconds, 3),
                "unit": "s",
                "target": "",
                "note": "one statement, one round trip, raw SQLite SQL",
            }
        )
        rows.append(
            {
                "benchmark": "reports: overview ÷ floor",
                "value": round(report_seconds / floor_seconds, 2),
                "unit": "×",
                "target": f"≤ {TARGET_RATIO}×",
                "note": "same database, same run",
            }
        )
        small_db, small_messages, _ = build(Path(folder), *small)
        for database, count in ((small_db, small_messages), (big_db, big_messages)):
            rows.append(
                {
                    "benchmark": f"reports: peak Python memory of the overview, {count:,} messages",
                    "value": round(peak_memory(database), 2),
                    "unit": "MiB",
                    "target": "flat in N",
                    "note": "tracemalloc; aggregation happens in SQL",
                }
            )
            database.dispose()
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(json.dumps(row, ensure_ascii=False))
