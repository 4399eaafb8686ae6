"""Commands added by later modules are registered here (kept as one list)."""

from __future__ import annotations

import click


def register(cli: click.Group) -> None:
    """Add the agent, conversation, event and import/export commands."""
