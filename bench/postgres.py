"""A throw-away PostgreSQL server for the benchmarks (``.ci/postgres.sh``), shared by modules.

``start(folder)`` starts a fresh cluster kept in ``folder`` and returns its SQLAlchemy URL, or
``None`` with the reason in :data:`last_error` when PostgreSQL cannot be started (the caller's
rows then say so); ``stop(folder)`` stops it and deletes the cluster. ``server(folder)`` does
both around a ``with`` block. ``fresh_database(url, name)`` creates an empty database on the
server (or a copy of ``template``) and returns its URL.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / ".ci" / "postgres.sh"

last_error = ""
"""Why the last :func:`start` returned ``None`` (the script's last line of stderr)."""


def start(folder: Path) -> str | None:
    """Start a server for ``folder`` and return its URL, or ``None`` when that fails."""
    global last_error
    started = subprocess.run(
        ["bash", str(SCRIPT), "start", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    if started.returncode != 0 or not started.stdout.strip():
        lines = started.stderr.strip().splitlines()
        last_error = lines[-1] if lines else f"postgres.sh exited with {started.returncode}"
        return None
    return started.stdout.strip()


def stop(folder: Path) -> None:
    """Stop the server of ``folder`` and delete its cluster (nothing when none runs)."""
    subprocess.run(["bash", str(SCRIPT), "stop", str(folder)], capture_output=True, check=False)


@contextmanager
def server(folder: Path) -> Iterator[str | None]:
    """A server's URL for the ``with`` block (``None`` when it cannot be started)."""
    url = start(folder)
    try:
        yield url
    finally:
        if url is not None:
            stop(folder)


def fresh_database(url: str, name: str, *, template: str | None = None) -> str:
    """Create database ``name`` on the server of ``url`` (empty, or a copy of ``template``,
    which must have no open connection) and return its URL."""
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return sa.engine.make_url(url).set(database=name).render_as_string(hide_password=False)
