"""An app factory for servers that import the app by name (uvicorn with several workers)."""

from __future__ import annotations

import os

from careline.config import load_settings
from careline.plugins import get_plugin_manager
from careline.web.app import create_app
from starlette.applications import Starlette


def app_from_environment() -> Starlette:
    """Build the app from ``CARELINE_HOME`` and the installed plugins."""
    settings = load_settings(os.environ.get("CARELINE_HOME"), require=True)
    run_worker = os.environ.get("CARELINE_RUN_WORKER", "0") == "1"
    return create_app(settings, get_plugin_manager(), run_worker=run_worker)
