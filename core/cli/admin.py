"""The command modules of the core, in the order ``careline --help`` shows them."""

from __future__ import annotations

import click
from careline.cli import agents, conversations, operations, serve


def register(cli: click.Group) -> None:
    """Add the agent, conversation, event, import/export, worker and channel commands."""
    for module in (conversations, agents, operations, serve):
        module.register(cli)
