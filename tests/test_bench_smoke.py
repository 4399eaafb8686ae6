"""The benchmark suite runs end to end at small sizes, so it cannot rot (figures are not asserted)."""

from __future__ import annotations

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
