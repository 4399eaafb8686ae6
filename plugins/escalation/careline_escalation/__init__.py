"""careline-escalation: Escalation: triggers, SLA ladders, follow-ups and notifications."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("careline-escalation")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"
