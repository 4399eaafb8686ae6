"""Loopback servers for tests (re-exported from :mod:`careline.servers`)."""

from careline.servers import free_port, serve_in_thread

__all__ = ["free_port", "serve_in_thread"]
