"""Creating an instance folder (``careline init``)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from careline.config import CONFIG_FILE

CONFIG_TEMPLATE = """\
# careline configuration. Every key is documented in docs/configuration.md.
# Secrets never go in this file: write "$env:NAME" and set NAME in the environment.

[instance]
name = "{name}"
# Time zone for business hours and reports.
timezone = "UTC"
# The address agents use to reach the inbox (used in links of notifications).
base_url = "http://127.0.0.1:8000"
# SQLite in this folder by default; CARELINE_DATABASE_URL overrides, e.g.
# database_url = "$env:CARELINE_DATABASE_URL"

[pipeline]
# A new message on a resolved conversation reopens it within this window, else starts a new one.
reopen_window = "7d"
# Keep the text of messages the customer deleted (for audit only).
keep_deleted_text = false
# Processes that enrich messages (sentiment, topics, personal data) beside the pipeline;
# 1 takes most of its CPU time to a spare core.
enrich_processes = 0
# Seconds to wait for an enrichment process before replacing it as stuck.
enrich_timeout = 60

[outbox]
max_attempts = 8
backoff_base = "5s"
backoff_max = "30m"

[worker]
poll_interval = "60s"
tick_interval = "30s"

[web]
host = "127.0.0.1"
port = 8000

# SLA targets per priority (first response, next response, resolution).
[sla.urgent]
first_response = "15m"
resolution = "4h"
[sla.high]
first_response = "30m"
resolution = "8h"
[sla.normal]
first_response = "1h"
resolution = "24h"
[sla.low]
first_response = "4h"
resolution = "72h"

# Business hours: SLA clocks run only inside them when business_hours = true.
[business_hours]
enabled = false
timezone = "UTC"
monday = ["09:00-17:00"]
tuesday = ["09:00-17:00"]
wednesday = ["09:00-17:00"]
thursday = ["09:00-17:00"]
friday = ["09:00-17:00"]
holidays = []

# Each plugin reads its own table; `enabled = false` switches a plugin off, e.g.
# [twitter]
# enabled = false
"""


class InstanceExistsError(FileExistsError):
    """``careline init`` refuses to overwrite an existing configuration."""


def init_instance(home: Path, *, name: str = "careline", apply_migrations: bool = True) -> Path:
    """Create ``home`` with a commented ``careline.toml``, a secret key and the database.

    Returns the configuration file's path. Raises :class:`InstanceExistsError` when the folder
    already has a configuration (nothing is overwritten).
    """
    home.mkdir(parents=True, exist_ok=True)
    config_path = home / CONFIG_FILE
    if config_path.exists():
        raise InstanceExistsError(f"{config_path} already exists; nothing was changed")
    (home / "logs").mkdir(exist_ok=True)
    key_path = home / "secret_key"
    if not key_path.exists():
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    config_path.write_text(CONFIG_TEMPLATE.format(name=name.replace('"', "")), encoding="utf-8")
    if apply_migrations:
        from careline.config import load_settings
        from careline.db import Database
        from careline.migrations import upgrade

        settings = load_settings(home)
        database = Database.from_url(settings.database_url)
        try:
            upgrade(database.engine)
        finally:
            database.dispose()
    return config_path
