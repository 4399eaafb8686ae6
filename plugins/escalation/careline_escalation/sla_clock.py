"""SLA time as the core counts it: open business time or calendar time, per priority.

The core's ``[sla.<priority>]`` policy says whether a priority's targets count the open time
of ``[business_hours]`` or calendar time (``careline.business_hours``). The ladder measures its
warning share, its "breach + 30m" step and — since the core does not pass it to hooks — the
start of an SLA clock the same way, so all three agree with the core's due times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from careline.business_hours import BusinessHours, SlaPolicies
from careline.config import Settings
from careline.types import Priority

# A clock whose due time is further than this from its start is not searched for (it cannot
# come from a sane policy; the core gives up on schedules after 800 days too).
LONGEST_SEARCH = timedelta(days=800)


@dataclass(frozen=True)
class SlaClock:
    """How one priority's SLA time runs: through ``hours`` (business time) or the calendar."""

    hours: BusinessHours | None

    @classmethod
    def for_priority(cls, settings: Settings, priority: Priority) -> SlaClock:
        """The clock of ``priority``'s policy in this instance."""
        policy = SlaPolicies.from_settings(settings).get(priority)
        if policy is not None and policy.business_hours:
            return cls(BusinessHours.from_settings(settings))
        return cls(None)

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The instant ``duration`` of SLA time after ``start``."""
        return self.hours.add(start, duration) if self.hours else start + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """The SLA time between ``start`` and ``end`` (zero when ``end <= start``)."""
        if self.hours:
            return self.hours.elapsed(start, end)
        return max(end - start, timedelta(0))

    def share(self, start: datetime, due: datetime, now: datetime) -> float:
        """How much of the time from ``start`` to ``due`` has been used at ``now`` (1.0 = due)."""
        total = self.elapsed(start, due)
        if total <= timedelta(0):
            return 1.0
        return self.elapsed(start, now) / total

    def first_moment(self, at: datetime) -> datetime:
        """The first instant at or after ``at`` from which SLA time counts."""
        return self.hours.next_open(at) if self.hours else at

    def start_of(self, due: datetime, duration: timedelta) -> datetime | None:
        """The latest start whose clock of ``duration`` ends at ``due`` (the inverse of
        :meth:`add`); started in closed hours, a clock counts from the next opening, which is
        what this returns. ``None`` when no start within :data:`LONGEST_SEARCH` fits."""
        if self.hours is None or duration <= timedelta(0):
            return due - duration
        hours = self.hours
        step = max(duration, timedelta(hours=1))
        early = due - duration
        while hours.elapsed(early, due) < duration:
            if due - early > LONGEST_SEARCH:
                return None
            early -= step
            step *= 2
        late = due  # elapsed(early) >= duration > elapsed(late): bisect to the microsecond
        while late - early > timedelta(microseconds=1):
            middle = early + (late - early) / 2
            if hours.elapsed(middle, due) >= duration:
                early = middle
            else:
                late = middle
        return early


def policy_target(settings: Settings, priority: Priority, target: str) -> timedelta | None:
    """The SLA target ``target`` of ``priority`` (``None``: no target)."""
    policy = SlaPolicies.from_settings(settings).get(priority)
    return policy.target(target) if policy is not None else None
