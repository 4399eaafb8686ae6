"""Benchmark: signed webhook deliveries acknowledged per second (issue 4, 13.1).

careline's app (one uvicorn process, SQLite; and four processes on PostgreSQL when a server can
be started) against a bare Starlette endpoint that only reads the body, with the same load
generator (Debian's ``wrk``) and the same pre-signed, distinct deliveries. Afterwards the raw
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
from typing import Any

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
    path = folder / "deliveries.lua"
    path.write_text(
        "local deliveries = {\n" + ",\n".join(entries) + "\n}\n"
        "local threads, counter, stride, index = {}, 0, 2, 0\n"
        "setup = function(thread) thread:set('offset', counter); counter = counter + 1 end\n"
        "init = function(args) index = offset end\n"
        "request = function()\n"
        "  index = index % #deliveries + stride\n"
        "  if index > #deliveries then index = index - #deliveries end\n"
        "  local d = deliveries[index]\n"
        "  return wrk.format('POST', '/webhooks/testchannel', {['Content-Type'] = 'application/json',"
        " ['X-Careline-Signature'] = d[2]}, d[1])\n"
        "end\n",
        encoding="utf-8",
    )
    return path


def serve(
    factory: str, env: dict[str, str], workers: int = 1
) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = subprocess.Popen(
        [
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
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/", timeout=0.5)
            return process, url
        except httpx.HTTPError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(
        f"{factory} did not start: {process.stderr.read() if process.stderr else ''}"
    )


def load(wrk: str, url: str, script: Path, seconds: int) -> tuple[float, int, int]:
    """Requests/s, total requests and non-2xx responses reported by wrk."""
    result = subprocess.run(
        [wrk, "-t2", "-c32", f"-d{seconds}s", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    )
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", result.stdout).group(1))  # type: ignore[union-attr]
    total = int(re.search(r"(\d+) requests in", result.stdout).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", result.stdout)
    return rate, total, int(errors.group(1)) if errors else 0


def measure(
    wrk: str, factory: str, env: dict[str, str], script: Path, seconds: int, workers: int = 1
) -> tuple[float, int, int]:
    process, url = serve(factory, env, workers)
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
    seconds, distinct = (2, 2_000) if quick else (10, 40_000)
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
                f"{expected:,} distinct acknowledged ({failed} non-2xx)",
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
        rate, total, failed = measure(wrk, "careline_app", env, script, seconds, workers=4)
        kept = stored(url)
        return [
            {
                "benchmark": "webhook acknowledgement, careline on PostgreSQL ×4 processes",
                "value": rate,
                "unit": "deliveries/s",
                "target": "",
                "note": f"{rate / bare:.2f} of the 1-process bare rate; {kept:,} stored for "
                f"{min(total - failed, distinct):,} distinct acknowledged",
            }
        ]
    finally:
        stop_postgres(pg_dir)


if __name__ == "__main__":
    for row in run(quick="--quick" in sys.argv):
        print(row)
