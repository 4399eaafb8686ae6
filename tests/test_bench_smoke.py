"""The benchmark suite runs end to end at small sizes, so it cannot rot (figures are not asserted)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.mark.slow
def test_every_benchmark_runs_at_small_sizes() -> None:
    result = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), "--quick"],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    modules = sorted(path.stem for path in BENCH.glob("bench_*.py"))
    assert modules
    table = result.stdout
    assert "| benchmark | value |" in table
    assert "failed" not in table, table
    for module in modules:
        assert f"running {module}" in result.stderr


def load_runner():
    spec = importlib.util.spec_from_file_location("bench_runner", BENCH / "run.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_new_figures_replace_the_old_and_keep_the_analysis_around_them() -> None:
    runner = load_runner()
    document = (
        f"# Performance\n\nWhy the figures look as they do.\n\n{runner.BEGIN}\nold table\n"
        f"{runner.END}\n\n## What misses its target\n\nThe pipeline with plugins.\n"
    )
    updated = runner.with_measurements(document, "| new | table |\n")
    assert "old table" not in updated
    assert "| new | table |" in updated
    assert updated.startswith("# Performance\n\nWhy the figures look as they do.\n")
    assert updated.endswith("## What misses its target\n\nThe pipeline with plugins.\n")
    assert runner.with_measurements(updated, "| new | table |\n") == updated


def test_a_document_without_markers_gets_them_under_its_title() -> None:
    runner = load_runner()
    updated = runner.with_measurements("# Performance\n\nNotes.\n", "| t |")
    assert updated.splitlines()[:3] == ["# Performance", "", runner.BEGIN]
    assert updated.endswith("Notes.\n")
