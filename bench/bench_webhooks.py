"""Benchmark: signed webhook deliveries acknowledged per second (issue 4, 13.1).

careline's app (one uvicorn process, SQLite; and four processes on PostgreSQL when a server can
be started) against a bare Starlette endpoint that only reads the body, run with as many
processes, with the same load generator (Debian's ``wrk``) and the same pre-signed, distinct
deliveries. Afterwards the raw
events are counted: every acknowledged distinct delivery must be stored.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from itertools import cycle, islice
from pathlib import Path
from typing import IO, Any

import httpx
import sqlalchemy as sa
from careline.instance import init_instance
from careline.testing.channel import sign
from careline.testing.servers import free_port
from corpus import customer_texts  # type: ignore[import-not-found]
from postgres import start as start_postgres  # type: ignore[import-not-found]
from postgres import stop as stop_postgres  # type: ignore[import-not-found]

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
PYTHON = sys.executable
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LUA_CHUNK = 10_000


def ensure_wrk() -> str | None:
    """The wrk binary (installed from Debian when missing and root)."""
    found = shutil.which("wrk")
    if found is None and os.geteuid() == 0:
        subprocess.run(
            ["apt-get", "install", "-y", "-qq", "wrk"],
            check=False,
            capture_output=True,
            env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
        )
        found = shutil.which("wrk")
    return found


def lua_script(folder: Path, count: int) -> Path:
    """A wrk script cycling through ``count`` distinct signed deliveries."""
    texts, _ = customer_texts()
    entries = []
    for n, text in enumerate(islice(cycle(texts), count)):
        body = json.dumps(
            {
                "messages": [
                    {
                        "id": f"w{n}",
                        "account": "brand",
                        "thread": f"t{n % 997}",
                        "text": text,
                        "author": {"id": f"u{n % 5003}"},
                        "visibility": "public",
                        "created_at": (START + timedelta(seconds=n)).isoformat(),
                    }
                ]
            }
        )
        signature = sign(body.encode())["x-careline-signature"]
        entries.append(f'{{[==[{body}]==], "{signature}"}}')
    # LuaJIT allows 65,536 constants per function: each chunk of deliveries is built by its own.
    chunks = [
        "add(function() return {\n" + ",\n".join(entries[start : start + LUA_CHUNK]) + "\n} end)\n"
        for start in range(0, len(entries), LUA_CHUNK)
    ]
    loader = (
        "local deliveries = {}\n"
        "local function add(chunk)\n"
        "  for _, d in ipairs(chunk()) do deliveries[#deliveries + 1] = d end\n"
        "end\n"
    )
    requester = (
        "local threads, counter, stride, index = {}, 0, 2, 0\n"
        "setup = function(thread) thread:set('offset', counter); counter = counter + 1 end\n"
        "init = function(args) index = offset end\n"
        "request = function()\n"
        "  index = index % #deliveries + stride\n"
        "  if index > #deliveries then index = index - #deliveries end\n"
        "  local d = deliveries[index]\n"
        "  return wrk.format('POST', '/webhooks/testchannel', {['Content-Type'] = 'application/json',"
        " ['X-Careline-Signature'] = d[2]}, d[1])\n"
        "end\n"
    )
    path = folder / "deliveries.lua"
    path.write_text(loader + "".join(chunks) + requester, encoding="utf-8")
    return path


def serve(
    factory: str, env: dict[str, str], log: IO[bytes], workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``factory`` from ``workers`` processes logging to ``log``; return once all started."""
    port = free_port()
    if workers == 1:
        command = [
            PYTHON,
            "-m",
            "uvicorn",
            f"webhook_apps:{factory}",
            "--factory",
            "--app-dir",
            str(HERE),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--log-level",
            "info",
            "--no-access-log",
        ]
    else:  # uvicorn --workers leaves Nagle on (see careline.web.factory.NoDelayConfig)
        command = [PYTHON, str(HERE / "webhook_apps.py"), factory, str(port), str(workers)]
    # The log is a file, not a pipe nobody reads (a full pipe would block the server), and tells
    # when every process has started: wrk opens its connections once, so a process that starts
    # late would get none of them.
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=log
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        log.seek(0)
        if log.read().count(b"Application startup complete") >= workers:
            try:
                httpx.get(url + "/", timeout=0.5)
                return process, url
            except httpx.HTTPError:
                pass
        time.sleep(0.05)
    process.kill()
    log.seek(0)
    raise RuntimeError(f"{factory} did not start: {log.read().decode(errors='replace')}")


def load(wrk: str, url: str, script: Path, seconds: int) -> tuple[float, int, int]:
    """Requests/s, total requests and non-2xx responses reported by wrk."""
    result = subprocess.run(
        [wrk, "-t2", "-c32", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    if result.stderr.strip():  # a script error: wrk then sends plain GETs and still "succeeds"
        raise RuntimeError(f"wrk: {result.stderr.strip()}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", result.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    return rate, total, int(errors.group(1)) if errors else 0


def measure(
    wrk: str, factory: str, env: dict[str, str], script: Path, seconds: int, workers: int = 1
) -> tuple[float, int, int]:
    with tempfile.TemporaryFile() as log:
        process, url = serve(factory, env, log, workers)
        try:
            return load(wrk, url, script, seconds)
        finally:
            process.terminate()
            process.wait(timeout=30)


def stored(url: str) -> int:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(sa.text("SELECT count(*) FROM rawevent")).scalar_one()
    engine.dispose()
    return int(count)


def lost(kept: int, expected: int) -> str:
    """A loud note when fewer raw events were stored than distinct deliveries acknowledged.

    More may be stored: requests still in flight when wrk stops are stored but not counted.
    """
    return f"; LOST {expected - kept:,}" if kept < expected else ""


def run(quick: bool = False) -> list[dict[str, Any]]:
    """Deliveries/s: careline (SQLite, one process), bare Starlette, careline (PostgreSQL, 4)."""
    wrk = ensure_wrk()
    if wrk is None:
        return [
            {
                "benchmark": "webhook acknowledgement",
                "value": "skipped",
                "unit": "",
                "target": "",
                "note": "wrk is not installed",
            }
        ]
    seconds, distinct = (2, 2_000) if quick else (10, 80_000)
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as folder:
        home = Path(folder) / "instance"
        init_instance(home)
        script = lua_script(Path(folder), distinct)
        database = f"sqlite:///{home / 'careline.db'}"
        env = {"CARELINE_HOME": str(home), "CARELINE_DATABASE_URL": database}
        bare, _, _ = measure(wrk, "bare_app", env, script, seconds)
        rate, total, failed = measure(wrk, "careline_app", env, script, seconds)
        kept = stored(database)
        expected = min(total - failed, distinct)
        rows.append(
            {
                "benchmark": "webhook floor: bare Starlette reading the body",
                "value": bare,
                "unit": "deliveries/s",
                "target": "",
                "note": "1 process, wrk -t2 -c32",
            }
        )
        rows.append(
            {
                "benchmark": "webhook acknowledgement, careline on SQLite",
                "value": rate,
                "unit": "deliveries/s",
                "target": "≥ 0.5 of the bare rate",
                "note": f"{rate / bare:.2f} of bare; {kept:,} raw events stored for "
                f"{expected:,} distinct acknowledged ({failed} non-2xx){lost(kept, expected)}",
            }
        )
        rows.extend(_postgres_rows(wrk, home, script, seconds, distinct, bare))
    return rows


def _postgres_rows(
    wrk: str, home: Path, script: Path, seconds: int, distinct: int, bare: float
) -> list[dict[str, Any]]:
    pg_dir = home.parent / "pg"
    url = start_postgres(pg_dir)
    if url is None:
        return [
            {
                "benchmark": "webhook acknowledgement, careline on PostgreSQL ×4",
                "value": "skipped",
                "unit": "",
                "target": "",
                "note": "PostgreSQL could not be started",
            }
        ]
    try:
        from careline.db import Database
        from careline.migrations import upgrade

        database = Database.from_url(url)
        upgrade(database.engine)
        database.dispose()
        env = {"CARELINE_HOME": str(home), "CARELINE_DATABASE_URL": url}
        bare_processes, _, _ = measure(wrk, "bare_app", env, script, seconds, workers=4)
        rate, total, failed = measure(wrk, "careline_app", env, script, seconds, workers=4)
        kept = stored(url)
        expected = min(total - failed, distinct)
        return [
            {
                "benchmark": "webhook floor: bare Starlette, 4 processes",
                "value": bare_processes,
                "unit": "deliveries/s",
                "target": "",
                "note": "wrk -t2 -c32; TCP_NODELAY on the shared socket (uvicorn #3149)",
            },
            {
                "benchmark": "webhook acknowledgement, careline on PostgreSQL ×4 processes",
                "value": rate,
                "unit": "deliveries/s",
                "target": "",
                "note": f"{rate / bare_processes:.2f} of the 4-process bare rate, "
                f"{rate / bare:.2f} of the 1-process one; {kept:,} stored for "
                f"{expected:,} distinct acknowledged ({failed} non-2xx){lost(kept, expected)}",
            },
        ]
    finally:
        stop_postgres(pg_dir)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
