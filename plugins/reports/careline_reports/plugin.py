"""The hook implementations careline loads from careline-reports (entry point `reports`)."""

from __future__ import annotations
