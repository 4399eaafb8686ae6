"""The hook implementations careline loads from careline-instagram (entry point `instagram`)."""

from __future__ import annotations
