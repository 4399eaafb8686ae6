"""``careline facebook …``: run the emulator, check the Page connection.

The group is built by :func:`channel_commands`, which the Instagram plugin reuses for
``careline instagram …`` with its own emulator.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from careline.cli.context import CliState

from careline_facebook.channel_base import GraphChannel
from careline_facebook.emulator import FacebookEmulatorState, create_emulator
from careline_facebook.emulator.core import MetaEmulatorState


@dataclass(frozen=True)
class EmulatorSetup:
    """An emulator ready to serve, and the ``careline.toml`` table that points at it."""

    app: Any
    state: MetaEmulatorState
    account_key: str
    account_id: str


EmulatorFactory = Callable[[], EmulatorSetup]


def facebook_emulator() -> EmulatorSetup:
    """A Facebook emulator with one Page and a first post."""
    state = FacebookEmulatorState()
    state.page_post("Questions about your order? Ask us here.")
    return EmulatorSetup(create_emulator(state), state, "page_id", state.page_id)


def configuration_hint(channel: str, setup: EmulatorSetup, base_url: str) -> str:
    """The ``careline.toml`` table and environment that connect careline to the emulator."""
    prefix = channel.upper()
    token = next(iter(setup.state.tokens))
    return "\n".join(
        [
            f"[{channel}]",
            f'{setup.account_key} = "{setup.account_id}"',
            f'access_token = "$env:{prefix}_ACCESS_TOKEN"',
            f'app_secret = "$env:{prefix}_APP_SECRET"',
            f'verify_token = "$env:{prefix}_VERIFY_TOKEN"',
            f'base_url = "{base_url}"',
            "",
            "# the emulator's own (public, fake) credentials:",
            f"export {prefix}_ACCESS_TOKEN={token}",
            f"export {prefix}_APP_SECRET={setup.state.app_secret}",
            f"export {prefix}_VERIFY_TOKEN={setup.state.verify_token}",
        ]
    )


def channel_commands(channel: str, display_name: str, factory: EmulatorFactory) -> click.Group:
    """The ``careline <channel>`` group with ``emulator`` and ``check``."""

    @click.group(name=channel, help=f"{display_name} channel: emulator and connection check.")
    def group() -> None:
        pass

    @group.command("emulator")
    @click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
    @click.option("--port", default=8100, show_default=True, type=click.IntRange(1, 65535))
    @click.option("--webhook-url", default=None, help="Where to POST signed webhook deliveries.")
    @click.option(
        "--duplicates",
        default=0,
        show_default=True,
        type=click.IntRange(0, 5),
        help="Send every delivery this many extra times (Meta repeats deliveries).",
    )
    def emulator(host: str, port: int, webhook_url: str | None, duplicates: int) -> None:
        """Run a local stand-in for the Graph API and Meta's webhooks."""
        import uvicorn

        setup = factory()
        setup.state.deliver_to(webhook_url, duplicates=duplicates)
        base_url = f"http://{host}:{port}"
        click.echo(f"{display_name} emulator on {base_url}; configure careline with:\n")
        click.echo(configuration_hint(channel, setup, base_url))
        if webhook_url:
            click.echo(f"\nwebhook deliveries go to {webhook_url}")
        uvicorn.run(setup.app, host=host, port=port, log_level="warning")

    @group.command("check")
    @click.pass_obj
    def check(state: CliState) -> None:
        """Call the Graph API with the configured token: is the account still connected?"""
        found = state.runtime().channel(channel)
        if not isinstance(found, GraphChannel):
            raise click.ClickException(f"the {channel} channel is not a Graph API channel")
        name = found.check_connection()
        click.echo(f"{display_name}: connected to {name} ({found.account_id}); the token works")

    return group
