"""Showing findings in a terminal: the message, then the draft's line with the span underlined."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from careline.types import Finding, Severity

SEVERITY_ORDER = (Severity.BLOCK, Severity.APPROVAL, Severity.WARN)
INDENT = "    "


def _width(text: str) -> int:
    """Terminal columns of ``text`` (wide East Asian characters and emoji take two)."""
    return sum(
        0
        if unicodedata.combining(char)
        else 2
        if unicodedata.east_asian_width(char) in ("W", "F")
        else 1
        for char in text
    )


def underline(text: str, span: tuple[int, int]) -> list[str]:
    """The line of ``text`` where ``span`` starts, and a line of ``^`` under the span."""
    start, end = max(0, min(span[0], len(text))), max(0, min(span[1], len(text)))
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    if line_end == -1:
        line_end = len(text)
    line = text[line_start:line_end].replace("\t", " ")
    marked = text[start : min(end, line_end)].replace("\t", " ")
    padding = _width(text[line_start:start].replace("\t", " "))
    return [line, " " * padding + "^" * max(1, _width(marked))]


def verdict(findings: Sequence[Finding]) -> str:
    """``blocked``, ``needs_approval`` or ``ok``: what the core will do with the reply."""
    severities = {finding.severity for finding in findings}
    if Severity.BLOCK in severities:
        return "blocked"
    if Severity.APPROVAL in severities:
        return "needs_approval"
    return "ok"


VERDICT_TEXT = {
    "blocked": "this reply would be blocked",
    "needs_approval": "this reply would wait for a supervisor's approval",
    "ok": "this reply can be sent",
}


def format_findings(text: str, findings: Sequence[Finding]) -> list[str]:
    """The lines ``careline guidelines check`` prints, most severe findings first."""
    ordered = sorted(findings, key=lambda f: SEVERITY_ORDER.index(Severity(f.severity)))
    lines: list[str] = []
    for finding in ordered:
        lines.append(f"{Severity(finding.severity).value:<8} {finding.rule}: {finding.message}")
        if finding.span is not None and text:
            lines.extend(INDENT + part for part in underline(text, finding.span))
    counts = ", ".join(
        f"{sum(1 for f in findings if f.severity == severity)} {severity.value}"
        for severity in SEVERITY_ORDER
        if any(f.severity == severity for f in findings)
    )
    summary = f"{len(findings)} finding{'s' if len(findings) != 1 else ''}"
    if counts:
        summary += f" ({counts})"
    lines.append(f"{summary}: {VERDICT_TEXT[verdict(findings)]}.")
    return lines
