"""Hand-written inline SVG charts: bars, lines and the hour-of-week heat map (no JavaScript).

Every text that comes from data is escaped; the charts use CSS classes of the page so they print
in black and white too.
"""

from __future__ import annotations

from collections.abc import Sequence

from careline.types import ReportSeries
from markupsafe import Markup, escape

from careline_reports.render.values import display, header

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


def _numbers(series: ReportSeries) -> list[float]:
    return [float(v) for values in series.values.values() for v in values if v is not None]


def _frame(series: ReportSeries, body: Sequence[str], top: float) -> Markup:
    plot_height = HEIGHT - TOP - BOTTOM
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(series.title)}</title>",
    ]
    name = next(iter(series.values), "")
    for step in range(5):
        value = top * step / 4
        y = TOP + plot_height - plot_height * step / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>'
        )
        parts.append(
            f'<text class="tick" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">'
            f"{escape(display(name, value if value != int(value) else int(value)))}</text>"
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
    every = max(1, len(labels) // 12)
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


def _scale_top(values: list[float]) -> float:
    top = max(values, default=0.0)
    return top if top > 0 else 1.0


def bar_chart(series: ReportSeries) -> Markup:
    """Grouped vertical bars, one group per label."""
    top = _scale_top(_numbers(series))
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(series.labels))
    names = list(series.values)
    bar = slot * 0.8 / max(1, len(names))
    body = []
    for n, label in enumerate(series.labels):
        for m, name in enumerate(names):
            value = series.values[name][n]
            if value is None:
                continue
            height = plot_height * float(value) / top
            x = LEFT + slot * n + slot * 0.1 + bar * m
            y = TOP + plot_height - height
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" '
                f'height="{height:.1f}" fill="{PALETTE[m % len(PALETTE)]}">'
                f"<title>{escape(label)}: {escape(display(name, value))}</title></rect>"
            )
    body.extend(_x_labels(series.labels, slot))
    return _frame(series, body, top)


def line_chart(series: ReportSeries) -> Markup:
    """One polyline per value name; a missing value breaks the line."""
    values = _numbers(series)
    top = _scale_top([abs(v) for v in values])
    plot_width = WIDTH - LEFT - RIGHT
    plot_height = HEIGHT - TOP - BOTTOM
    slot = plot_width / max(1, len(series.labels))
    bottom = -top if any(v < 0 for v in values) else 0.0
    span = top - bottom
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
            y = TOP + plot_height - plot_height * (float(value) - bottom) / span
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
    return _frame(series, body, top)


def heatmap(series: ReportSeries) -> Markup:
    """Rows (weekdays) × columns (hours); darker cells hold more."""
    rows = list(series.values)
    top = _scale_top(_numbers(series))
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
