"""Run every benchmark in bench/ and print one table (``make bench``).

Each ``bench_*.py`` module has ``run(quick: bool) -> list[dict]`` returning rows with
``benchmark``, ``value``, ``unit``, ``target`` and ``note``; floors are measured in the same run,
beside the figure they bound. The table is also written to ``docs/performance.md`` together with
the machine it ran on. ``--quick`` runs small sizes (what the smoke test uses); ``--only NAME``
runs the modules whose name contains NAME.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def modules(only: str | None) -> list[Path]:
    """The benchmark modules, in name order."""
    found = sorted(HERE.glob("bench_*.py"))
    return [path for path in found if not only or only in path.stem]


def load(path: Path) -> Any:
    """Import a benchmark module from its file."""
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


def machine() -> str:
    """One line describing the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return (
        f"{cpu}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}"
    )


def format_value(value: Any) -> str:
    """Figures with sensible precision."""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    return str(value)


def render(rows: list[dict[str, Any]]) -> str:
    """The Markdown table of all rows."""
    lines = ["| benchmark | value | unit | target | note |", "|---|---:|---|---|---|"]
    for row in rows:
        lines.append(
            f"| {row['benchmark']} | {format_value(row['value'])} | {row.get('unit') or ''} | "
            f"{row.get('target') or ''} | {row.get('note') or ''} |"
        )
    return "\n".join(lines)


BEGIN = "<!-- make bench writes from here -->"
END = "<!-- to here -->"


def with_measurements(document: str, measured: str) -> str:
    """``document`` with the text between :data:`BEGIN` and :data:`END` replaced by ``measured``;
    what is written around the markers (the analysis of the figures) is kept. A document without
    the markers gets them, after its first line."""
    block = f"{BEGIN}\n{measured.strip()}\n{END}"
    if BEGIN in document and END in document.split(BEGIN, 1)[1]:
        before, rest = document.split(BEGIN, 1)
        return before + block + rest.split(END, 1)[1]
    title, _, rest = document.partition("\n")
    return f"{title or '# Performance'}\n\n{block}\n{rest}"


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks, print the table, write docs/performance.md (unless --quick)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes, no docs update")
    parser.add_argument("--only", help="run only modules whose name contains this")
    args = parser.parse_args(argv)
    rows: list[dict[str, Any]] = []
    failures = 0
    for path in modules(args.only):
        started = time.perf_counter()
        print(f"running {path.stem} …", file=sys.stderr, flush=True)
        try:
            rows.extend(load(path).run(quick=args.quick))
        except Exception:
            failures += 1
            traceback.print_exc()
            rows.append(
                {
                    "benchmark": path.stem,
                    "value": "failed",
                    "unit": "",
                    "target": "",
                    "note": "see the traceback above",
                }
            )
        print(f"  {path.stem} took {time.perf_counter() - started:.1f} s", file=sys.stderr)
    table = render(rows)
    print(table)
    if not args.quick and not args.only:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        measured = (
            f"Measured by `make bench` on {stamp}: {machine()}. Each floor is measured in the "
            "same run as the figure it bounds; ratios are what to compare between machines.\n\n"
            f"{table}\n"
        )
        document = ROOT / "docs" / "performance.md"
        document.write_text(
            with_measurements(document.read_text(encoding="utf-8"), measured), encoding="utf-8"
        )
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())
