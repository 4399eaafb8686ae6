"""One clear line on stderr and a non-zero exit code for every expected failure."""

from __future__ import annotations

from typing import Any

import click
from careline.channels import ChannelError
from careline.config import ConfigError
from careline.plugins import PluginLoadError


class UserError(click.ClickException):
    """An error caused by what the user asked, shown as ``Error: <message>``."""


EXPECTED_ERRORS: tuple[type[BaseException], ...] = (
    ConfigError,
    PluginLoadError,
    ChannelError,
    LookupError,
    ValueError,
    PermissionError,
    FileExistsError,
    FileNotFoundError,
    OSError,
)


class CarelineGroup(click.Group):
    """A click group that turns exceptions into one line unless ``--debug`` is given."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            raise click.exceptions.Exit(1) from None
        except Exception as exc:
            state = ctx.obj
            if getattr(state, "debug", False) or "--debug" in ctx.args:
                raise
            from sqlalchemy.exc import SQLAlchemyError

            if isinstance(exc, (*EXPECTED_ERRORS, SQLAlchemyError)):
                message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise UserError(message) from exc
            raise UserError(
                f"unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)"
            ) from exc
