"""The hook implementations careline loads from careline-facebook (entry point `facebook`)."""

from __future__ import annotations
