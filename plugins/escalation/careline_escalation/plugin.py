"""The hook implementations careline loads from careline-escalation (entry point `escalation`)."""

from __future__ import annotations
