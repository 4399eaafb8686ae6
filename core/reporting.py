"""The report contract: what a report plugin registers and how it is asked to compute.

Reports compute from the event log in SQL (never by loading every row into Python) and return a
:class:`careline.types.ReportResult`; renderers turn results into text, CSV, JSON or HTML.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from careline.types import ReportParameter, ReportResult
from sqlalchemy.orm import Session


@dataclass(frozen=True, slots=True)
class ReportParams:
    """The parameters every report understands; a report may ignore some of them."""

    since: datetime
    until: datetime
    timezone: str = "UTC"
    channel: str | None = None
    queue: str | None = None
    agent_id: int | None = None
    source: str | None = None
    business_hours: bool = False


class Report(abc.ABC):
    """A named report: its parameters, and how to compute it from the database."""

    name: ClassVar[str]
    title: ClassVar[str]
    description: ClassVar[str] = ""
    parameters: ClassVar[tuple[ReportParameter, ...]] = ()

    @abc.abstractmethod
    def compute(self, session: Session, params: ReportParams) -> ReportResult:
        """Compute the report for ``params`` with SQL aggregates over ``session``."""
