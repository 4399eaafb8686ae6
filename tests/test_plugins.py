"""The plugin manager: loading, the environment escape hatches, broken plugins, listing."""

from __future__ import annotations

import sys
import textwrap
from pathlib import Path

import pytest
from careline import hookimpl
from careline.plugins import PluginLoadError, get_plugin_manager, list_plugins

REPO_PLUGINS = sorted(p.name for p in (Path(__file__).parents[1] / "plugins").iterdir())


def make_distribution(folder: Path, name: str, module_source: str) -> None:
    """Write an importable module and a dist-info registering it in the `careline` group."""
    module = f"{name.replace('-', '_')}_module"
    (folder / f"{module}.py").write_text(textwrap.dedent(module_source))
    info = folder / f"{name.replace('-', '_')}-1.2.3.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.2.3\n")
    (info / "entry_points.txt").write_text(f"[careline]\n{name} = {module}\n")


@pytest.fixture
def extra_site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m.endswith("_module")]:
        del sys.modules[name]


def test_every_repository_plugin_is_listed_with_version_and_hooks() -> None:
    infos = {info.name: info for info in list_plugins(get_plugin_manager(environ={}))}
    for name in REPO_PLUGINS:
        assert name in infos, f"plugin {name} is not installed or not registered"
        assert infos[name].version
        assert infos[name].distribution == f"careline-{name}"


def test_empty_load_list_loads_no_plugin() -> None:
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": ""})
    assert list_plugins(pm) == []


def test_load_list_and_disable_list_select_plugins() -> None:
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": "careline-routing,insights"})
    assert {info.name for info in list_plugins(pm)} == {"routing", "insights"}
    pm = get_plugin_manager(environ={"CARELINE_DISABLE_PLUGINS": "careline-routing"})
    names = {info.name for info in list_plugins(pm)}
    assert "routing" not in names
    assert "insights" in names


def test_broken_plugin_is_reported_and_the_rest_still_load(extra_site: Path) -> None:
    make_distribution(extra_site, "careline-broken", "raise RuntimeError('boom at import')\n")
    pm = get_plugin_manager(environ={})
    assert "careline-broken" in pm.load_report.failed
    assert "boom at import" in pm.load_report.failed["careline-broken"]
    assert {info.name for info in list_plugins(pm)} >= set(REPO_PLUGINS)
    with pytest.raises(PluginLoadError, match="careline-broken"):
        get_plugin_manager(environ={}, strict=True)


def test_plugin_with_unknown_hook_is_refused(extra_site: Path) -> None:
    make_distribution(
        extra_site,
        "careline-typo",
        """
        from careline import hookimpl

        @hookimpl
        def careline_rout(conversation):
            return None
        """,
    )
    pm = get_plugin_manager(environ={"CARELINE_LOAD_PLUGINS": "careline-typo"})
    assert "careline-typo" in pm.load_report.failed
    assert list_plugins(pm) == []


def test_tracing_reports_hook_calls(capsys: pytest.CaptureFixture[str]) -> None:
    class Startup:
        @hookimpl
        def careline_register_channels(self) -> list[type]:
            return []

    pm = get_plugin_manager(
        environ={"CARELINE_LOAD_PLUGINS": "", "CARELINE_TRACE_PLUGINS": "1"}, plugins=[Startup()]
    )
    pm.hook.careline_register_channels()
    assert "careline_register_channels" in capsys.readouterr().err
