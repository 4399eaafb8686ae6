"""The hook implementation careline loads from careline-notes-report (entry point ``notes_report``)."""

from __future__ import annotations

from careline import hookimpl
from careline.reporting import Report

from careline_notes_report.report import NotesReport


@hookimpl
def careline_register_reports() -> list[Report]:
    """Provide the ``notes`` report (rendered by whichever plugin renders reports)."""
    return [NotesReport()]
