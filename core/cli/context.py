"""What every command shares: the instance folder, the plugin manager and the runtime."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import click
import pluggy
from careline.config import Settings, load_settings
from careline.runtime import Runtime


@dataclass
class CliState:
    """Per-invocation state, stored as click's context object."""

    pm: pluggy.PluginManager
    home: Path | None = None
    debug: bool = False
    _settings: Settings | None = field(default=None, repr=False)
    _runtime: Runtime | None = field(default=None, repr=False)

    def settings(self, *, require: bool = True) -> Settings:
        """The instance's settings (an instance must exist unless ``require`` is false)."""
        if self._settings is None:
            self._settings = load_settings(self.home, require=require)
        return self._settings

    def runtime(self) -> Runtime:
        """The runtime of the instance (settings, plugins, database)."""
        if self._runtime is None:
            self._runtime = Runtime.create(self.settings(), self.pm)
        return self._runtime

    def close(self) -> None:
        """Stop the runtime's enrichment processes and release its database connections."""
        if self._runtime is not None:
            self._runtime.close()


pass_state = click.make_pass_decorator(CliState)
