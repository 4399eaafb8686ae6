"""The runtime: one instance's settings, plugins, database and channels, built once.

Every entry point (CLI command, web app, worker, tests) builds a :class:`Runtime` and passes it
to the pipeline and the services, instead of reaching for globals.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

import pluggy
from careline.channels import Channel
from careline.clock import Clock
from careline.config import ConfigError, Settings
from careline.db import Database
from careline.enrichment_pool import EnrichmentPool
from careline.plugins import disable_configured_off

log = logging.getLogger("careline")

DATABASE_STATE_KEY = "careline:database"


def shared_database(settings: Settings) -> Database:
    """The instance's database for plugins that query it from a hook (one engine per instance)."""
    return settings.plugin_state(
        DATABASE_STATE_KEY, lambda: Database.from_url(settings.database_url)
    )


class UnknownChannelError(LookupError):
    """No installed plugin provides a channel of that name."""


@dataclass
class Runtime:
    """Settings + plugin manager + database, and the channel objects built from them."""

    settings: Settings
    pm: pluggy.PluginManager
    db: Database
    _channels: dict[str, Channel] | None = field(default=None, repr=False)
    _enrichment_pool: EnrichmentPool | None = field(default=None, repr=False)
    _enrichment_pool_built: bool = field(default=False, repr=False)

    @classmethod
    def create(
        cls, settings: Settings, pm: pluggy.PluginManager, db: Database | None = None
    ) -> Runtime:
        """Build a runtime: drop plugins switched off in the configuration, run start-up hooks."""
        from careline.business_hours import BusinessHours, SlaPolicies

        disable_configured_off(pm, settings)
        # Bad [business_hours] or [sla.*] tables fail here, at start-up, not at the first message.
        BusinessHours.from_settings(settings)
        SlaPolicies.from_settings(settings)
        runtime = cls(settings=settings, pm=pm, db=db or Database.from_url(settings.database_url))
        # Plugins that query the database share the instance's engine instead of opening one.
        settings.plugin_state(DATABASE_STATE_KEY, lambda: runtime.db)
        pm.hook.careline_startup(settings=settings)
        return runtime

    def enrichment_pool(self) -> EnrichmentPool | None:
        """The processes that enrich messages ahead of the pipeline, when
        ``[pipeline] enrich_processes`` asks for them (started at first use)."""
        if not self._enrichment_pool_built:
            self._enrichment_pool = EnrichmentPool.for_runtime(self)
            self._enrichment_pool_built = True
        return self._enrichment_pool

    def stop_enrichment(self) -> None:
        """Stop the enrichment processes, if any were started."""
        if self._enrichment_pool is not None:
            self._enrichment_pool.close()

    def close(self) -> None:
        """Stop the enrichment processes and release the database connections."""
        self.stop_enrichment()
        self.db.dispose()

    @property
    def clock(self) -> Clock:
        """The instance's clock (a frozen one in tests)."""
        return self.settings.clock

    def now(self) -> datetime:
        """The current time from the instance's clock."""
        return self.settings.clock.now()

    @property
    def channels(self) -> dict[str, Channel]:
        """Every channel provided by a plugin, configured from its table, by name."""
        if self._channels is None:
            channels: dict[str, Channel] = {}
            for classes in self.pm.hook.careline_register_channels():
                for channel_class in classes or []:
                    name = channel_class.name
                    if name in channels:
                        raise ConfigError(f"two plugins provide a channel named {name!r}")
                    channels[name] = channel_class(self.settings.section(name), clock=self.clock)
            self._channels = channels
        return self._channels

    def channel(self, name: str) -> Channel:
        """The channel called ``name``."""
        try:
            return self.channels[name]
        except KeyError:
            known = ", ".join(sorted(self.channels)) or "none installed"
            raise UnknownChannelError(f"unknown channel {name!r} (known: {known})") from None
