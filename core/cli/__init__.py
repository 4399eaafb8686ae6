"""The ``careline`` command line, built by :func:`create_cli` from a plugin manager."""

from careline.cli.main import create_cli, main

__all__ = ["create_cli", "main"]
