"""What KPIs are measured against: SLA targets per priority and the business-hours calendar.

Both come from the core module ``careline.business_hours`` (``SlaPolicies``, ``BusinessHours``),
imported lazily so that a core without it still computes calendar figures with the default
targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from careline.config import Settings
from careline.types import Priority

FIRST_RESPONSE = "first_response"
RESOLUTION = "resolution"

# The core's defaults (careline.business_hours.DEFAULT_SLA), used when it is not installed.
DEFAULT_TARGETS: Mapping[Priority, tuple[timedelta, timedelta]] = {
    Priority.URGENT: (timedelta(minutes=15), timedelta(hours=4)),
    Priority.HIGH: (timedelta(minutes=30), timedelta(hours=8)),
    Priority.NORMAL: (timedelta(hours=1), timedelta(hours=24)),
    Priority.LOW: (timedelta(hours=4), timedelta(hours=72)),
}


class WorkingTime(Protocol):
    """Measures open time between two moments (``careline.business_hours.BusinessHours``)."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Open time between ``start`` and ``end`` (zero when ``end <= start``)."""
        ...


class CalendarTime:
    """Working time that never closes: business-hours durations equal calendar durations."""

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Plain ``end - start``, never negative."""
        return max(end - start, timedelta(0))


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """The SLA of one priority: targets in whole seconds and whether they count open hours."""

    first_response: int | None
    resolution: int | None
    business_hours: bool = False

    def seconds(self, target: str) -> int | None:
        """The target ``first_response`` or ``resolution`` in seconds (``None``: no target)."""
        return self.first_response if target == FIRST_RESPONSE else self.resolution


@dataclass(frozen=True, slots=True)
class KpiSettings:
    """Everything a report needs from the instance configuration to compute its KPIs."""

    sla: Mapping[Priority, SlaTarget] = field(default_factory=lambda: default_sla())
    working_time: WorkingTime = field(default_factory=CalendarTime)
    top_topics: int = 10

    @property
    def business_hours_sla(self) -> bool:
        """True when any priority's SLA counts business hours only."""
        return any(target.business_hours for target in self.sla.values())

    @classmethod
    def from_settings(cls, settings: Settings) -> KpiSettings:
        """SLA targets, business hours and report options of an instance."""
        from careline_reports.config import load_config

        return settings.plugin_state(
            "reports:kpi_settings",
            lambda: cls(
                sla=sla_from_settings(settings),
                working_time=working_time_from_settings(settings),
                top_topics=load_config(settings).top_topics,
            ),
        )


def _seconds(value: timedelta | None) -> int | None:
    return None if value is None else int(value.total_seconds())


def default_sla(business_hours: bool = False) -> dict[Priority, SlaTarget]:
    """The core's default targets (urgent 15m/4h, high 30m/8h, normal 1h/24h, low 4h/72h)."""
    return {
        priority: SlaTarget(_seconds(first), _seconds(resolution), business_hours)
        for priority, (first, resolution) in DEFAULT_TARGETS.items()
    }


def sla_from_settings(settings: Settings) -> dict[Priority, SlaTarget]:
    """The SLA targets of every priority from ``[sla.*]``, read by ``careline.business_hours``."""
    try:
        from careline.business_hours import SlaPolicies
    except ImportError:  # a core without business hours: its documented defaults apply
        return default_sla()
    return {
        Priority(priority): SlaTarget(
            _seconds(policy.first_response), _seconds(policy.resolution), policy.business_hours
        )
        for priority, policy in SlaPolicies.from_settings(settings).items()
    }


def working_time_from_settings(settings: Settings) -> WorkingTime:
    """The instance's ``[business_hours]`` (always open when they are disabled)."""
    try:
        from careline.business_hours import BusinessHours
    except ImportError:  # a core without business hours: calendar time
        return CalendarTime()
    hours: WorkingTime = BusinessHours.from_settings(settings)
    return hours
