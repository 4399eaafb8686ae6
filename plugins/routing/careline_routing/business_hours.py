"""Whether the brand is open at a moment, for the ``business_hours`` rule condition.

The calendar comes from the core's ``[business_hours]`` table through ``careline.business_hours``
when the installed core has that module; an older core without it means "always open", which
is said once in the log rather than failing every message.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from careline.config import Settings

log = logging.getLogger("careline.routing")

CORE_MODULE = "careline.business_hours"

OpenCheck = Callable[[datetime], bool]


def always_open(_when: datetime) -> bool:
    """The fallback calendar: open at every moment."""
    return True


def load_open_check(settings: Settings) -> tuple[OpenCheck, str]:
    """A function telling whether the brand is open at a moment, and where it came from."""
    try:
        module: Any = importlib.import_module(CORE_MODULE)
    except ImportError:
        log.warning(
            "routing: %s is not available in this careline core; "
            "business_hours conditions treat every moment as open",
            CORE_MODULE,
        )
        return always_open, "always open (the core has no careline.business_hours)"
    calendar = module.BusinessHours.from_settings(settings)
    check: OpenCheck = calendar.is_open
    return check, "the [business_hours] table"
