"""Hand-written inline SVG charts: bars, lines and the hour-of-week heat map (no JavaScript).

Every text that comes from data is escaped; the charts use CSS classes of the page so they print
in black and white too.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from careline.types import ReportSeries
from markupsafe import Markup, escape

from careline_reports.render.values import display, header, is_duration

WIDTH = 760
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 56
PALETTE = ("#1f6feb", "#d97706", "#059669", "#b91c1c", "#7c3aed", "#0e7490")


def chart(series: ReportSeries) -> Markup:
    """The chart for ``series`` by its kind (``bar``, ``line`` or ``heatmap``)."""
    if series.kind == "heatmap":
        return heatmap(series)
    if series.kind == "bar":
        return bar_chart(series)
    return line_chart(series)


# Tick steps for durations: readable as times (1m, 5m, 15m, 30m, 1h, 2h, 6h, 12h, 1d, …).
TIME_STEPS = (1, 5, 10, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400)
TICKS = 4


def nice_step(span: float, duration: bool) -> float:
    """A round tick step so that :data:`TICKS` steps cover ``span``."""
    raw = span / TICKS if span > 0 else 1.0
    if duration:
        for step in TIME_STEPS:
            if raw <= step:
                return float(step)
        return float(math.ceil(raw / 86400) * 86400)
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _numbers(series: ReportSeries) -> list[float]:
    return [float(v) for values in series.values.values() for v in values if v is not None]


def _scale(series: ReportSeries) -> tuple[float, float, float]:
    """Bottom, top and tick step of the y axis (symmetric around 0 for negative values)."""
    values = _numbers(series)
    name = next(iter(series.values), "")
    largest = max((abs(v) for v in values), default=0.0)
    step = nice_step(largest, is_duration(name))
    top = step * max(1, math.ceil(largest / step))
    if any(v < 0 for v in values):
        step = nice_step(2 * largest, is_duration(name))
        top = step * max(1, math.ceil(largest / step))
        return -top, top, step
    return 0.0, top, step


def _y(value: float, bottom: float, top: float) -> float:
    plot_height = HEIGHT - TOP - BOTTOM
    return TOP + plot_height - plot_height * (value - bottom) / (top - bottom)


def _frame(series: ReportSeries, body: Sequence[str], scale: tuple[float, float, float]) -> Markup:
    bottom, top, step = scale
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(series.title)}</title>",
    ]
    name = next(iter(series.values), "")
    ticks = round((top - bottom) / step)
    for n in range(ticks + 1):
        value = bottom + n * step
        y = _y(value, bottom, top)
        shown = int(value) if float(value).is_integer() else round(value, 4)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(display(name, shown))}</text>"
        )
    parts.extend(body)
    parts.append(_legend(series))
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text from data is escaped above


def _legend(series: ReportSeries) -> str:
    items = []
    for n, name in enumerate(series.values):
        x = LEFT + n * 150
        colour = PALETTE[n % len(PALETTE)]
        items.append(
            f'<rect x="{x}" y="{HEIGHT - 16}" width="10" height="10" fill="{colour}"/>'
            f'<text class="legend" x="{x + 14}" y="{HEIGHT - 7}">{escape(header(name))}</text>'
        )
    return "".join(items)


def _x_labels(labels: Sequence[str], slot: float) -> list[str]:
    widest = max((len(label) for label in labels), default=1) * 6.5 + 12
    every = max(1, math.ceil(widest / slot))
    parts = []
    for n, label in enumerate(labels):
        if n % every:
            continue
        x = LEFT + slot * (n + 0.5)
        parts.append(
            f'<text class="tick" x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    return parts


def bar_chart(series: ReportSeries) -> Markup:
    """Grouped vertical bars, one group per label."""
    scale = _scale(series)
    bottom, top, _ = scale
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series.labels))
    names = list(series.values)
    bar = slot * 0.8 / max(1, len(names))
    body = []
    for n, label in enumerate(series.labels):
        for m, name in enumerate(names):
            value = series.values[name][n]
            if value is None:
                continue
            zero, tip = _y(0.0, bottom, top), _y(float(value), bottom, top)
            height = abs(zero - tip)
            x = LEFT + slot * n + slot * 0.1 + bar * m
            y = min(zero, tip)
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{PALETTE[m % len(PALETTE)]}">'
                f"<title>{escape(label)}: {escape(display(name, value))}</title></rect>"
            )
    body.extend(_x_labels(series.labels, slot))
    return _frame(series, body, scale)


def line_chart(series: ReportSeries) -> Markup:
    """One polyline per value name; a missing value breaks the line."""
    scale = _scale(series)
    bottom, top, _ = scale
    slot = (WIDTH - LEFT - RIGHT) / max(1, len(series.labels))
    body = []
    for m, name in enumerate(series.values):
        segment: list[str] = []
        segments: list[list[str]] = []
        for n, value in enumerate(series.values[name]):
            if value is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            x = LEFT + slot * (n + 0.5)
            y = _y(float(value), bottom, top)
            segment.append(f"{x:.1f},{y:.1f}")
        if segment:
            segments.append(segment)
        colour = PALETTE[m % len(PALETTE)]
        for points in segments:
            body.append(
                f'<polyline class="line" fill="none" stroke="{colour}" stroke-width="2" '
                f'points="{" ".join(points)}"/>'
            )
    body.extend(_x_labels(series.labels, slot))
    return _frame(series, body, scale)


def heatmap(series: ReportSeries) -> Markup:
    """Rows (weekdays) × columns (hours); darker cells hold more."""
    rows = list(series.values)
    top = max(_numbers(series), default=0.0) or 1.0
    cell_w = (WIDTH - LEFT - RIGHT) / max(1, len(series.labels))
    cell_h = 24
    height = TOP + cell_h * len(rows) + 28
    parts = [
        f'<svg class="chart heatmap" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(series.title)}</title>",
    ]
    for r, name in enumerate(rows):
        y = TOP + r * cell_h
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + cell_h / 2 + 4:.1f}" '
            f'text-anchor="end">{escape(name)}</text>'
        )
        for c, value in enumerate(series.values[name]):
            share = 0.0 if value is None else float(value) / top
            x = LEFT + c * cell_w
            parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y}" width="{cell_w - 1:.1f}" '
                f'height="{cell_h - 1}" fill="#1f6feb" fill-opacity="{0.06 + 0.94 * share:.3f}">'
                f"<title>{escape(name)} {escape(series.labels[c])}:00 — "
                f"{escape(display('', value))}</title></rect>"
            )
    for c, label in enumerate(series.labels):
        if c % 2 == 0:
            x = LEFT + c * cell_w + cell_w / 2
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{TOP + cell_h * len(rows) + 16}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text from data is escaped above
