"""Meta-tests that keep the documentation's promise.

Every hook has a section in docs/hooks.md and a test; every CLI command (the core's and the
plugins') is documented; every configuration key is documented; every API route is documented;
every internal link in docs/ resolves.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import click
import pytest
from careline import hookspecs
from careline.cli import create_cli
from careline.config import CORE_SECTIONS
from careline.plugins import get_plugin_manager
from careline.web.app import api_registry

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PLUGINS = sorted(p.name for p in (ROOT / "plugins").iterdir() if p.is_dir())
HOOKS = sorted(name for name in dir(hookspecs) if name.startswith("careline_"))
TEST_FILES = [
    *ROOT.glob("tests/**/*.py"),
    *ROOT.glob("plugins/*/tests/**/*.py"),
    *ROOT.glob("examples/*/tests/**/*.py"),
]


def all_docs_text() -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in DOCS.rglob("*.md"))


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_docs_section(hook: str) -> None:
    text = (DOCS / "hooks.md").read_text(encoding="utf-8")
    assert re.search(rf"^## `{hook}`$", text, re.MULTILINE), f"docs/hooks.md lacks ## `{hook}`"


@pytest.mark.parametrize("hook", HOOKS)
def test_every_hook_has_a_test(hook: str) -> None:
    this_file = Path(__file__).resolve()
    users = [
        p for p in TEST_FILES if p.resolve() != this_file and hook in p.read_text(encoding="utf-8")
    ]
    assert users, f"no test mentions {hook}"


def command_paths() -> list[str]:
    cli = create_cli(get_plugin_manager(environ={}))
    paths: list[str] = []

    def walk(command: click.Command, prefix: str) -> None:
        for name, sub in sorted(getattr(command, "commands", {}).items()):
            path = f"{prefix} {name}"
            paths.append(path)
            walk(sub, path)

    walk(cli, "careline")
    return paths


@pytest.mark.parametrize("command", command_paths())
def test_every_cli_command_is_documented(command: str) -> None:
    text = all_docs_text()
    assert re.search(rf"^#+ `{re.escape(command)}`", text, re.MULTILINE), (
        f"no docs heading for `{command}` (docs/cli.md or the plugin's docs/plugins page)"
    )


def test_every_documented_command_exists() -> None:
    documented = set(re.findall(r"^#+ `(careline(?: [^`]*)?)`", all_docs_text(), re.MULTILINE))
    assert documented - set(command_paths()) == set()


@pytest.mark.parametrize("section", sorted(CORE_SECTIONS))
def test_every_core_configuration_key_is_documented(section: str) -> None:
    text = (DOCS / "configuration.md").read_text(encoding="utf-8")
    block = text.split(f"## `[{section}]`", 1)
    assert len(block) == 2, f"docs/configuration.md lacks ## `[{section}]`"
    for key in CORE_SECTIONS[section].model_fields:
        assert f"| `{key}` |" in block[1].split("\n## ", 1)[0], f"[{section}] {key} undocumented"


@pytest.mark.parametrize("plugin", PLUGINS)
def test_every_plugin_configuration_key_is_documented(plugin: str) -> None:
    page = DOCS / "plugins" / f"{plugin}.md"
    assert page.exists(), f"docs/plugins/{plugin}.md is missing"
    try:
        module = importlib.import_module(f"careline_{plugin}.config")
    except ModuleNotFoundError:
        pytest.fail(f"careline_{plugin}.config (the plugin's configuration model) is missing")
    models = [
        value
        for name, value in vars(module).items()
        if name.endswith("Config")
        and hasattr(value, "model_fields")
        and value.__module__ == module.__name__
    ]
    assert models, f"careline_{plugin}.config defines no *Config model"
    text = page.read_text(encoding="utf-8")
    for model in models:
        for key in model.model_fields:
            assert f"| `{key}` |" in text, f"{plugin}: configuration key `{key}` undocumented"


def test_every_api_route_is_documented() -> None:
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    for endpoint in api_registry().endpoints:
        path = endpoint.path.replace(":int", "")
        assert f"`{endpoint.method} {path}`" in text, f"docs/api.md lacks {endpoint.method} {path}"


def test_every_internal_link_resolves() -> None:
    broken = []
    for page in DOCS.rglob("*.md"):
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if target.startswith(("http://", "https://", "mailto:", "#")):
                continue
            file_part = target.split("#", 1)[0]
            if file_part and not (page.parent / file_part).resolve().exists():
                broken.append(f"{page.relative_to(ROOT)} → {target}")
    assert broken == []


def test_docs_build_with_mkdocs_in_strict_mode(tmp_path: Path) -> None:
    import subprocess
    import sys

    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "--strict",
            "-q",
            "-d",
            str(tmp_path / "site"),
            "-f",
            str(ROOT / "mkdocs.yml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "hooks" / "index.html").exists()
