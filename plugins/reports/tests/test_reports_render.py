"""The four formats, rendered through the ``careline_render_report`` hook."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Callable

import pluggy
import pytest
from careline.types import ReportResult, ReportSeries, ReportTable
from careline_reports.render.values import display, format_duration, header
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

RESULT = ReportResult(
    name="overview",
    title="Care overview",
    parameters={
        "since": "2026-01-01T00:00:00+00:00",
        "until": "2026-02-01T00:00:00+00:00",
        "timezone": "Europe/Amsterdam",
        "channel": "x",
    },
    figures={
        "conversations": 1284,
        "first_response_time_median_seconds": 754,
        "first_response_sla": 0.9312,
        "csat_mean": 4.3125,
        "backlog": 17,
        "reply_time_mean_seconds": None,
    },
    tables=(
        ReportTable(
            title="Agents",
            columns=("agent", "handled", "first_response_time_mean_seconds", "resolution_sla"),
            rows=(("ann", 312, 540.5, 0.95), ("bob <b>", 280, 7322, None)),
        ),
    ),
    series=(
        ReportSeries(
            "Messages per day",
            ("2026-01-01", "2026-01-02"),
            {"inbound_messages": (40.0, 52.0)},
            "line",
        ),
        ReportSeries(
            "Median FRT by channel",
            ("x", "facebook"),
            {"first_response_time_median_seconds": (600, 900)},
            "bar",
        ),
        ReportSeries(
            "Customer messages by hour of the week",
            tuple(f"{h:02d}" for h in range(24)),
            {
                day: tuple(float(h) for h in range(24))
                for day in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
            },
            "heatmap",
        ),
        ReportSeries(
            "Sentiment", ("d1", "d2", "d3"), {"mean_sentiment": (-0.25, None, 0.5)}, "line"
        ),
    ),
)


@pytest.fixture
def render(
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
) -> Callable[[ReportResult, str], str]:
    pm = careline_plugin_manager("careline-reports")

    def run(result: ReportResult, format: str) -> str:
        rendered = pm.hook.careline_render_report(result=result, format=format)
        assert isinstance(rendered, str)
        return rendered

    return run


def csv_blocks(text: str) -> dict[str, list[list[str]]]:
    blocks: dict[str, list[list[str]]] = {}
    current: list[list[str]] = []
    for row in csv.reader(io.StringIO(text)):
        if len(row) == 1 and row[0].startswith("# "):
            current = blocks.setdefault(row[0][2:], [])
        elif row:
            current.append(row)
    return blocks


def test_text_shows_the_headline_numbers_formatted(
    render: Callable[[ReportResult, str], str],
) -> None:
    text = render(RESULT, "text")
    assert "Care overview" in text
    assert re.search(r"Conversations\s+1,284", text)
    assert re.search(r"FRT median\s+12m 34s", text)
    assert re.search(r"FRT SLA\s+93\.1%", text)
    assert "2h 02m" in text and "bob <b>" in text
    assert "\x1b[" not in text  # no colour codes in files and pipes


def test_csv_parses_back_to_the_raw_values(render: Callable[[ReportResult, str], str]) -> None:
    blocks = csv_blocks(render(RESULT, "csv"))
    assert dict(blocks["Care overview"][1:])["first_response_time_median_seconds"] == "754"
    assert dict(blocks["Care overview"][1:])["reply_time_mean_seconds"] == ""
    assert blocks["Agents"][0] == [
        "agent",
        "handled",
        "first_response_time_mean_seconds",
        "resolution_sla",
    ]
    assert blocks["Agents"][2] == ["bob <b>", "280", "7322", ""]
    assert blocks["Customer messages by hour of the week"][1][:3] == ["Mon", "0.0", "1.0"]
    assert blocks["Messages per day"][1:] == [["2026-01-01", "40.0"], ["2026-01-02", "52.0"]]


def test_json_loads_with_every_part(render: Callable[[ReportResult, str], str]) -> None:
    data = json.loads(render(RESULT, "json"))
    assert data["figures"]["first_response_sla"] == 0.9312
    assert data["tables"][0]["rows"][1] == ["bob <b>", 280, 7322, None]
    assert data["series"][2]["kind"] == "heatmap"
    assert data["parameters"]["timezone"] == "Europe/Amsterdam"


def test_html_is_a_printable_page_with_inline_svg_charts(
    render: Callable[[ReportResult, str], str],
) -> None:
    page = render(RESULT, "html")
    assert page.startswith("<!doctype html>")
    assert page.count("<svg") == 4
    assert "<script" not in page
    assert "@media print" in page
    assert "bob &lt;b&gt;" in page and "bob <b>" not in page
    assert "93.1%" in page and "12m 34s" in page
    assert 'class="cell"' in page and "<polyline" in page and 'class="bar"' in page


def test_an_unknown_format_is_left_to_other_plugins(
    careline_plugin_manager: Callable[..., pluggy.PluginManager],
) -> None:
    pm = careline_plugin_manager("careline-reports")
    assert pm.hook.careline_render_report(result=RESULT, format="pdf") is None
    assert pm.hook.careline_render_report(result={"not": "a result"}, format="json") is None


def test_value_display_rules() -> None:
    assert [format_duration(s) for s in (42, 725, 11_220, 190_800)] == [
        "42s",
        "12m 05s",
        "3h 07m",
        "2d 05h",
    ]
    assert header("first_response_time_business_median_seconds") == "FRT BH median"
    assert header("csat_mean") == "CSAT mean"
    assert display("response_rate", 0.5) == "50.0%"
    assert display("conversations", 12345) == "12,345"
    assert display("anything", None) == "—"


names = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
)
cell_texts = names.filter(lambda text: not text.startswith("#"))


@settings(max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    title=names,
    labels=st.lists(names, min_size=1, max_size=4, unique=True),
    cells=st.lists(
        st.one_of(st.none(), st.integers(-(10**6), 10**6), cell_texts), min_size=1, max_size=4
    ),
)
def test_any_table_round_trips_through_csv_and_json_and_is_escaped_in_html(
    render: Callable[[ReportResult, str], str], title: str, labels: list[str], cells: list[object]
) -> None:
    """The renderer holds no state, so sharing the fixture between examples is safe."""
    result = ReportResult(
        name="custom",
        title=f"Report {title}",
        parameters={},
        figures={"total": 3},
        tables=(
            ReportTable(
                f"Table {title}", tuple(f"column {n}" for n in range(len(cells))), (tuple(cells),)
            ),
        ),
        series=(
            ReportSeries(
                f"Series {title}",
                tuple(labels),
                {"value": tuple(float(n) for n in range(len(labels)))},
                "bar",
            ),
        ),
    )
    assert json.loads(render(result, "json"))["tables"][0]["rows"] == [cells]
    blocks = csv_blocks(render(result, "csv"))
    assert blocks[f"Table {title}"][1] == ["" if c is None else str(c) for c in cells]
    assert [row[0] for row in blocks[f"Series {title}"][1:]] == labels
    page = render(result, "html")
    assert page.count("<svg") == 1
    for text in (title, *labels, *(c for c in cells if isinstance(c, str))):
        assert str(escape(text)) in page
        if "<" in text:
            assert text not in page
