"""Benchmark: ``careline import`` of a JSON-lines history through the real CLI (issue 3).

A file of N messages (real care texts from ``bench/corpus.py`` when present, fixed seed; the
format of ``docs/import-export.md``) is imported by ``careline --home TMP import FILE`` in a
subprocess, after ``careline --home TMP init``, with the plugins a default installation loads.
Measured: messages per second of the whole command, and the command's peak resident memory,
which must stay flat as N grows (the import streams the file in batches).
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from corpus import customer_texts  # type: ignore[import-not-found]

ROOT = Path(__file__).resolve().parents[1]
CARELINE = Path(sys.executable).parent / "careline"
START = datetime(2025, 1, 6, 8, 0, tzinfo=UTC)
MEMORY_TARGET_MB = 300
REPLIES = (
    "Sorry to hear that! Could you DM us your order number?",
    "Thanks for reaching out, we're looking into it.",
    "We're sorry for the trouble. Please follow the DM link so we can help.",
)


def write_history(path: Path, count: int, *, seed: int = 7) -> None:
    """``count`` messages as JSON lines: customers in public threads and DMs, brand replies.

    Customers come back to their thread now and then (about one line in four answers an
    earlier customer), and about one line in six is the brand's reply to the previous line.
    """
    rng = random.Random(seed)
    texts, _ = customer_texts()
    at = START
    with path.open("w", encoding="utf-8") as handle:
        previous: dict[str, Any] | None = None
        for n in range(count):
            at += timedelta(seconds=rng.randint(1, 40))
            if previous is not None and rng.random() < 1 / 6:
                record = {
                    **previous,
                    "external_id": f"r{n}",
                    "author": {"id": "acme", "handle": "AcmeSupport", "verified": True},
                    "text": rng.choice(REPLIES),
                    "direction": "out",
                    "in_reply_to": previous["external_id"],
                }
            else:
                customer = rng.randrange(n // 4 + 1) if rng.random() < 0.25 else n
                private = rng.random() < 0.2
                record = {
                    "channel": "twitter",
                    "account": "acme",
                    "external_id": f"m{n}",
                    "thread": None if private else f"t{customer}",
                    "participant": f"u{customer}" if private else None,
                    "author": {
                        "id": f"u{customer}",
                        "handle": f"user{customer}",
                        "name": f"User {customer}",
                        "followers": rng.randint(0, 5000),
                        "verified": False,
                    },
                    "text": texts[rng.randrange(len(texts))],
                    "direction": "in",
                    "visibility": "private" if private else "public",
                    "source": "owned",
                    "in_reply_to": None,
                    "lang": "en",
                }
            record["created_at"] = at.isoformat().replace("+00:00", "Z")
            handle.write(json.dumps(record) + "\n")
            previous = record if record["direction"] == "in" else None


def run_cli(
    home: Path, *args: str, log: Path, plugins: str | None = None
) -> tuple[float, float, int]:
    """Run ``careline --home HOME ARGS``; (seconds, peak RSS in MB, exit code).

    ``plugins`` is ``CARELINE_LOAD_PLUGINS`` (``None``: what the installation loads).
    """
    environ = {**os.environ, "PYTHONUNBUFFERED": "1"}
    environ.pop("CARELINE_DATABASE_URL", None)
    environ.pop("CARELINE_LOAD_PLUGINS", None)
    if plugins is not None:
        environ["CARELINE_LOAD_PLUGINS"] = plugins
    with log.open("w") as output:
        started = time.perf_counter()
        process = subprocess.Popen(
            [str(CARELINE), "--home", str(home), *args],
            stdout=output,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=ROOT,
        )
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return elapsed, usage.ru_maxrss / 1024, process.returncode


def import_once(
    count: int, plugins: str | None = None, *, enrich_processes: int = 0
) -> tuple[float, float, str]:
    """Import ``count`` messages into a new instance: (messages/s, peak MB, CLI summary)."""
    with tempfile.TemporaryDirectory(prefix="careline-bench-import-") as folder:
        home, source, log = (
            Path(folder) / "instance",
            Path(folder) / "history.jsonl",
            Path(folder) / "log",
        )
        write_history(source, count)
        _, _, code = run_cli(home, "init", log=log)
        assert code == 0, log.read_text()
        config = home / "careline.toml"
        template = config.read_text()
        assert "enrich_processes = 0" in template, "careline init no longer writes the key"
        config.write_text(
            template.replace("enrich_processes = 0", f"enrich_processes = {enrich_processes}")
        )
        seconds, peak, code = run_cli(home, "import", str(source), log=log, plugins=plugins)
        summary = log.read_text().strip().splitlines()
        assert code == 0, "\n".join(summary[-20:])
        return count / seconds, peak, summary[-1] if summary else ""


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Messages/s and peak memory of ``careline import`` at two sizes, with the installed
    plugins and with none (the core's own cost)."""
    sizes = (2_000, 10_000) if quick else (100_000, 1_000_000)
    _, source = customer_texts()
    rows: list[dict[str, Any]] = []
    for label, plugins in (("installed plugins", None), ("core only", "")):
        peaks = []
        for count in sizes:
            rate, peak, summary = import_once(count, plugins)
            peaks.append(peak)
            rows.append(
                {
                    "benchmark": f"careline import, {label}, {count:,} messages",
                    "value": rate,
                    "unit": "messages/s",
                    "target": "",
                    "note": f"SQLite, {source}, whole command: {summary}",
                }
            )
            rows.append(
                {
                    "benchmark": f"careline import, {label}, {count:,} messages: peak memory",
                    "value": peak,
                    "unit": "MB (max RSS)",
                    "target": f"< {MEMORY_TARGET_MB} MB, flat in N",
                    "note": f"{peak / peaks[0]:.2f}× the peak at {sizes[0]:,} messages",
                }
            )
    rate, peak, summary = import_once(sizes[0], enrich_processes=1)
    rows.append(
        {
            "benchmark": f"careline import, installed plugins, 1 enrichment process, "
            f"{sizes[0]:,} messages",
            "value": rate,
            "unit": "messages/s",
            "target": "",
            "note": f"[pipeline] enrich_processes = 1; {os.cpu_count()} cores; peak RSS of the "
            f"largest process {peak:.0f} MB; whole command: {summary}",
        }
    )
    return rows


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
