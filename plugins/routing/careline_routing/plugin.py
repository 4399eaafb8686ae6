"""The hook implementations careline loads from careline-routing (entry point `routing`)."""

from __future__ import annotations
