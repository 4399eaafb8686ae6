"""What the cycle KPIs are: metric names, SLA tallies and the per-group result."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from careline_reports.sql.statistics import DurationStats

FIRST_RESPONSE_TIME = "first_response"
REPLY_TIME = "reply"
RESOLUTION_TIME = "resolution"
DURATION_METRICS = (FIRST_RESPONSE_TIME, REPLY_TIME, RESOLUTION_TIME)
CALENDAR = "calendar"
BUSINESS = "business"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
COUNT_COLUMNS = (
    "cycles",
    "opened",
    "reopened",
    "ignored",
    "answered",
    "first_response_sla_met",
    "first_response_sla_breached",
    "resolution_sla_met",
    "resolution_sla_breached",
    "resolved",
    "first_contact_resolved",
    "first_contact_base",
    "csat_responses",
    "csat_score_sum",
    "csat_satisfied",
    "csat_very_satisfied",
    "csat_requested",
)


@dataclass(frozen=True, slots=True)
class SlaCount:
    """How many cycles met and breached one SLA target."""

    met: int = 0
    breached: int = 0

    @property
    def attainment(self) -> float | None:
        """Share met among those judged (``None`` when none was judged)."""
        return ratio(self.met, self.met + self.breached)

    def __add__(self, other: SlaCount) -> SlaCount:
        return SlaCount(self.met + other.met, self.breached + other.breached)


@dataclass(frozen=True)
class CycleKpis:
    """The KPIs of the cycles of one group; ``durations[(metric, basis)]`` holds statistics."""

    group: str
    counts: dict[str, int]
    durations: dict[tuple[str, str], DurationStats] = field(default_factory=dict)
    sla: dict[str, SlaCount] = field(default_factory=dict)

    def count(self, name: str) -> int:
        """A counter of :data:`COUNT_COLUMNS`."""
        return self.counts.get(name, 0)

    def duration(self, metric: str, basis: str = CALENDAR) -> DurationStats:
        """Statistics of one duration metric (empty when not measured)."""
        return self.durations.get((metric, basis), DurationStats())

    @property
    def response_rate(self) -> float | None:
        """Answered cycles among cycles that needed an answer (ignored ones left out)."""
        return ratio(self.count("answered"), self.count("cycles") - self.count("ignored"))

    @property
    def first_contact_resolution(self) -> float | None:
        """Conversations resolved with one human reply and no reopen, among resolved ones."""
        return ratio(self.count("first_contact_resolved"), self.count("first_contact_base"))

    @property
    def csat_mean(self) -> float | None:
        """Mean CSAT score (1–5)."""
        value = ratio(self.count("csat_score_sum"), self.count("csat_responses"))
        return None if value is None else round(value, 4)

    @property
    def csat_share(self) -> float | None:
        """Share of CSAT answers scoring 4 or 5."""
        return ratio(self.count("csat_satisfied"), self.count("csat_responses"))

    @property
    def vsat_share(self) -> float | None:
        """Share of CSAT answers scoring 5 (very satisfied)."""
        return ratio(self.count("csat_very_satisfied"), self.count("csat_responses"))

    @property
    def survey_response_rate(self) -> float | None:
        """CSAT answers per CSAT survey sent."""
        return ratio(self.count("csat_responses"), self.count("csat_requested"))


def whole_seconds(moment: datetime) -> int:
    """Seconds since 1970 truncated to the second, exactly (no float rounding)."""
    return (moment.replace(microsecond=0) - EPOCH) // timedelta(seconds=1)


def ratio(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places, ``None`` for an empty whole."""
    return round(part / whole, 4) if whole else None
