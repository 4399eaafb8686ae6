"""The demo's instance folder: created once, recognised by a marker file, never clobbering a
folder that is not a demo, and its ``careline.toml`` written on every start.

The configuration is written afresh on each start because the emulators listen on new free
ports each time; the policies come from ``policies.toml`` in this package, the channel tables
point at the emulators, and secrets are ``$env:`` references only.
"""

from __future__ import annotations

import json
import shutil
import socket
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from careline.config import CONFIG_FILE
from careline.db import Database
from careline.instance import init_instance
from careline.migrations import upgrade

MARKER = ".careline-demo"
DEFAULT_FOLDER = "careline-demo"


class NotADemoFolderError(Exception):
    """The folder exists, holds something else, and must not be touched."""


class PortInUseError(Exception):
    """Another program listens on the port the inbox should use."""


def ensure_port_free(port: int, host: str = "127.0.0.1") -> None:
    """Raise :class:`PortInUseError` when ``host:port`` cannot be bound right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            raise PortInUseError(
                f"port {port} is in use on {host}; choose another with --port"
            ) from None


def prepare_folder(folder: Path, *, reset: bool) -> bool:
    """Make ``folder`` a demo instance; ``True`` when it is new (history must be generated).

    An existing demo folder is reused (or emptied first with ``reset``); any other non-empty
    folder is refused.
    """
    if folder.exists() and any(folder.iterdir()) and not (folder / MARKER).exists():
        raise NotADemoFolderError(
            f"{folder} exists and is not a careline demo folder; choose another with --folder"
        )
    if reset and folder.exists():
        shutil.rmtree(folder)
    if (folder / MARKER).exists() and (folder / CONFIG_FILE).exists():
        return not read_marker(folder).get("history_days")
    folder.mkdir(parents=True, exist_ok=True)
    write_marker(folder, {})
    init_instance(folder, name="Acme care (demo)", apply_migrations=False)
    create_schema(folder)
    return True


def database_url(folder: Path) -> str:
    """The demo's SQLite file (never ``CARELINE_DATABASE_URL``: the demo keeps to its folder)."""
    return f"sqlite:///{(folder / 'careline.db').resolve()}"


def create_schema(folder: Path) -> None:
    """Apply the core's migrations to the demo's SQLite file."""
    database = Database.from_url(database_url(folder))
    try:
        upgrade(database.engine)
    finally:
        database.dispose()


def read_marker(folder: Path) -> dict[str, Any]:
    """What the demo remembers about the folder (e.g. how many days of history it holds)."""
    try:
        data = json.loads((folder / MARKER).read_text(encoding="utf-8") or "{}")
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_marker(folder: Path, data: Mapping[str, Any]) -> None:
    """Record ``data`` in the marker file."""
    (folder / MARKER).write_text(json.dumps(dict(data), indent=2) + "\n", encoding="utf-8")


def policies_text() -> str:
    """The demo's care policies (routing, guidelines, escalation, insights, reports, SLA)."""
    return resources.files("careline_demo").joinpath("policies.toml").read_text(encoding="utf-8")


def write_config(folder: Path, tables: Mapping[str, Any]) -> Path:
    """Write ``careline.toml``: the generated ``tables`` first, then the policies."""
    header = (
        "# careline demo instance: written by `careline demo` on every start (the emulators\n"
        "# listen on new ports each time). Secrets are $env: references the demo process sets.\n\n"
    )
    path = folder / CONFIG_FILE
    path.write_text(header + to_toml(tables) + "\n" + policies_text(), encoding="utf-8")
    return path


# --- a small TOML writer for the generated tables ------------------------------------------------
def to_toml(tables: Mapping[str, Any]) -> str:
    """TOML text for nested tables of strings, numbers, booleans, lists and arrays of tables."""
    lines: list[str] = []
    for name, table in tables.items():
        _table(lines, name, table)
    return "\n".join(lines) + "\n"


def _table(lines: list[str], path: str, table: Mapping[str, Any]) -> None:
    lines.append(f"[{path}]")
    nested: list[tuple[str, Any]] = []
    for key, value in table.items():
        if value is None:
            continue
        if isinstance(value, Mapping) or _is_table_array(value):
            nested.append((key, value))
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    lines.append("")
    for key, value in nested:
        if isinstance(value, Mapping):
            _table(lines, f"{path}.{_key(key)}", value)
            continue
        for item in value:
            lines.append(f"[[{path}.{_key(key)}]]")
            lines.extend(f"{_key(k)} = {_value(v)}" for k, v in item.items() if v is not None)
            lines.append("")


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, Mapping) for v in value)


def _key(key: str) -> str:
    return key if key.replace("_", "").replace("-", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
