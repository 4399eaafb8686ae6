"""careline: an open-source, plugin-based framework for social customer care."""

from importlib.metadata import PackageNotFoundError, version

from careline.hookspecs import hookimpl

try:
    __version__ = version("careline")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__", "hookimpl"]
