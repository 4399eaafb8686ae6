"""The hook implementations careline loads from careline-guidelines (entry point `guidelines`)."""

from __future__ import annotations
