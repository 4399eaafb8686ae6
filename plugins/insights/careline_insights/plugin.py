"""The hook implementations careline loads from careline-insights (entry point `insights`)."""

from __future__ import annotations
