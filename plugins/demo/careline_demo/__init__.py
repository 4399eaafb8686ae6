"""careline demo: one command runs a living single-brand instance against platform emulators."""

__version__ = "0.1.0"
