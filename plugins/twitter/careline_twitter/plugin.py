"""The hook implementations careline loads from careline-twitter (entry point `twitter`)."""

from __future__ import annotations
