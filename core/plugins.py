"""The plugin manager: finds, loads and lists plugins.

Plugins are distributions that register a module under the entry-point group ``careline``.
Environment variables give the escape hatches: ``CARELINE_LOAD_PLUGINS`` (comma-separated
distribution names to load; empty loads none), ``CARELINE_DISABLE_PLUGINS`` (names to skip) and
``CARELINE_TRACE_PLUGINS`` (log every hook call to stderr).
"""

from __future__ import annotations

import importlib.metadata
import os
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any

import pluggy
from careline import hookspecs

ENTRY_POINT_GROUP = "careline"


class PluginLoadError(Exception):
    """A plugin failed to import or start (raised only in strict mode)."""


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """What ``careline plugins`` shows for one plugin."""

    name: str
    distribution: str | None
    version: str | None
    hooks: tuple[str, ...]


@dataclass
class LoadReport:
    """Which plugins were skipped and which failed while loading (with the error)."""

    skipped: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)


class CarelinePluginManager(pluggy.PluginManager):
    """A pluggy manager that remembers which plugins failed to load."""

    def __init__(self) -> None:
        super().__init__(hookspecs.PROJECT_NAME)
        self.load_report = LoadReport()
        self.distributions: dict[str, tuple[str, str]] = {}


def _names(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _normalise(name: str) -> str:
    return name.strip().lower().replace("_", "-")


def get_plugin_manager(
    *,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
    plugins: Iterable[object] = (),
    load_entry_points: bool = True,
) -> CarelinePluginManager:
    """Build a fresh plugin manager: specs, entry points, extra ``plugins``, ``check_pending``.

    A plugin that cannot be imported is recorded in ``pm.load_report.failed`` and skipped, or
    raises :class:`PluginLoadError` when ``strict``.
    """
    env = os.environ if environ is None else environ
    pm = CarelinePluginManager()
    pm.add_hookspecs(hookspecs)
    if load_entry_points:
        _load_entry_points(pm, env, strict=strict)
    for plugin in plugins:
        pm.register(plugin)
    pm.check_pending()
    if env.get("CARELINE_TRACE_PLUGINS"):
        _enable_tracing(pm)
    return pm


def _load_entry_points(pm: CarelinePluginManager, env: Mapping[str, str], *, strict: bool) -> None:
    only = _names(env.get("CARELINE_LOAD_PLUGINS"))
    blocked = _names(env.get("CARELINE_DISABLE_PLUGINS")) or set()
    only_n = {_normalise(n) for n in only} if only is not None else None
    blocked_n = {_normalise(n) for n in blocked}
    for entry_point in sorted(
        importlib.metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda ep: ep.name
    ):
        dist_name = entry_point.dist.name if entry_point.dist else entry_point.name
        keys = {_normalise(dist_name), _normalise(entry_point.name)}
        if (only_n is not None and not keys & only_n) or keys & blocked_n:
            pm.load_report.skipped.append(entry_point.name)
            continue
        if pm.get_plugin(entry_point.name) is not None:
            continue
        try:
            module = entry_point.load()
            pm.register(module, name=entry_point.name)
            pm.check_pending()
            if entry_point.dist is not None:
                pm.distributions[entry_point.name] = (
                    entry_point.dist.name,
                    entry_point.dist.version,
                )
        except Exception as exc:
            existing = pm.get_plugin(entry_point.name)
            if existing is not None:
                pm.unregister(existing)
            message = f"{type(exc).__name__}: {exc}"
            if strict:
                raise PluginLoadError(
                    f"plugin {entry_point.name!r} failed to load: {message}"
                ) from exc
            pm.load_report.failed[entry_point.name] = message


def _enable_tracing(pm: pluggy.PluginManager) -> None:
    def before(hook_name: str, hook_impls: Any, kwargs: Mapping[str, Any]) -> None:
        plugins = ", ".join(impl.plugin_name for impl in hook_impls)
        print(f"careline trace: {hook_name}({', '.join(kwargs)}) -> [{plugins}]", file=sys.stderr)

    def after(outcome: Any, hook_name: str, hook_impls: Any, kwargs: Mapping[str, Any]) -> None:
        error = outcome.exception
        state = f"raised {type(error).__name__}" if error else "ok"
        print(f"careline trace: {hook_name} {state}", file=sys.stderr)

    pm.add_hookcall_monitoring(before, after)


def list_plugins(pm: pluggy.PluginManager) -> list[PluginInfo]:
    """Every registered plugin with its distribution, version and implemented hooks."""
    dists: dict[str, tuple[str, str]] = getattr(pm, "distributions", {})
    infos = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda item: item[0]):
        if plugin is None:
            continue
        dist_name, version = dists.get(name, (None, None))
        hooks = tuple(sorted(caller.name for caller in pm.get_hookcallers(plugin) or []))
        infos.append(PluginInfo(name=name, distribution=dist_name, version=version, hooks=hooks))
    return infos


def disable_configured_off(pm: pluggy.PluginManager, settings: Any) -> list[str]:
    """Unregister the plugins whose configuration table says ``enabled = false``."""
    removed = []
    for name, plugin in list(pm.list_name_plugin()):
        if (
            plugin is not None
            and isinstance(plugin, ModuleType)
            and not settings.plugin_enabled(name)
        ):
            pm.unregister(plugin)
            removed.append(name)
    return removed
