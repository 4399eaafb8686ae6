"""careline-twitter: X (Twitter) channel: mentions, listening, DMs, replies, with a platform emulator."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("careline-twitter")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
